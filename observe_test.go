package litefuse_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/litefuse/litefuse-go"
	"github.com/litefuse/litefuse-go/internal/fakeark"
	"github.com/litefuse/litefuse-go/internal/otlpreceiver"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

func (e *env) obs(opts ...litefuse.Option) litefuse.ObserveOption {
	return litefuse.WithObserveOptions(append([]litefuse.Option{litefuse.WithTracerProvider(e.tp)}, opts...)...)
}

func byName(spans []otlpreceiver.Span) map[string]otlpreceiver.Span {
	m := make(map[string]otlpreceiver.Span, len(spans))
	for _, s := range spans {
		m[s.Name] = s
	}
	return m
}

// The seed's my_llm_pipeline: an observed function that tags its trace and
// makes a generation.
func TestSeedPipelineOneTraceTwoSpans(t *testing.T) {
	e := newEnv(t)
	seedAttrs := litefuse.Attributes{
		UserID: "user_123", SessionID: "session_abc", Version: "1.0.0",
		Tags:     []string{"agent", "my-trace"},
		Metadata: map[string]string{"email": "user@example.com"},
	}
	out, err := litefuse.Observe(context.Background(), "my_llm_pipeline", func(ctx context.Context) (string, error) {
		ctx = litefuse.PropagateAttributes(ctx, seedAttrs)
		resp, err := e.client.CreateChatCompletion(litefuse.WithGeneration(ctx, litefuse.Generation{Name: "BytePlus-Generation"}), seedRequest())
		if err != nil {
			return "", err
		}
		return resp.Choices[0].Message.Content, nil
	}, e.obs(), litefuse.WithInput(map[string]string{"question": "What is Litefuse?"}))
	if err != nil || out != fakeark.DefaultReply().Content {
		t.Fatalf("Observe = %q, %v", out, err)
	}
	spans := byName(e.spans(t, 2))
	pipe, gen := spans["my_llm_pipeline"], spans["BytePlus-Generation"]
	if pipe.TraceID == "" || gen.TraceID != pipe.TraceID {
		t.Fatalf("not one trace: %q vs %q", pipe.TraceID, gen.TraceID)
	}
	if gen.ParentID != pipe.SpanID || pipe.ParentID != "" {
		t.Errorf("generation parent %q, want pipeline %q (pipeline parent %q)", gen.ParentID, pipe.SpanID, pipe.ParentID)
	}
	if pipe.Str("langfuse.observation.type") != "span" || gen.Str("langfuse.observation.type") != "generation" {
		t.Errorf("types: %q, %q", pipe.Str("langfuse.observation.type"), gen.Str("langfuse.observation.type"))
	}
	if got := pipe.Str("langfuse.observation.input"); got != `{"question":"What is Litefuse?"}` {
		t.Errorf("pipeline input = %s", got)
	}
	if got := pipe.Str("langfuse.observation.output"); got != mustJSON(t, out) {
		t.Errorf("pipeline output = %s", got)
	}
	for _, s := range []otlpreceiver.Span{pipe, gen} {
		for k, want := range map[string]string{"user.id": "user_123", "session.id": "session_abc", "langfuse.version": "1.0.0", "langfuse.trace.metadata.email": "user@example.com"} {
			if got := s.Str(k); got != want {
				t.Errorf("%s: %s = %q, want %q", s.Name, k, got, want)
			}
		}
		if got := s.Attrs["langfuse.trace.tags"]; !reflect.DeepEqual(got, []string{"agent", "my-trace"}) {
			t.Errorf("%s: tags = %#v (want a string array)", s.Name, got)
		}
	}
}

func TestPropagateAttributesMerge(t *testing.T) {
	e := newEnv(t)
	ctx := litefuse.PropagateAttributes(context.Background(), litefuse.Attributes{
		UserID: "outer", SessionID: "s1", Tags: []string{"a", "b"}, Metadata: map[string]string{"k1": "v1", "k2": "outer"},
	})
	ctx = litefuse.PropagateAttributes(ctx, litefuse.Attributes{
		UserID: "inner", Tags: []string{"b", "c"}, Metadata: map[string]string{"k2": "inner"},
		TraceName: strings.Repeat("x", 201), // over 200 characters: dropped
	})
	if _, err := e.client.CreateChatCompletion(ctx, seedRequest()); err != nil {
		t.Fatal(err)
	}
	s := e.one(t)
	if s.Str("user.id") != "inner" || s.Str("session.id") != "s1" || s.Str("langfuse.trace.metadata.k1") != "v1" || s.Str("langfuse.trace.metadata.k2") != "inner" {
		t.Errorf("merge: %v", s.Attrs)
	}
	if got := s.Attrs["langfuse.trace.tags"]; !reflect.DeepEqual(got, []string{"a", "b", "c"}) {
		t.Errorf("tags = %v", got)
	}
	if _, ok := s.Attrs["langfuse.trace.name"]; ok {
		t.Errorf("a trace name over 200 characters was kept")
	}
}

