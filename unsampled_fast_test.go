package litefuse

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/litefuse/litefuse-go/internal/otlpreceiver"
	"github.com/litefuse/litefuse-go/internal/span"
	openai "github.com/sashabaranov/go-openai"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// Trace ids a rate of 0.5 keeps and drops: the low 63 bits of the id's
// second half below or above half of 2^63.
var (
	keptAtHalf    = trace.TraceID{0x11, 8: 0x00, 15: 0x01}
	droppedAtHalf = trace.TraceID{0x22, 8: 0xff}
)

// appParent is ctx under an application's span in trace tid, as an
// incoming traceparent (sampled by the application) leaves it.
func appParent(ctx context.Context, tid trace.TraceID) context.Context {
	return trace.ContextWithRemoteSpanContext(ctx, trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: tid, SpanID: trace.SpanID{0x5a, 7: 1}, TraceFlags: trace.FlagsSampled,
	}))
}

// appRoot starts an application span in a new trace under ctx (an
// observation's, say), with the application's own SDK tracer.
func appRoot(t *testing.T, ctx context.Context) context.Context {
	t.Helper()
	app := sdktrace.NewTracerProvider()
	t.Cleanup(func() { _ = app.Shutdown(context.Background()) })
	ctx, s := app.Tracer("app").Start(ctx, "request", trace.WithNewRoot())
	t.Cleanup(func() { s.End() })
	return ctx
}

// libProvider is a library span provider (as its pipelines build)
// sampling at rate.
func libProvider(rate float64) *span.Provider {
	return span.NewProvider(span.Config{Sampler: sampler{rate}, Limits: span.Limits, Processor: tracetest.NewSpanRecorder()})
}

