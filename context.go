package litefuse

import (
	"context"
	"log/slog"
	"maps"
	"strings"

	"github.com/litefuse/litefuse-go/internal/record"
	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/trace"
)

// Generation names and annotates the next model calls made with a context,
// like the name=, metadata= and langfuse_prompt= arguments of the Python
// wrapper.
type Generation struct {
	// Name is the observation's name in Litefuse. Default: "chat {model}".
	Name string
	// Metadata is recorded as langfuse.observation.metadata.<key>: strings
	// as they are, other values as JSON. At most 64 keys are recorded. A
	// key the library also writes on the span (stream_cut_short,
	// service_tier, attempt, omitted_bytes, output_not_recorded), and
	// litefuse_dropped_metadata_keys always, is recorded as caller_<key>:
	// the library's value wins.
	Metadata map[string]any
	// Prompt links the generation to a Litefuse prompt version.
	Prompt *PromptRef
	// TraceID, when ctx holds no span, puts the calls made with ctx in the
	// trace with this ID (from [NewTraceID]), each as a root observation
	// of it: score them with CreateScore(ctx, Score{TraceID: id, …}) or
	// [ScoreCurrentTrace], link them with [TraceURL]. When ctx holds a
	// span the calls join that span's trace, and a different TraceID is
	// warned about. An ID that is not 32 lowercase hex digits is warned
	// about once, naming it, and the call is recorded in a new trace.
	// Default: "", a new trace for each call made without a span.
	TraceID string
}

// PromptRef names a prompt managed in Litefuse. Both fields must be set for
// the link to be recorded: Litefuse drops a generation carrying only one.
type PromptRef struct {
	Name    string
	Version int
}

type generationKey struct{}

// WithGeneration returns a context whose model calls are recorded with g's
// name, metadata and prompt, in g's trace when g.TraceID is set. Each call
// reads g's Metadata (and what its values point to) and Prompt as it
// begins, never after it returns: they may be changed for the next call
// then, even while an earlier call's recording is still being finished.
func WithGeneration(ctx context.Context, g Generation) context.Context {
	return context.WithValue(ctx, generationKey{}, &g)
}

func generationFrom(ctx context.Context) *Generation {
	g, _ := ctx.Value(generationKey{}).(*Generation)
	return g
}

// Attributes are trace-level attributes: Litefuse shows them on the trace and
// filters by them. [PropagateAttributes] puts them on every span the library
// starts under a context.
type Attributes struct {
	UserID, SessionID, TraceName, Version string
	Tags                                  []string
	Metadata                              map[string]string
	// AsBaggage also puts the attributes in the context's W3C baggage
	// (keys langfuse_user_id, langfuse_session_id, langfuse_version,
	// langfuse_tags, langfuse_metadata_<k>, as the Python SDK names them),
	// so that the application's OpenTelemetry propagator carries them to
	// downstream services, where Litefuse spans read them back. Baggage is
	// sent in plain text with every outgoing request: leave it off for
	// anything private.
	AsBaggage bool
}

// maxPropagatedLen is the longest propagated value Litefuse's SDKs keep.
const maxPropagatedLen = 200

type traceKey struct{}

// PropagateAttributes returns a context whose spans, observations and
// generations alike, all carry a's trace attributes. Nested calls merge: the
// inner value wins, tags add up. Values over 200 characters are dropped with
// a debug log line, as the Litefuse SDKs do. The observation running in ctx,
// if the library started it, is tagged too; a span of the application's own
// is never written to.
func PropagateAttributes(ctx context.Context, a Attributes) context.Context {
	merged := record.Trace{}
	if prev, _ := ctx.Value(traceKey{}).(*record.Trace); prev != nil {
		merged = *prev
		merged.Metadata = maps.Clone(prev.Metadata)
	}
	keep := func(name, v string) bool {
		if len(v) <= maxPropagatedLen {
			return true
		}
		if inst := defaultInst.Load(); inst != nil && inst.cfg.debug { // debug lines only with LANGFUSE_DEBUG
			inst.cfg.log().Debug("litefuse: propagated attribute over 200 characters dropped", "attribute", name, "length", len(v))
		}
		return false
	}
	for _, f := range [...]struct {
		name, src string
		dst       *string
	}{
		{record.KeyUserID, a.UserID, &merged.UserID},
		{record.KeySessionID, a.SessionID, &merged.SessionID},
		{record.KeyTraceName, a.TraceName, &merged.Name},
		{record.KeyVersion, a.Version, &merged.Version},
	} {
		if f.src != "" && keep(f.name, f.src) {
			*f.dst = f.src
		}
	}
	if len(a.Tags) > 0 {
		seen := make(map[string]struct{}, len(merged.Tags)+len(a.Tags))
		tags := make([]string, 0, len(merged.Tags)+len(a.Tags))
		for _, t := range merged.Tags {
			seen[t] = struct{}{}
			tags = append(tags, t)
		}
		for _, t := range a.Tags {
			if _, dup := seen[t]; t != "" && !dup && keep(record.KeyTraceTags, t) {
				seen[t] = struct{}{}
				tags = append(tags, t)
			}
		}
		merged.Tags = tags
	}
	for k, v := range a.Metadata {
		if keep(record.KeyTraceMetadata+k, v) {
			if merged.Metadata == nil {
				merged.Metadata = make(map[string]string, len(a.Metadata))
			}
			merged.Metadata[k] = v
		}
	}
	// The observation already running (e.g. the Observe around this call)
	// belongs to the trace too: tag it now, as Litefuse's SDKs do.
	if span := ownSpan(ctx); span != nil && span.IsRecording() {
		func() {
			defer guard()
			rec := recorderFrom(ctx)
			rec.resolve()
			tv := rec.values // scrubbed like what the observation records
			tv.Redact, tv.Scrub = scopeFrom(ctx).list(), scrubKnown
			span.SetAttributes(record.TraceAttrs(nil, &merged, "", "", &tv)...)
		}()
	}
	ctx = context.WithValue(ctx, traceKey{}, &merged)
	if a.AsBaggage {
		ctx = withBaggage(ctx, &merged)
	}
	return ctx
}