func TestObserveErrorAndPanic(t *testing.T) {
	e := newEnv(t)
	boom := errors.New("boom")
	_, err := litefuse.Observe(context.Background(), "fails", func(context.Context) (int, error) { return 0, boom }, e.obs())
	if err != boom {
		t.Fatalf("error not returned unchanged: %v", err)
	}
	func() {
		defer func() {
			if p := recover(); p != "kaput" {
				t.Errorf("recovered %v, want the original panic value", p)
			}
		}()
		_, _ = litefuse.Observe(context.Background(), "panics", func(context.Context) (int, error) { panic("kaput") }, e.obs())
	}()
	spans := byName(e.spans(t, 2))
	if s := spans["fails"]; s.Str("langfuse.observation.level") != "ERROR" || s.Str("langfuse.observation.status_message") != "boom" || s.StatusCode != "STATUS_CODE_ERROR" {
		t.Errorf("error span: %v %s", s.Attrs, s.StatusCode)
	}
	if s := spans["panics"]; s.Str("langfuse.observation.level") != "ERROR" || !strings.Contains(s.Str("langfuse.observation.status_message"), "kaput") {
		t.Errorf("panic span: %v", s.Attrs)
	}
}

func TestStartObservation(t *testing.T) {
	e := newEnv(t)
	ctx, obs := litefuse.StartObservation(context.Background(), "retrieve", e.obs(), litefuse.WithType(litefuse.TypeRetriever), litefuse.WithMetadata(map[string]any{"k": 3}))
	obs.SetInput("query")
	obs.SetOutput([]string{"doc1", "doc2"})
	obs.SetMetadata(map[string]any{"source": "wiki"})
	_, child := litefuse.StartObservation(ctx, "tool-call", litefuse.WithType(litefuse.TypeTool)) // inherits the options
	child.SetError(errors.New("tool failed"))
	child.End()
	child.End()
	obs.End()
	obs.End() // twice is safe
	var nilObs *litefuse.Observation
	nilObs.SetOutput(1)
	nilObs.End()
	spans := byName(e.spans(t, 2))
	r, tool := spans["retrieve"], spans["tool-call"]
	if r.Str("langfuse.observation.type") != "retriever" || r.Str("langfuse.observation.input") != `"query"` ||
		r.Str("langfuse.observation.output") != `["doc1","doc2"]` || r.Str("langfuse.observation.metadata.k") != "3" ||
		r.Str("langfuse.observation.metadata.source") != "wiki" {
		t.Errorf("retriever: %v", r.Attrs)
	}
	if tool.ParentID != r.SpanID || tool.Str("langfuse.observation.type") != "tool" || tool.Str("langfuse.observation.level") != "ERROR" {
		t.Errorf("tool: parent %s (want %s) %v", tool.ParentID, r.SpanID, tool.Attrs)
	}
	if n := len(e.spans(t, 2)); n != 2 {
		t.Errorf("%d spans, want 2 (End twice must not export twice)", n)
	}
}

func TestPromptLink(t *testing.T) {
	e := newEnv(t)
	ctx := litefuse.WithGeneration(context.Background(), litefuse.Generation{Name: "with-prompt", Prompt: &litefuse.PromptRef{Name: "summary", Version: 3}})
	if _, err := e.client.CreateChatCompletion(ctx, seedRequest()); err != nil {
		t.Fatal(err)
	}
	ctx = litefuse.WithGeneration(context.Background(), litefuse.Generation{Name: "half-prompt", Prompt: &litefuse.PromptRef{Name: "summary"}})
	if _, err := e.client.CreateChatCompletion(ctx, seedRequest()); err != nil {
		t.Fatal(err)
	}
	spans := byName(e.spans(t, 2))
	s := spans["with-prompt"]
	if s.Str("langfuse.observation.prompt.name") != "summary" || s.Attrs["langfuse.observation.prompt.version"] != int64(3) {
		t.Errorf("prompt: name %v version %#v (want int 3)", s.Attrs["langfuse.observation.prompt.name"], s.Attrs["langfuse.observation.prompt.version"])
	}
	h := spans["half-prompt"]
	if _, ok := h.Attrs["langfuse.observation.prompt.name"]; ok {
		t.Errorf("a prompt without version was recorded: Litefuse would drop the generation")
	}
}

// redactAll replaces every string in a JSON-shaped value.
func redactAll(v any) any {
	switch x := v.(type) {
	case string:
		return "REDACTED"
	case map[string]any:
		for k, e := range x {
			if k != "role" {
				x[k] = redactAll(e)
			}
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = redactAll(e)
		}
		return x
	}
	return v
}