// TestUnsampledDecidesAsStart holds the decision taken before any span is
// started (recorder.unsampled, which lets a call start none) against the
// one the span's own Start takes, for every rule the sampler follows: a
// call the fast path leaves out must be one Start would not have recorded,
// and where the outcome is sure the fast path must take it.
func TestUnsampledDecidesAsStart(t *testing.T) {
	const (
		record = "recorded"
		drop   = "dropped"
		drawn  = "decided by the id drawn for a new trace" // at a rate between 0 and 1
		unsure = "left to Start"                           // a new trace, an invalid WithGeneration trace id given
	)
	for _, tc := range []struct {
		name     string
		pipeline float64 // the provider's rate
		client   float64 // the client's WithSampleRate; < 0: none
		// in runs call with the call's context; tp is the provider.
		in   func(t *testing.T, tp trace.TracerProvider, call func(context.Context))
		want string
	}{
		{"new trace, pipeline rate 0", 0, -1, root, drop},
		{"new trace, pipeline rate 1", 1, -1, root, record},
		{"new trace, pipeline rate 0.5", 0.5, -1, root, drawn},
		{"new trace, client rate 0 over pipeline 1", 1, 0, root, drop},
		{"new trace, client rate 1 over pipeline 0", 0, 1, root, record},
		{"new trace, client rate 0.5 over pipeline 0", 0, 0.5, root, drawn},

		{"application's parent, trace kept at 0.5", 0.5, -1, underApp(keptAtHalf), record},
		{"application's parent, trace dropped at 0.5", 0.5, -1, underApp(droppedAtHalf), drop},
		{"application's parent, client rate 0.5, trace dropped", 1, 0.5, underApp(droppedAtHalf), drop},
		{"application's parent, client rate 0.5, trace kept", 0, 0.5, underApp(keptAtHalf), record},
		{"application's sampled parent, rate 0", 1, 0, underApp(keptAtHalf), drop},
		{"parent with a trace id and no span id, trace dropped at 0.5", 0.5, -1, underTraceOnly(droppedAtHalf), drop},
		{"parent with a trace id and no span id, trace kept at 0.5", 0.5, -1, underTraceOnly(keptAtHalf), record},

		{"WithGeneration trace id kept at 0.5", 0.5, -1, inGenerationTrace(keptAtHalf.String()), record},
		{"WithGeneration trace id dropped at 0.5", 0.5, -1, inGenerationTrace(droppedAtHalf.String()), drop},
		{"WithGeneration trace id, rate 0", 0, -1, inGenerationTrace(keptAtHalf.String()), drop},
		{"WithGeneration invalid trace id: a new trace, rate 0", 0, -1, inGenerationTrace("not-a-trace-id"), drop},
		{"WithGeneration invalid trace id: a new trace, rate 0.5", 0.5, -1, inGenerationTrace("not-a-trace-id"), unsure},
		{"WithGeneration trace id under a span of another trace: the span's", 0.5, -1, func(t *testing.T, tp trace.TracerProvider, call func(context.Context)) {
			call(WithGeneration(appParent(context.Background(), droppedAtHalf), Generation{TraceID: keptAtHalf.String()}))
		}, drop},
		{"WithGeneration trace id dropped, under a span of a kept trace: the span's", 0.5, -1, func(t *testing.T, tp trace.TracerProvider, call func(context.Context)) {
			call(WithGeneration(appParent(context.Background(), keptAtHalf), Generation{TraceID: droppedAtHalf.String()}))
		}, record},

		// Under the library's own observation: the calls follow its decision
		// for its trace, whatever their rate.
		{"under a sampled observation, client rate 0", 1, 0, underObservation(-1), record},
		{"under an observation sampled at its own rate 1, pipeline and client rate 0", 0, 0, underObservation(1), record},
		{"under an unsampled observation, client rate 1", 0, 1, underObservation(-1), drop},
		{"under an unsampled observation in an application's kept trace, client rate 1", 1, 1, func(t *testing.T, tp trace.TracerProvider, call func(context.Context)) {
			observe(t, tp, appParent(context.Background(), keptAtHalf), 0, call)
		}, drop},
		// A decision for another trace is not this call's: an application
		// root started inside the observation begins a new trace.
		{"sampled observation, then an application's new trace, client rate 0", 1, 0, func(t *testing.T, tp trace.TracerProvider, call func(context.Context)) {
			observe(t, tp, context.Background(), -1, func(ctx context.Context) { call(appRoot(t, ctx)) })
		}, drop},
		{"unsampled observation, then an application's new trace, client rate 1", 0, 1, func(t *testing.T, tp trace.TracerProvider, call func(context.Context)) {
			observe(t, tp, context.Background(), -1, func(ctx context.Context) { call(appRoot(t, ctx)) })
		}, record},
		// The rate an observation was made with reaches the calls under it
		// that have none of their own, in a trace it did not decide.
		{"observation at its own rate 1, then an application's new trace, pipeline rate 0", 0, -1, func(t *testing.T, tp trace.TracerProvider, call func(context.Context)) {
			observe(t, tp, context.Background(), 1, func(ctx context.Context) { call(appRoot(t, ctx)) })
		}, record},
		{"observation at its own rate 0, then an application's new trace, pipeline rate 1", 1, -1, func(t *testing.T, tp trace.TracerProvider, call func(context.Context)) {
			observe(t, tp, context.Background(), 0, func(ctx context.Context) { call(appRoot(t, ctx)) })
		}, drop},
		{"observation at its own rate 0, then an application's new trace, client rate 1", 1, 1, func(t *testing.T, tp trace.TracerProvider, call func(context.Context)) {
			observe(t, tp, context.Background(), 0, func(ctx context.Context) { call(appRoot(t, ctx)) })
		}, record},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tp := libProvider(tc.pipeline)
			opts := []Option{WithTracerProvider(tp), WithLogger(nopLogger())}
			if tc.client >= 0 {
				opts = append(opts, WithSampleRate(tc.client))
			}
			rec := newRecorder(opts)
			rec.resolve()
			var recorded, dropped int
			call := func(ctx context.Context) {
				id := generationTraceID(ctx)
				fast, newTrace := rec.unsampled(ctx, id)
				var s trace.Span
				if newTrace.IsValid() {
					_, s = rec.startTrace(ctx, newTrace, "chat", trace.SpanKindClient)
					if got := s.SpanContext().TraceID(); got != newTrace {
						t.Errorf("the span is in trace %s, not in the one drawn for it, %s", got, newTrace)
					}
				} else {
					_, s = rec.startIn(ctx, id, "Generation.TraceID", "chat", trace.SpanKindClient)
				}
				isRec := s.IsRecording()
				s.End()
				if fast && isRec {
					t.Fatalf("the fast path leaves out a call Start records")
				}
				if isRec {
					recorded++
				} else {
					dropped++
				}
				switch tc.want {
				case drop:
					if !fast {
						t.Errorf("the fast path did not leave out a call Start drops")
					}
				case drawn:
					if !newTrace.IsValid() {
						t.Errorf("no trace id drawn for a new trace at a rate between 0 and 1")
					}
					if fast == isRec {
						t.Errorf("the fast path decided %v on the id it drew, Start %v", !fast, isRec)
					}
				case record, unsure:
					if fast || newTrace.IsValid() {
						t.Errorf("the fast path decided (drop %v, trace id drawn %v); want it left to Start", fast, newTrace.IsValid())
					}
				}
			}
			runs := 1
			if tc.want == drawn || tc.want == unsure {
				runs = 64 // both outcomes, each time as Start decides
			}
			for range runs {
				tc.in(t, tp, call)
			}
			switch {
			case recorded+dropped != runs:
				t.Fatalf("%d of %d calls made", recorded+dropped, runs)
			case tc.want == record && dropped > 0:
				t.Errorf("Start did not record the call; want recorded")
			case tc.want == drop && recorded > 0:
				t.Errorf("Start recorded the call; want it sampled out")
			case (tc.want == drawn || tc.want == unsure) && (recorded == 0 || dropped == 0):
				t.Errorf("%d recorded, %d dropped of %d new traces at rate 0.5", recorded, dropped, runs)
			}
		})
	}
}

