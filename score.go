package litefuse

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"

	api "github.com/litefuse/litefuse-go/internal/platform"
	"go.opentelemetry.io/otel/trace"
)

// ScoreDataType is how Litefuse reads a score's value. A string constant
// ("BOOLEAN") may be given for it; any case is accepted. A string variable
// needs a conversion: Score{DataType: litefuse.ScoreDataType(s)}.
type ScoreDataType string

// Score data types.
const (
	ScoreNumeric     ScoreDataType = "NUMERIC"     // Value, any finite number (the default)
	ScoreCategorical ScoreDataType = "CATEGORICAL" // StringValue
	ScoreBoolean     ScoreDataType = "BOOLEAN"     // Value 0 or 1
)

// Score is an evaluation of a trace, an observation or a session: user
// feedback, an evaluator's verdict, a metric.
type Score struct {
	Name        string
	Value       float64       // NUMERIC and BOOLEAN (0 or 1)
	StringValue string        // CATEGORICAL
	DataType    ScoreDataType // ScoreNumeric (default), ScoreCategorical, ScoreBoolean
	Comment     string
	Metadata    map[string]any // sent as JSON

	// What is scored: TraceID (with ObservationID for one observation of
	// it), or SessionID.
	TraceID, ObservationID, SessionID string
}

// maxScoreBytes bounds one score's JSON (its metadata, mostly).
const maxScoreBytes = 1 << 20

// CreateScore sends s to Litefuse (POST /api/public/scores) in the
// background. It returns an error at once when s is invalid: empty Name,
// Value NaN or ±Inf, a BOOLEAN other than 0 or 1, a CATEGORICAL without
// StringValue, a StringValue on a NUMERIC or BOOLEAN score, an unknown
// DataType, TraceID and SessionID both set, none of TraceID,
// ObservationID and SessionID set, or Metadata that is not JSON.
//
// A nil error means the score was queued; it never waits on the network.
// Sending is retried with backoff on network errors, 429 and 5xx
// (honouring Retry-After), each attempt with the same client-made id, so
// a retry never makes a second score. The queue holds 1000 scores; beyond
// it scores are dropped. Sent, failed and dropped scores are counted in
// [ReadStats]; [Flush] and [Shutdown] wait for queued scores. The score
// carries the configured environment (LANGFUSE_TRACING_ENVIRONMENT).
// With tracing off (LANGFUSE_TRACING_ENABLED=false or no keys) a valid
// score is discarded and nil returned (ScoreCurrentTrace and
// ScoreCurrentObservation still report that ctx holds no span). ctx is not
// used for sending: the score outlives the call. It picks the pipeline: a
// score made under a span of a client given its own [WithCredentials]
// goes with that client's keys, else with the default pipeline's.
func CreateScore(ctx context.Context, s Score) error {
	return submitScore(ctx, "CreateScore", s)
}

// ScoreCurrentTrace scores the trace [CurrentTraceID] gives for ctx: that
// of the span in ctx (started by [Observe], [StartObservation] or your
// own OpenTelemetry SDK), else the [Generation].TraceID set on ctx. s's
// TraceID is set from ctx and its ObservationID and SessionID cleared. A
// model call does not put its span in the caller's ctx: to score a call
// made without a span around it, set Generation.TraceID ([NewTraceID])
// before the call. It is an error when ctx has no trace; otherwise as
// [CreateScore].
func ScoreCurrentTrace(ctx context.Context, s Score) error {
	if err := checkScore(&s); err != nil {
		return fmt.Errorf("litefuse: ScoreCurrentTrace: %w", err)
	}
	id := CurrentTraceID(ctx)
	if id == "" {
		if g := generationTraceID(ctx); g != "" && currentRest().send { // set, but not a trace ID
			return fmt.Errorf("litefuse: ScoreCurrentTrace: the Generation.TraceID set on ctx, %q, is not a trace ID (%s), so the call was recorded in a new trace this score cannot name; make the ID with litefuse.NewTraceID(seed)", shown(g), invalidTraceIDWhy(g))
		}
		return errNoSpan("ScoreCurrentTrace")
	}
	s.TraceID, s.ObservationID, s.SessionID = id, "", ""
	return submitScore(ctx, "ScoreCurrentTrace", s)
}

// ScoreCurrentObservation scores the span in ctx: s's TraceID and
// ObservationID are set from ctx and its SessionID cleared. It is an error
// when ctx holds no span; otherwise as [CreateScore].
func ScoreCurrentObservation(ctx context.Context, s Score) error {
	sc := trace.SpanContextFromContext(ctx)
	if err := checkScore(&s); err != nil {
		return fmt.Errorf("litefuse: ScoreCurrentObservation: %w", err)
	}
	if !sc.IsValid() {
		return errNoSpan("ScoreCurrentObservation")
	}
	s.TraceID, s.ObservationID, s.SessionID = sc.TraceID().String(), sc.SpanID().String(), ""
	return submitScore(ctx, "ScoreCurrentObservation", s)
}

func errNoSpan(fn string) error {
	if isShutDown() {
		return fmt.Errorf("litefuse: %s: no span in ctx: %w", fn, ErrShutdown)
	}
	if !currentRest().send {
		return fmt.Errorf("litefuse: %s: no span in ctx: tracing is off (no keys, or LANGFUSE_TRACING_ENABLED=false), so no span is ever made", fn)
	}
	if fn == "ScoreCurrentObservation" {
		return fmt.Errorf("litefuse: %s: no span in ctx: call it with the ctx given by Observe or StartObservation (a model call does not change its ctx); to score a call made without a span, give it a trace with Generation.TraceID and use ScoreCurrentTrace", fn)
	}
	return fmt.Errorf("litefuse: %s: no span in ctx: call it with the ctx given by Observe or StartObservation (a model call does not change its ctx); to score a call made without a span, give it a trace first with WithGeneration(ctx, Generation{TraceID: litefuse.NewTraceID(\"\")}) and score that TraceID", fn)
}