// Baggage keys, as the Python SDK names them.
const (
	baggageUserID    = "langfuse_user_id"
	baggageSessionID = "langfuse_session_id"
	baggageVersion   = "langfuse_version"
	baggageTags      = "langfuse_tags"
	baggageMetadata  = "langfuse_metadata_"
)

func withBaggage(ctx context.Context, t *record.Trace) context.Context {
	b := baggage.FromContext(ctx)
	set := func(k, v string) {
		if v == "" {
			return
		}
		if m, err := baggage.NewMemberRaw(k, v); err == nil {
			if nb, err := b.SetMember(m); err == nil {
				b = nb
			}
		}
	}
	set(baggageUserID, t.UserID)
	set(baggageSessionID, t.SessionID)
	set(baggageVersion, t.Version)
	set(baggageTags, strings.Join(t.Tags, ","))
	for k, v := range t.Metadata {
		set(baggageMetadata+k, v)
	}
	return baggage.ContextWithBaggage(ctx, b)
}

// traceFrom is the trace attributes for a span started under ctx: those
// PropagateAttributes set, over those carried in as baggage.
func traceFrom(ctx context.Context) *record.Trace {
	t, _ := ctx.Value(traceKey{}).(*record.Trace)
	b := baggage.FromContext(ctx)
	if b.Len() == 0 {
		return t
	}
	var fromBaggage record.Trace
	for _, m := range b.Members() {
		k, v := m.Key(), m.Value()
		if len(v) > maxPropagatedLen || !strings.HasPrefix(k, "langfuse_") {
			continue
		}
		switch {
		case k == baggageUserID:
			fromBaggage.UserID = v
		case k == baggageSessionID:
			fromBaggage.SessionID = v
		case k == baggageVersion:
			fromBaggage.Version = v
		case k == baggageTags:
			for tag := range strings.SplitSeq(v, ",") {
				if tag != "" {
					fromBaggage.Tags = append(fromBaggage.Tags, tag)
				}
			}
		case strings.HasPrefix(k, baggageMetadata) && len(k) > len(baggageMetadata):
			if fromBaggage.Metadata == nil {
				fromBaggage.Metadata = map[string]string{}
			}
			fromBaggage.Metadata[k[len(baggageMetadata):]] = v
		}
	}
	if t == nil {
		return &fromBaggage
	}
	merged := *t
	for _, f := range [...]struct {
		dst *string
		src string
	}{
		{&merged.UserID, fromBaggage.UserID}, {&merged.SessionID, fromBaggage.SessionID}, {&merged.Version, fromBaggage.Version},
	} {
		if *f.dst == "" {
			*f.dst = f.src
		}
	}
	if len(merged.Tags) == 0 {
		merged.Tags = fromBaggage.Tags
	}
	if len(fromBaggage.Metadata) > 0 {
		md := maps.Clone(fromBaggage.Metadata)
		maps.Copy(md, t.Metadata)
		merged.Metadata = md
	}
	return &merged
}

// Observation context: the recorder and the span the library started.
type (
	recorderKey struct{}
	ownSpanKey  struct{}
)

func recorderFrom(ctx context.Context) *recorder {
	r, _ := ctx.Value(recorderKey{}).(*recorder)
	return r
}

// ownSpan returns ctx's current span when the library started it, else nil.
func ownSpan(ctx context.Context) trace.Span {
	own, _ := ctx.Value(ownSpanKey{}).(trace.Span)
	if own == nil || own != trace.SpanFromContext(ctx) || recorderFrom(ctx) == nil {
		return nil
	}
	return own
}

// debugLogger is the default pipeline's logger once it runs, else slog's;
// asking must not start the pipeline.
func debugLogger() *slog.Logger {
	if inst := defaultInst.Load(); inst != nil {
		return inst.cfg.log()
	}
	return slog.Default()
}
