package litefuse

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	api "github.com/litefuse/litefuse-go/internal/platform"
	"go.opentelemetry.io/otel/trace"
)

// CurrentTraceID returns the trace ID (32 hex digits) of the span in ctx:
// one started by [Observe] or [StartObservation], or your own
// OpenTelemetry span. When ctx holds no span it returns the valid
// [Generation].TraceID set on ctx by [WithGeneration], which the calls
// made with ctx start; else "". A model call does not change its ctx:
// after a bare client.CreateChatCompletion(ctx, …) it is still "". To
// score or link such a call, give it a trace first:
//
//	id := litefuse.NewTraceID("")
//	ctx = litefuse.WithGeneration(ctx, litefuse.Generation{TraceID: id})
//	resp, err := client.CreateChatCompletion(ctx, req)
//	litefuse.CreateScore(ctx, litefuse.Score{Name: "helpful", Value: 1, TraceID: id})
func CurrentTraceID(ctx context.Context) string {
	if sc := trace.SpanContextFromContext(ctx); sc.HasTraceID() {
		return sc.TraceID().String()
	}
	if id := generationTraceID(ctx); validTraceID(id) {
		return id
	}
	return ""
}

// CurrentObservationID returns the span ID (16 hex digits) of the span in
// ctx, which is its observation ID in Litefuse, or "" when ctx holds none.
func CurrentObservationID(ctx context.Context) string {
	sc := trace.SpanContextFromContext(ctx)
	if !sc.HasSpanID() {
		return ""
	}
	return sc.SpanID().String()
}

// TraceURL returns the trace's page in Litefuse:
// {base}/project/{projectID}/traces/{traceID}, where base is the
// configured base URL (LANGFUSE_BASE_URL) as written, minus a trailing
// slash or an /api/public/otel… suffix. The project ID is looked up once
// for the keys in use (GET /api/public/projects) and cached; a failed
// lookup is not cached, and its error says what to fix. An empty traceID
// is an error saying why there is none (tracing off, and which setting
// turned it off; or no span in ctx).
func TraceURL(ctx context.Context, traceID string) (string, error) {
	if strings.TrimSpace(traceID) == "" {
		if why := tracingOffReason(); why != "" {
			return "", fmt.Errorf("litefuse: TraceURL: no trace ID: tracing is off (%s), so no call or observation has one", why)
		}
		return "", errors.New(`litefuse: TraceURL: the trace ID is empty: CurrentTraceID(ctx) is "" outside Observe and StartObservation, and a model call does not change its ctx; to link a call made without a span, give it a trace with Generation.TraceID (NewTraceID)`)
	}
	r := currentRest()
	if r.err != nil {
		return "", r.err
	}
	id, err := r.projectID(ctx)
	if err != nil {
		return "", err
	}
	return r.base + "/project/" + url.PathEscape(id) + "/traces/" + url.PathEscape(traceID), nil
}

// AuthCheck tells whether the configured keys and base URL work, with one
// authenticated request (GET /api/public/projects). Call it at start-up:
// the error says what is wrong and how to fix it (a missing key, keys
// rejected or swapped, a base URL that is unreachable or not Litefuse),
// with the HTTP status when there was one; it never holds a secret.
func AuthCheck(ctx context.Context) error {
	r := currentRest()
	if r.err != nil {
		return r.err
	}
	_, err := r.projectID(ctx)
	if errors.Is(err, errNoProject) {
		return nil // the keys work; there is just no project to link to
	}
	return err
}

var errNoProject = errors.New("no project")

// projectID returns the keys' project ID, looking it up once.
func (r *rest) projectID(ctx context.Context) (string, error) {
	if id := r.project.Load(); id != nil {
		return *id, nil
	}
	select {
	case r.projectLock <- struct{}{}:
		defer func() { <-r.projectLock }()
	case <-ctx.Done():
		return "", fmt.Errorf("litefuse: looking up the project: %w", ctx.Err())
	}
	if id := r.project.Load(); id != nil { // found while we waited
		return *id, nil
	}
	var out struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if err := r.api.Do(ctx, "GET", "/api/public/projects", nil, &out); err != nil {
		return "", r.explain(ctx, err)
	}
	if len(out.Data) == 0 || out.Data[0].ID == "" {
		return "", fmt.Errorf("litefuse: Litefuse at %s knows no project for these keys: %w", r.base, errNoProject)
	}
	id := out.Data[0].ID
	r.project.Store(&id)
	return id, nil
}

// explain turns a failed request into what to fix.
func (r *rest) explain(ctx context.Context, err error) error {
	var se *api.StatusError
	var de *api.DecodeError
	switch {
	case ctx.Err() != nil:
		return fmt.Errorf("litefuse: checking Litefuse at %s: %w", r.base, ctx.Err())
	case errors.As(err, &se):
		status := fmt.Sprintf("Litefuse at %s answered %d %s", r.base, se.Code, http.StatusText(se.Code))
		switch {
		case se.Code == http.StatusUnauthorized:
			hint := fmt.Sprintf("check LANGFUSE_PUBLIC_KEY (pk-lf-…) and LANGFUSE_SECRET_KEY (sk-lf-…): they must be a pair from one Litefuse project, and %s must be the host (region) that project lives on", r.to)
			if strings.HasPrefix(r.api.PublicKey, "sk-") && strings.HasPrefix(r.api.SecretKey, "pk-") {
				hint = "the keys look swapped: LANGFUSE_PUBLIC_KEY starts with sk- and LANGFUSE_SECRET_KEY with pk-; exchange them"
			}
			return fmt.Errorf("litefuse: %s: %s", status, hint)
		case se.Code == http.StatusForbidden:
			return fmt.Errorf("litefuse: %s: these keys may not use the public API; create API keys in the project's settings", status)
		case se.Code == http.StatusNotFound:
			return fmt.Errorf("litefuse: %s for /api/public/projects: the host or path of %s is likely wrong: %s", status, r.to, whereLitefuseRuns)
		case se.Code == http.StatusTooManyRequests || se.Code >= 500:
			return fmt.Errorf("litefuse: %s: Litefuse is overloaded or failing; try again later", status)
		}
		return fmt.Errorf("litefuse: %s: %s", status, se.Body)
	case errors.As(err, &de):
		return fmt.Errorf("litefuse: %s answered, but not as Litefuse does: check %s: %s", r.base, r.to, whereLitefuseRuns)
	}
	return fmt.Errorf("litefuse: cannot reach Litefuse at %s (%v): check %s and the network", r.base, err, r.to)
}
