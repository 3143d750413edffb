package litefuse_test

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/litefuse/litefuse-go"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

var traceIDForm = regexp.MustCompile(`^[0-9a-f]{32}$`)

// Vectors computed independently with Python:
// hashlib.sha256(seed.encode()).digest()[:16].hex(), which is what the
// Python SDK's create_trace_id(seed=seed) returns.
func TestNewTraceIDAsPython(t *testing.T) {
	for seed, want := range map[string]string{
		"my-seed":           "e47b450a58ba3f9ba4a36ec20b7f7c18",
		"conversation-42/ü": "8acbc77ba6c676db3aa6bfaf3a0dfa79",
	} {
		if got := litefuse.NewTraceID(seed); got != want {
			t.Errorf("NewTraceID(%q) = %q, want %q", seed, got, want)
		}
	}
	a, b := litefuse.NewTraceID(""), litefuse.NewTraceID("")
	if !traceIDForm.MatchString(a) || !traceIDForm.MatchString(b) || a == b {
		t.Errorf("random trace IDs %q, %q: want two different 32-digit lowercase hex IDs", a, b)
	}
}

// A call made with no span around it, given Generation.TraceID, is the
// root of that trace (no parent in what Litefuse receives), and ctx then
// names that trace for scores and links. A bare call leaves ctx without
// a trace, as the docs say.
func TestGenerationTraceIDStartsTheTrace(t *testing.T) {
	e := newEnv(t)
	if _, err := e.client.CreateChatCompletion(context.Background(), seedRequest()); err != nil {
		t.Fatal(err)
	}
	if id := litefuse.CurrentTraceID(context.Background()); id != "" {
		t.Errorf("CurrentTraceID after a bare call = %q, want \"\"", id)
	}
	id := litefuse.NewTraceID("request-7")
	ctx := litefuse.WithGeneration(context.Background(), litefuse.Generation{Name: "known", TraceID: id})
	if _, err := e.client.CreateChatCompletion(ctx, seedRequest()); err != nil {
		t.Fatal(err)
	}
	gen := byName(e.spans(t, 2))["known"]
	if gen.TraceID != id || gen.ParentID != "" {
		t.Errorf("generation trace %q parent %q; want trace %q and no parent", gen.TraceID, gen.ParentID, id)
	}
	if gen.Attrs["langfuse.internal.as_root"] != true {
		t.Errorf("as_root = %v, want true", gen.Attrs["langfuse.internal.as_root"])
	}
	if got := litefuse.CurrentTraceID(ctx); got != id {
		t.Errorf("CurrentTraceID(ctx with Generation.TraceID) = %q, want %q", got, id)
	}
}

// WithTraceID makes an observation the root of a known trace; what runs
// under it nests as usual.
func TestWithTraceIDObserve(t *testing.T) {
	e := newEnv(t)
	id := litefuse.NewTraceID("job-1")
	_, err := litefuse.Observe(context.Background(), "step", func(ctx context.Context) (string, error) {
		if got := litefuse.CurrentTraceID(ctx); got != id {
			t.Errorf("CurrentTraceID inside = %q, want %q", got, id)
		}
		_, err := e.client.CreateChatCompletion(litefuse.WithGeneration(ctx, litefuse.Generation{Name: "inner"}), seedRequest())
		return "", err
	}, e.obs(), litefuse.WithTraceID(id))
	if err != nil {
		t.Fatal(err)
	}
	spans := byName(e.spans(t, 2))
	step, inner := spans["step"], spans["inner"]
	if step.TraceID != id || step.ParentID != "" || inner.TraceID != id || inner.ParentID != step.SpanID {
		t.Errorf("step %s/%q, inner %s/%q; want both in %s, step the root, inner under it", step.TraceID, step.ParentID, inner.TraceID, inner.ParentID, id)
	}
	if _, ok := inner.Attrs["langfuse.internal.as_root"]; ok {
		t.Error("a child span is marked as_root")
	}
}