func root(t *testing.T, tp trace.TracerProvider, call func(context.Context)) {
	call(context.Background())
}

func underApp(tid trace.TraceID) func(*testing.T, trace.TracerProvider, func(context.Context)) {
	return func(t *testing.T, tp trace.TracerProvider, call func(context.Context)) {
		call(appParent(context.Background(), tid))
	}
}

// underTraceOnly: a span context with a trace id and no span id (not
// valid as a parent, yet Start joins its trace).
func underTraceOnly(tid trace.TraceID) func(*testing.T, trace.TracerProvider, func(context.Context)) {
	return func(t *testing.T, tp trace.TracerProvider, call func(context.Context)) {
		call(trace.ContextWithSpanContext(context.Background(), trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid})))
	}
}

func inGenerationTrace(id string) func(*testing.T, trace.TracerProvider, func(context.Context)) {
	return func(t *testing.T, tp trace.TracerProvider, call func(context.Context)) {
		call(WithGeneration(context.Background(), Generation{TraceID: id}))
	}
}

// underObservation makes the call inside an observation recorded by tp,
// at its own rate (< 0: the provider's).
func underObservation(rate float64) func(*testing.T, trace.TracerProvider, func(context.Context)) {
	return func(t *testing.T, tp trace.TracerProvider, call func(context.Context)) {
		observe(t, tp, context.Background(), rate, call)
	}
}

func observe(t *testing.T, tp trace.TracerProvider, ctx context.Context, rate float64, fn func(context.Context)) {
	t.Helper()
	opts := []Option{WithTracerProvider(tp), WithLogger(nopLogger())}
	if rate >= 0 {
		opts = append(opts, WithSampleRate(rate))
	}
	if _, err := Observe(ctx, "step", func(ctx context.Context) (int, error) {
		fn(ctx)
		return 0, nil
	}, WithObserveOptions(opts...)); err != nil {
		t.Fatal(err)
	}
}

// fastPipeline is a real export pipeline at rate to a local OTLP receiver,
// and go-openai clients on an in-memory transport recording into it.
type fastPipeline struct {
	inst *instance
	recv *otlpreceiver.Receiver
	cfg  openai.ClientConfig
}

