package litefuse

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/litefuse/litefuse-go/internal/record"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/litefuse/litefuse-go/internal/fakeark"
	"github.com/litefuse/litefuse-go/internal/otlpreceiver"
	openai "github.com/sashabaranov/go-openai"
	"go.opentelemetry.io/otel/trace"
)

func (p *pipeline) chat(t *testing.T, ctx context.Context) {
	t.Helper()
	if _, err := p.client.CreateChatCompletion(ctx, openai.ChatCompletionRequest{
		Model: fakeark.Model, Messages: []openai.ChatCompletionMessage{{Role: "user", Content: "What is Litefuse?"}},
	}); err != nil {
		t.Fatal(err)
	}
}

// Row: every export carries a scope starting with "langfuse-sdk" and a
// resource with telemetry.sdk.*, service.name, environment and release.
func TestScopeAndResource(t *testing.T) {
	recv := otlpreceiver.New()
	defer recv.Close()
	p := newPipeline(t, recv.BaseURL(), WithServiceName("checkout"), WithEnvironment("production"), WithRelease("v1.2.3"))
	p.chat(t, context.Background())
	spans, err := recv.WaitSpans(1, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	s := spans[0]
	if !strings.HasPrefix(s.Scope, "langfuse-sdk") || s.Scope != ScopeName || s.ScopeVersion != Version {
		t.Errorf("scope %q %q", s.Scope, s.ScopeVersion)
	}
	for k, want := range map[string]any{
		"service.name": "checkout", "langfuse.environment": "production", "langfuse.release": "v1.2.3",
		"telemetry.sdk.language": "go", "telemetry.sdk.name": "opentelemetry",
	} {
		if s.Resource[k] != want {
			t.Errorf("resource %s = %v, want %v (resource %v)", k, s.Resource[k], want, s.Resource)
		}
	}
}

// Row: invalid UTF-8 in OTEL_SERVICE_NAME, LANGFUSE_RELEASE or
// LANGFUSE_TRACING_ENVIRONMENT no longer fails every export.
func TestInvalidUTF8ConfigStillExports(t *testing.T) {
	recv := otlpreceiver.New()
	defer recv.Close()
	c, errs := loadEnv(lookupFrom(map[string]string{
		envPublicKey: "pk", envSecretKey: "sk", envBaseURL: recv.BaseURL(),
		envServiceName: "svc\xff", envRelease: "v\xc3(", envEnvironment: "prod\xfe",
	}))
	errs = append(errs, c.normalize()...)
	if len(errs) != 3 {
		t.Errorf("warnings %v, want one per variable", errs)
	}
	c.logger = nopLogger()
	inst, err := newInstance(c)
	if err != nil {
		t.Fatal(err)
	}
	defer inst.shutdown(context.Background())
	_, s := inst.tracer.Start(context.Background(), "s")
	s.End()
	if err := inst.flush(context.Background()); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	got := recv.Spans()
	if len(got) != 1 || !utf8.ValidString(got[0].Resource["service.name"].(string)) {
		t.Fatalf("spans %+v", got)
	}
	if _, ok := got[0].Resource["langfuse.environment"]; ok {
		t.Errorf("an invalid environment was sent: %v", got[0].Resource)
	}
}

// Row: OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT / _COUNT_LIMIT, meant for the
// application's provider, do not cut Litefuse's attributes; and 200
// metadata keys leave type, input, output and usage in place.
func TestOTELSpanLimitsDoNotCutLitefuse(t *testing.T) {
	t.Setenv("OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT", "12")
	t.Setenv("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "8")
	t.Setenv("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", "12")
	t.Setenv("OTEL_ATTRIBUTE_COUNT_LIMIT", "8")
	recv := otlpreceiver.New()
	defer recv.Close()
	p := newPipeline(t, recv.BaseURL())
	md := make(map[string]any, 200)
	for i := range 200 {
		md[fmt.Sprintf("k%03d", i)] = i
	}
	p.chat(t, WithGeneration(context.Background(), Generation{Metadata: md}))
	spans, err := recv.WaitSpans(1, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	s := spans[0]
	for _, k := range []string{record.KeyObservationType, record.KeyInput, record.KeyOutput, record.KeyUsageDetails} {
		v := s.Str(k)
		if v == "" {
			t.Errorf("%s missing", k)
			continue
		}
		if k != record.KeyObservationType && !json.Valid([]byte(v)) {
			t.Errorf("%s cut to invalid JSON: %q", k, v)
		}
	}
}

// Row: an incoming traceparent with flags 00 still yields a recorded,
// exported generation in the caller's trace (LANGFUSE_SAMPLE_RATE decides
// alone).
func TestUnsampledParentStillRecorded(t *testing.T) {
	recv := otlpreceiver.New()
	defer recv.Close()
	p := newPipeline(t, recv.BaseURL())
	parent := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{0xab, 1}, SpanID: trace.SpanID{0xcd, 2}, TraceFlags: 0, Remote: true,
	})
	p.chat(t, trace.ContextWithRemoteSpanContext(context.Background(), parent))
	spans, err := recv.WaitSpans(1, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if spans[0].TraceID != parent.TraceID().String() || spans[0].ParentID != parent.SpanID().String() {
		t.Errorf("span in trace %s under %s, want the caller's", spans[0].TraceID, spans[0].ParentID)
	}
	if st := p.settle(t); st.Ended != 1 || st.Exported != 1 {
		t.Errorf("stats %+v", st)
	}
}

// Sample rate 0 records nothing, even under a sampled parent.
func TestSampleRateZeroDecidesAlone(t *testing.T) {
	recv := otlpreceiver.New()
	defer recv.Close()
	p := newPipeline(t, recv.BaseURL(), WithSampleRate(0))
	parent := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{0xab, 1}, SpanID: trace.SpanID{0xcd, 2}, TraceFlags: trace.FlagsSampled, Remote: true,
	})
	p.chat(t, trace.ContextWithRemoteSpanContext(context.Background(), parent))
	if st := p.inst.stats(); st.Ended != 0 {
		t.Errorf("stats %+v: recorded at rate 0", st)
	}
}

// Row: a root span name of 1,500 characters is cut to 1,000 (the server
// rejects longer trace names), as valid UTF-8.
func TestSpanNamesCut(t *testing.T) {
	recv := otlpreceiver.New()
	defer recv.Close()
	p := newPipeline(t, recv.BaseURL())
	long := strings.Repeat("é", 1500)
	_, _ = Observe(context.Background(), long, func(ctx context.Context) (int, error) { return 1, nil },
		WithObserveOptions(WithTracerProvider(p.inst.tp)))
	_, s := p.inst.tracer.Start(context.Background(), "bad \xff name")
	s.End()
	spans, err := recv.WaitSpans(2, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	for _, sp := range spans {
		if n := utf8.RuneCountInString(sp.Name); n > MaxSpanNameLen || !utf8.ValidString(sp.Name) {
			t.Errorf("span name of %d characters (valid UTF-8: %v)", n, utf8.ValidString(sp.Name))
		}
	}
}