func TestMaskEveryField(t *testing.T) {
	e := newEnv(t, litefuse.WithMask(redactAll))
	ctx := litefuse.PropagateAttributes(context.Background(), litefuse.Attributes{Metadata: map[string]string{"email": "alice@example.com"}})
	ctx = litefuse.WithGeneration(ctx, litefuse.Generation{Name: "masked", Metadata: map[string]any{"card": "4111-1111"}})
	_, err := litefuse.Observe(ctx, "pipeline", func(ctx context.Context) (string, error) {
		st, err := e.client.CreateChatCompletionStream(ctx, seedRequest())
		if err != nil {
			return "", err
		}
		defer st.Close()
		_, _ = drain(st)
		resp, err := e.client.CreateChatCompletion(ctx, seedRequest())
		return resp.Choices[0].Message.Content, err
	}, e.obs(litefuse.WithMask(redactAll)), litefuse.WithInput("secret question"), litefuse.WithMetadata(map[string]any{"token": "abc"}))
	if err != nil {
		t.Fatal(err)
	}
	spans := e.spans(t, 3)
	secrets := []string{"What is Litefuse", "You're an AI", "open-source", "The user asks", "4111", "alice@", "secret question", `"abc"`}
	for _, s := range spans {
		for k, v := range s.Attrs {
			str := fmt.Sprint(v)
			for _, sec := range secrets {
				if strings.Contains(str, sec) {
					t.Errorf("%s: %s leaks %q: %s", s.Name, k, sec, str)
				}
			}
		}
	}
	gen := byName(spans)["masked"]
	if !strings.Contains(gen.Str("langfuse.observation.output"), `"reasoning_content":"REDACTED"`) || gen.Str("langfuse.observation.metadata.card") != "REDACTED" {
		t.Errorf("masked output/metadata: %s / %s", gen.Str("langfuse.observation.output"), gen.Str("langfuse.observation.metadata.card"))
	}
	if gen.Str("langfuse.observation.usage_details") == "" {
		t.Error("usage must survive masking")
	}
}

func TestMaskPanicFailsClosed(t *testing.T) {
	e := newEnv(t, litefuse.WithMask(func(any) any { panic("mask bug") }))
	ctx := litefuse.WithGeneration(context.Background(), litefuse.Generation{Metadata: map[string]any{"card": "4111"}})
	resp, err := e.client.CreateChatCompletion(ctx, seedRequest())
	if err != nil || len(resp.Choices) != 1 {
		t.Fatalf("a panicking mask broke the call: %v", err)
	}
	s := e.one(t)
	for _, k := range []string{"langfuse.observation.input", "langfuse.observation.output", "langfuse.observation.metadata.card"} {
		if got := s.Str(k); got != `"[masked]"` && got != "[masked]" {
			t.Errorf("%s = %q, want the masked marker", k, got)
		}
	}
}

func TestSampling(t *testing.T) {
	for _, rate := range []float64{0, 1} {
		t.Run(fmt.Sprint(rate), func(t *testing.T) {
			e := newEnv(t, litefuse.WithSampleRate(rate))
			for range 20 {
				if _, err := e.client.CreateChatCompletion(context.Background(), seedRequest()); err != nil {
					t.Fatal(err)
				}
			}
			if rate == 0 {
				_ = e.tp.ForceFlush(context.Background())
				if n := len(e.recv.Requests()); n != 0 {
					t.Errorf("rate 0 sent %d requests", n)
				}
				return
			}
			if n := len(e.spans(t, 20)); n != 20 {
				t.Errorf("rate 1 sent %d of 20", n)
			}
		})
	}
}

func TestSampledTraceNeverSplit(t *testing.T) {
	e := newEnv(t, litefuse.WithSampleRate(0.5))
	const traces = 60
	for range traces {
		_, _ = litefuse.Observe(context.Background(), "pipeline", func(ctx context.Context) (int, error) {
			_, err := e.client.CreateChatCompletion(ctx, seedRequest())
			return 0, err
		}, e.obs())
	}
	_ = e.tp.ForceFlush(context.Background())
	spans := e.recv.Spans()
	perTrace := map[string]int{}
	for _, s := range spans {
		perTrace[s.TraceID]++
	}
	for id, n := range perTrace {
		if n != 2 {
			t.Errorf("trace %s has %d of its 2 spans", id, n)
		}
	}
	if len(perTrace) == 0 || len(perTrace) == traces {
		t.Errorf("%d of %d traces kept at rate 0.5", len(perTrace), traces)
	}
}

func TestGenerationJoinsApplicationTrace(t *testing.T) {
	e := newEnv(t)
	appExp := tracetest.NewInMemoryExporter()
	appTP := sdktrace.NewTracerProvider(sdktrace.WithSyncer(appExp))
	ctx, appSpan := appTP.Tracer("app").Start(context.Background(), "handle-request")
	if _, err := e.client.CreateChatCompletion(ctx, seedRequest()); err != nil {
		t.Fatal(err)
	}
	appSpan.End()
	s := e.one(t)
	if s.TraceID != appSpan.SpanContext().TraceID().String() || s.ParentID != appSpan.SpanContext().SpanID().String() {
		t.Errorf("generation trace %s parent %s; want the application's %s / %s", s.TraceID, s.ParentID, appSpan.SpanContext().TraceID(), appSpan.SpanContext().SpanID())
	}
	// The application's span stays with the application: it never reaches Litefuse.
	if len(appExp.GetSpans()) != 1 || len(e.recv.Spans()) != 1 {
		t.Errorf("app spans %d, Litefuse spans %d", len(appExp.GetSpans()), len(e.recv.Spans()))
	}
}