func newFastPipeline(t *testing.T, rate float64) *fastPipeline {
	t.Helper()
	recv := otlpreceiver.New()
	t.Cleanup(recv.Close)
	cfg := defaultConfig()
	cfg.apply([]Option{
		WithCredentials("pk-lf-1", "sk-lf-secret"), WithBaseURL(recv.BaseURL()),
		WithFlushInterval(time.Hour), WithLogger(nopLogger()), WithSampleRate(rate),
	})
	inst, err := newInstance(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = inst.tp.Shutdown(context.Background()) })
	ocfg := openai.DefaultConfig("ark-fast-path-tenant-key-0042")
	ocfg.BaseURL = "https://ark.ap-southeast.bytepluses.com/api/v3"
	ocfg.HTTPClient = &http.Client{Transport: cannedTransport{chatBody(), "application/json"}}
	return &fastPipeline{inst, recv, ocfg}
}

func (p *fastPipeline) client(opts ...Option) *Client {
	return NewClientWithConfig(p.cfg, append([]Option{WithTracerProvider(p.inst.tp)}, opts...)...)
}

// flush exports what is queued and returns every span Litefuse has.
func (p *fastPipeline) flush(t *testing.T) []otlpreceiver.Span {
	t.Helper()
	if err := p.inst.tp.ForceFlush(context.Background()); err != nil {
		t.Fatal(err)
	}
	return p.recv.Spans()
}

// TestUnsampledCallsOnTheWire: what Litefuse receives (decoded from the
// OTLP export) and what Stats counts, for calls the fast path decides,
// is what the sampling rules say, and each call's answer is the bare
// client's.
func TestUnsampledCallsOnTheWire(t *testing.T) {
	p := newFastPipeline(t, 1)
	zero := p.client(WithSampleRate(0))
	bare := openai.NewClientWithConfig(p.cfg)
	want, err := bare.CreateChatCompletion(context.Background(), benchRequest())
	if err != nil {
		t.Fatal(err)
	}
	chat := func(ctx context.Context) {
		t.Helper()
		got, err := zero.CreateChatCompletion(ctx, benchRequest())
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != want.ID || got.Choices[0].Message.Content != want.Choices[0].Message.Content || got.Usage.TotalTokens != want.Usage.TotalTokens {
			t.Errorf("the answer differs from the bare client's: %+v", got)
		}
	}

	chat(context.Background())                                                           // rate 0: not recorded
	chat(appParent(context.Background(), keptAtHalf))                                    // under the application's sampled span: not recorded
	chat(WithGeneration(context.Background(), Generation{TraceID: keptAtHalf.String()})) // in a known trace: not recorded
	if spans := p.flush(t); len(spans) != 0 {
		t.Fatalf("Litefuse got %d spans from a client at rate 0 with no observation around its calls", len(spans))
	}

	// Under a sampled observation the call follows it: recorded.
	var obsTrace string
	observe(t, p.inst.tp, context.Background(), -1, func(ctx context.Context) {
		obsTrace = trace.SpanContextFromContext(ctx).TraceID().String()
		chat(ctx)
		// An application's new trace inside it is not the observation's:
		// the client's rate 0 decides.
		chat(appRoot(t, ctx))
	})
	spans := p.flush(t)
	if len(spans) != 2 {
		t.Fatalf("Litefuse got %d spans; want the observation and its generation", len(spans))
	}
	var gen otlpreceiver.Span
	for _, s := range spans {
		if s.TraceID != obsTrace {
			t.Errorf("span %q in trace %s, want the observation's %s", s.Name, s.TraceID, obsTrace)
		}
		if s.Str("langfuse.observation.type") == "generation" {
			gen = s
		}
	}
	if gen.Name == "" || gen.Str("gen_ai.response.model") == "" {
		t.Errorf("the generation under the observation was not recorded whole: %+v", gen)
	}
	if st := p.inst.stats(); st.Ended != 2 || st.Exported != 2 || st.Dropped != 0 || st.Queued != 0 {
		t.Errorf("stats %+v; want the 2 sampled spans ended and exported, none for the calls left out", st)
	}

	// New traces at rate 0.5: each call's trace id, drawn before its span,
	// decides, and the span is recorded in that trace (as any service the
	// trace reaches decides on it). The ids drawn here alternate between
	// one the rate keeps and one it drops.
	half := newRecorder([]Option{WithTracerProvider(p.inst.tp), WithSampleRate(0.5)})
	var drawn []trace.TraceID
	half.drawID = func() trace.TraceID {
		tid := droppedAtHalf
		if len(drawn)%2 == 0 {
			tid = keptAtHalf
		}
		tid[1] = byte(len(drawn)) // one trace a call
		drawn = append(drawn, tid)
		return tid
	}
	const calls = 8
	for range calls {
		req, _ := http.NewRequest(http.MethodPost, p.cfg.BaseURL+"/chat/completions", strings.NewReader(`{"model":"m","messages":[{"role":"user","content":"hi"}]}`))
		resp, err := half.roundTrip(req, p.cfg.HTTPClient.(*http.Client).Transport.RoundTrip)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
	}
	if len(drawn) != calls {
		t.Fatalf("%d trace ids drawn for %d calls in new traces", len(drawn), calls)
	}
	spans = p.flush(t)[2:]
	if len(spans) != calls/2 {
		t.Errorf("%d of %d new traces recorded at rate 0.5; want the %d whose ids it keeps", len(spans), calls, calls/2)
	}
	for i, s := range spans {
		if i < len(drawn)/2 && s.TraceID != drawn[2*i].String() {
			t.Errorf("span %d in trace %s; want the id drawn for its call, %s", i, s.TraceID, drawn[2*i])
		}
	}
	if st := p.inst.stats(); st.Ended != int64(2+len(spans)) || st.Exported != st.Ended {
		t.Errorf("stats %+v; want the %d sampled spans ended and exported", st, 2+len(spans))
	}
}