// checkScore validates what does not depend on the target and normalizes
// DataType.
func checkScore(s *Score) error {
	if strings.TrimSpace(s.Name) == "" {
		return errors.New("score Name is empty")
	}
	s.DataType = ScoreDataType(strings.ToUpper(strings.TrimSpace(string(s.DataType))))
	if s.DataType == "" {
		s.DataType = ScoreNumeric
	}
	if math.IsNaN(s.Value) || math.IsInf(s.Value, 0) {
		return fmt.Errorf("score %q: Value is %v: want a finite number", s.Name, s.Value)
	}
	switch s.DataType {
	case ScoreNumeric, ScoreBoolean:
		if s.StringValue != "" {
			return fmt.Errorf("score %q: StringValue is set on a %s score: set DataType %q for a categorical score", s.Name, s.DataType, ScoreCategorical)
		}
		if s.DataType == ScoreBoolean && s.Value != 0 && s.Value != 1 {
			return fmt.Errorf("score %q: BOOLEAN Value is %v: want 0 or 1", s.Name, s.Value)
		}
	case ScoreCategorical:
		if s.StringValue == "" {
			return fmt.Errorf("score %q: CATEGORICAL needs a StringValue", s.Name)
		}
	default:
		return fmt.Errorf("score %q: unknown DataType %q: want %q, %q or %q", s.Name, s.DataType, ScoreNumeric, ScoreCategorical, ScoreBoolean)
	}
	return nil
}

// checkTarget validates what the score is about.
func checkTarget(s *Score) error {
	switch {
	case s.TraceID != "" && s.SessionID != "":
		return fmt.Errorf("score %q: TraceID and SessionID are both set: a score is about a trace (or an observation of it) or a session", s.Name)
	case s.ObservationID != "" && s.SessionID != "":
		return fmt.Errorf("score %q: ObservationID and SessionID are both set: an observation belongs to a trace: set TraceID instead of SessionID", s.Name)
	case s.TraceID == "" && s.ObservationID == "" && s.SessionID == "":
		return fmt.Errorf("score %q: none of TraceID, ObservationID and SessionID is set", s.Name)
	}
	return nil
}

type wireScore struct {
	ID            string         `json:"id"`
	TraceID       string         `json:"traceId,omitempty"`
	ObservationID string         `json:"observationId,omitempty"`
	SessionID     string         `json:"sessionId,omitempty"`
	Name          string         `json:"name"`
	Value         any            `json:"value"`
	DataType      string         `json:"dataType"`
	Comment       string         `json:"comment,omitempty"`
	Metadata      map[string]any `json:"metadata,omitempty"`
	Environment   string         `json:"environment,omitempty"`
}

func submitScore(ctx context.Context, fn string, s Score) error {
	if err := checkScore(&s); err != nil {
		return fmt.Errorf("litefuse: %s: %w", fn, err)
	}
	if err := checkTarget(&s); err != nil {
		return fmt.Errorf("litefuse: %s: %w", fn, err)
	}
	if isShutDown() {
		return fmt.Errorf("litefuse: %s: score %q not sent: %w", fn, s.Name, ErrShutdown)
	}
	w := wireScore{
		ID: api.NewID(), TraceID: s.TraceID, ObservationID: s.ObservationID, SessionID: s.SessionID,
		Name: s.Name, Value: s.Value, DataType: string(s.DataType), Comment: s.Comment, Metadata: s.Metadata,
	}
	if s.DataType == ScoreCategorical {
		w.Value = s.StringValue
	}
	r := restOf(trace.SpanFromContext(ctx)) // the pipeline of the span in ctx, else the default
	w.Environment = r.env
	body, err := scoreJSON(ctx, &w) // now: the caller may change Metadata after the call
	if err != nil {
		return fmt.Errorf("litefuse: %s: score %q: Metadata is not JSON: %v", fn, s.Name, err)
	}
	if len(body) > maxScoreBytes {
		return fmt.Errorf("litefuse: %s: score %q is %d bytes of JSON: the limit is %d (Metadata too large?)", fn, s.Name, len(body), maxScoreBytes)
	}
	if !r.send {
		if r.debug {
			r.log.Debug("litefuse: tracing is off: score discarded", "score", s.Name)
		}
		return nil
	}
	r.scores.Enqueue(api.Job{Method: "POST", Path: "/api/public/scores", Body: body})
	return nil
}

// scoreJSON is w's JSON, scrubbed as what an observation records: a
// Comment or Metadata may quote an error that echoes a key. The JSON is
// written without HTML escaping, so that a key is found as it is; a key
// replaced inside a JSON string leaves the JSON valid.
func scoreJSON(ctx context.Context, w *wireScore) (_ []byte, err error) {
	defer func() {
		if p := recover(); p != nil { // a value's MarshalJSON panicked: never the caller's panic
			err = fmt.Errorf("a value's MarshalJSON panicked: %v", p)
		}
	}()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(w); err != nil {
		return nil, err
	}
	b := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	if s := scrubText(ctx, string(b)); len(s) != len(b) || s != string(b) {
		return []byte(s), nil
	}
	return b, nil
}