// An ID that is not a trace ID: the call is still recorded, in a new
// trace, with one warning naming the value and the fix.
func TestBadTraceIDRecordedWithOneWarning(t *testing.T) {
	log := &logBuffer{}
	e := newEnv(t, litefuse.WithLogger(log.logger()))
	bad := "Req-42-NOT-HEX-" + litefuse.NewTraceID("")[:6] // unique: a value is warned about once per process
	ctx := litefuse.WithGeneration(context.Background(), litefuse.Generation{TraceID: bad})
	for range 3 {
		if _, err := e.client.CreateChatCompletion(ctx, seedRequest()); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range e.spans(t, 3) {
		if !traceIDForm.MatchString(s.TraceID) || s.ParentID != "" {
			t.Errorf("span %q in trace %q parent %q: want a new trace", s.Name, s.TraceID, s.ParentID)
		}
	}
	out := log.String()
	if n := strings.Count(out, "level=WARN"); n != 1 || !strings.Contains(out, `Generation.TraceID \"`+bad+`\"`) ||
		!strings.Contains(out, "NewTraceID") {
		t.Errorf("want one warning naming Generation.TraceID, the value and NewTraceID; got %d:\n%s", n, out)
	}
	if got := litefuse.CurrentTraceID(ctx); got != "" {
		t.Errorf("CurrentTraceID with an invalid Generation.TraceID = %q, want \"\"", got)
	}
}

// With the application's own provider, the span in a known trace has the
// Python SDK's shape: a synthetic parent carrying the trace ID, and
// langfuse.internal.as_root=true.
func TestKnownTraceWithOwnProvider(t *testing.T) {
	mem := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(mem))
	defer tp.Shutdown(context.Background())
	id := litefuse.NewTraceID("x")
	_, obs := litefuse.StartObservation(context.Background(), "own",
		litefuse.WithObserveOptions(litefuse.WithTracerProvider(tp)), litefuse.WithTraceID(id))
	obs.End()
	spans := mem.GetSpans()
	if len(spans) != 1 {
		t.Fatalf("%d spans", len(spans))
	}
	s := spans[0]
	asRoot := false
	for _, kv := range s.Attributes {
		if string(kv.Key) == "langfuse.internal.as_root" {
			asRoot = kv.Value.AsBool()
		}
	}
	if s.SpanContext.TraceID().String() != id || !s.Parent.IsValid() || !asRoot {
		t.Errorf("trace %s parent %v as_root %v; want trace %s, a synthetic parent and as_root", s.SpanContext.TraceID(), s.Parent.IsValid(), asRoot, id)
	}
}

// The documented way to score a bare call: its ctx carries
// Generation.TraceID, and ScoreCurrentTrace (or CreateScore with that
// TraceID) scores that trace.
func TestScoreABareCallThroughItsTraceID(t *testing.T) {
	recv, _ := platformEnv(t, 0)
	id := litefuse.NewTraceID("conversation-9")
	ctx := litefuse.WithGeneration(context.Background(), litefuse.Generation{TraceID: id})
	if err := litefuse.ScoreCurrentTrace(ctx, litefuse.Score{Name: "helpful", Value: 1, DataType: litefuse.ScoreBoolean}); err != nil {
		t.Fatal(err)
	}
	if err := flushScores(t); err != nil {
		t.Fatal(err)
	}
	bodies := scoreBodies(t, recv)
	if len(bodies) != 1 || bodies[0]["traceId"] != id || bodies[0]["dataType"] != "BOOLEAN" {
		t.Errorf("scores sent: %v; want one BOOLEAN score on trace %s", bodies, id)
	}
	err := litefuse.ScoreCurrentTrace(context.Background(), litefuse.Score{Name: "helpful", Value: 1})
	if err == nil || !strings.Contains(err.Error(), "Generation{TraceID: litefuse.NewTraceID") {
		t.Errorf("ScoreCurrentTrace without a trace: %v; want the way to give a bare call a trace", err)
	}
}

// A Generation.TraceID given under a span that is in another trace: the
// call joins the span's trace (it nests as before) and one warning says
// the ID was not used.
func TestTraceIDUnderASpanWarns(t *testing.T) {
	log := &logBuffer{}
	e := newEnv(t, litefuse.WithLogger(log.logger()))
	id := litefuse.NewTraceID("") // unique: an ID is warned about once per process
	_, _ = litefuse.Observe(context.Background(), "outer", func(ctx context.Context) (int, error) {
		ctx = litefuse.WithGeneration(ctx, litefuse.Generation{Name: "inner", TraceID: id})
		for range 2 {
			if _, err := e.client.CreateChatCompletion(ctx, seedRequest()); err != nil {
				return 0, err
			}
		}
		return 0, nil
	}, e.obs(litefuse.WithLogger(log.logger())))
	spans := e.spans(t, 3)
	outer := byName(spans)["outer"]
	for _, s := range spans {
		if s.TraceID != outer.TraceID {
			t.Errorf("%s in trace %s, want the outer span's %s", s.Name, s.TraceID, outer.TraceID)
		}
	}
	if n := strings.Count(log.String(), "is not used: ctx already holds a span"); n != 1 {
		t.Errorf("%d warnings, want 1:\n%s", n, log.String())
	}
}