// TestUnsampledCallsKeysScrubbed: a call left out before any span is
// started still has its key remembered for the observation around it,
// which scrubs the key from what it records (here its error's text), even
// once the process-wide list has dropped the key.
func TestUnsampledCallsKeysScrubbed(t *testing.T) {
	resetSecrets()
	defer resetSecrets()
	p := newFastPipeline(t, 1)
	zero := p.client(WithSampleRate(0))
	const key = "ark-fast-path-tenant-key-0042" // p's clients' key
	sr := tracetest.NewSpanRecorder()
	obsTP := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr))
	defer func() { _ = obsTP.Shutdown(context.Background()) }()
	_, err := Observe(context.Background(), "step", func(ctx context.Context) (string, error) {
		// A new trace of the application's: the client's rate 0 leaves
		// the call out.
		if _, err := zero.CreateChatCompletion(appRoot(t, ctx), benchRequest()); err != nil {
			return "", err
		}
		resetSecrets() // evicted from the process-wide list since
		return "", errors.New("401: the API key " + key + " is invalid")
	}, WithObserveOptions(WithTracerProvider(obsTP)))
	if err == nil || !strings.Contains(err.Error(), key) {
		t.Fatalf("Observe returned %v; want the function's own error, unchanged", err)
	}
	if n := len(p.flush(t)); n != 0 {
		t.Fatalf("the call was recorded (%d spans); the test needs it left out", n)
	}
	spans := sr.Ended()
	if len(spans) != 1 {
		t.Fatalf("%d spans", len(spans))
	}
	if d := spans[0].Status().Description; d == "" || strings.Contains(d, key) {
		t.Errorf("the observation's status %q; want the error with the call's key scrubbed", d)
	}
}

// countingSampler samples every span and counts the spans it is asked
// about.
type countingSampler struct{ n *atomic.Int64 }

func (s countingSampler) ShouldSample(p sdktrace.SamplingParameters) sdktrace.SamplingResult {
	s.n.Add(1)
	return sdktrace.AlwaysSample().ShouldSample(p)
}

func (s countingSampler) Description() string { return "counting" }

// TestOtherProvidersStillDecide: the fast path is for the library's own
// sampler only. An application's provider given with WithTracerProvider
// still gets every call's Start, and its sampler decides, whatever the
// client's rate; the SDK provider NewTracerProvider builds records what
// the rules say.
func TestOtherProvidersStillDecide(t *testing.T) {
	var asked atomic.Int64
	sr := tracetest.NewSpanRecorder()
	app := sdktrace.NewTracerProvider(sdktrace.WithSampler(countingSampler{&asked}), sdktrace.WithSpanProcessor(sr))
	defer func() { _ = app.Shutdown(context.Background()) }()
	p := newFastPipeline(t, 1)
	c := NewClientWithConfig(p.cfg, WithTracerProvider(app), WithSampleRate(0))
	for range 3 {
		if _, err := c.CreateChatCompletion(context.Background(), benchRequest()); err != nil {
			t.Fatal(err)
		}
	}
	if n := asked.Load(); n != 3 {
		t.Errorf("the application's sampler was asked about %d of 3 calls", n)
	}
	if n := len(sr.Ended()); n != 3 {
		t.Errorf("the application's provider recorded %d of 3 calls its sampler keeps", n)
	}

	recv := otlpreceiver.New()
	defer recv.Close()
	sdk, err := NewTracerProvider(WithCredentials("pk-lf-1", "sk-lf-secret"), WithBaseURL(recv.BaseURL()),
		WithFlushInterval(time.Hour), WithLogger(nopLogger()), WithSampleRate(0))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = sdk.Shutdown(context.Background()) }()
	half := NewClientWithConfig(p.cfg, WithTracerProvider(sdk), WithSampleRate(0.5))
	for _, tid := range []trace.TraceID{keptAtHalf, droppedAtHalf} {
		if _, err := half.CreateChatCompletion(appParent(context.Background(), tid), benchRequest()); err != nil {
			t.Fatal(err)
		}
	}
	if err := sdk.ForceFlush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if spans := recv.Spans(); len(spans) != 1 || spans[0].TraceID != keptAtHalf.String() {
		t.Errorf("the SDK provider at rate 0.5 exported %d spans; want the one in the kept trace", len(spans))
	}
}

// TestNotRecordedCallsAllocateLittle: a call the library does not record
// (tracing off by a no-op provider, or sampled out by the library's own
// sampler, on each of the ways it is) costs no allocation over the bare
// round trip: the list of the request's keys, kept for scrubbing, is the
// last call's when the key repeats. Issue 21 bounds it at two.
func TestNotRecordedCallsAllocateLittle(t *testing.T) {
	none := libProvider(0)
	all := libProvider(1)
	half := libProvider(0.5)
	bg := context.Background()
	var underUnsampled context.Context
	observe(t, none, bg, -1, func(ctx context.Context) { underUnsampled = ctx })

	canned := cannedTransport{chatBody(), "application/json"}
	reqBody := []byte(`{"model":"m","messages":[{"role":"user","content":"hi"}]}`)
	allocs := func(rec *recorder, ctx context.Context) float64 {
		return testing.AllocsPerRun(200, func() {
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "https://ark.ap-southeast.bytepluses.com/api/v3/chat/completions", bytes.NewReader(reqBody))
			req.Header = http.Header{"Authorization": {"Bearer ark-alloc-0123456789abcdef"}}
			var resp *http.Response
			var err error
			if rec == nil {
				resp, err = canned.RoundTrip(req)
			} else {
				resp, err = rec.roundTrip(req, canned.RoundTrip)
			}
			if err != nil {
				t.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
		})
	}
	bare := allocs(nil, bg)
	for _, v := range []struct {
		name string
		rec  *recorder
		ctx  context.Context
	}{
		{"no-op provider", newRecorder([]Option{WithTracerProvider(noop.NewTracerProvider())}), bg},
		{"pipeline rate 0", newRecorder([]Option{WithTracerProvider(none)}), bg},
		{"client rate 0", newRecorder([]Option{WithTracerProvider(all), WithSampleRate(0)}), bg},
		{"under an unsampled observation", newRecorder([]Option{WithTracerProvider(all)}), underUnsampled},
		{"rate 0.5, a trace it drops", newRecorder([]Option{WithTracerProvider(half)}), appParent(bg, droppedAtHalf)},
	} {
		if n := allocs(v.rec, v.ctx); n > bare {
			t.Errorf("%s: %.0f allocations a call, bare %.0f; want no more", v.name, n, bare)
		}
	}
}
