package litefuse_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/litefuse/litefuse-go"
	"github.com/litefuse/litefuse-go/internal/fakeark"
	"github.com/litefuse/litefuse-go/internal/otlpreceiver"
	openai "github.com/sashabaranov/go-openai"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

const (
	testPublicKey = "pk-lf-test-public"
	testSecretKey = "sk-lf-test-secret-value"
	testArkKey    = "ark-test-key-0123456789"
)

// env is one test's world: a fake Ark endpoint, a local Litefuse OTLP
// receiver, a provider exporting to it, and a traced client.
type env struct {
	ark    *fakeark.Server
	recv   *otlpreceiver.Receiver
	tp     *sdktrace.TracerProvider
	client *litefuse.Client
	bare   *openai.Client
}

func newEnv(t testing.TB, opts ...litefuse.Option) *env {
	t.Helper()
	e := &env{ark: fakeark.New(), recv: otlpreceiver.New()}
	t.Cleanup(e.ark.Close)
	t.Cleanup(e.recv.Close)
	base := []litefuse.Option{
		litefuse.WithCredentials(testPublicKey, testSecretKey),
		litefuse.WithBaseURL(e.recv.BaseURL()),
		litefuse.WithFlushInterval(time.Hour), // tests flush explicitly
		litefuse.WithLogger(discardLogger()),
	}
	tp, err := litefuse.NewTracerProvider(append(base, opts...)...)
	if err != nil {
		t.Fatalf("NewTracerProvider: %v", err)
	}
	e.tp = tp
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	cfg := openai.DefaultConfig(testArkKey)
	cfg.BaseURL = e.ark.BaseURL()
	e.client = litefuse.NewClientWithConfig(cfg, append([]litefuse.Option{litefuse.WithTracerProvider(tp)}, opts...)...)
	e.bare = openai.NewClientWithConfig(cfg)
	return e
}

// spans flushes until at least n spans reached the receiver (spans ended
// asynchronously, e.g. by a context cancellation, may need a second flush).
func (e *env) spans(t testing.TB, n int) []otlpreceiver.Span {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := e.tp.ForceFlush(ctx)
		cancel()
		if err != nil {
			t.Fatalf("ForceFlush: %v", err)
		}
		spans, err := e.recv.WaitSpans(n, 50*time.Millisecond)
		if err == nil {
			return spans
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
	}
}

// one flushes and returns the single span recorded.
func (e *env) one(t testing.TB) otlpreceiver.Span {
	t.Helper()
	spans := e.spans(t, 1)
	if len(spans) != 1 {
		t.Fatalf("got %d spans, want 1: %+v", len(spans), spans)
	}
	return spans[0]
}

func seedRequest() openai.ChatCompletionRequest {
	return openai.ChatCompletionRequest{
		Model: fakeark.Model,
		Messages: []openai.ChatCompletionMessage{
			{Role: openai.ChatMessageRoleSystem, Content: "You're an AI assistant"},
			{Role: openai.ChatMessageRoleUser, Content: "What is Litefuse?"},
		},
	}
}

// jsonAttr decodes a JSON string attribute.
func jsonAttr(t testing.TB, s otlpreceiver.Span, key string) any {
	t.Helper()
	raw, ok := s.Attrs[key].(string)
	if !ok {
		t.Fatalf("attribute %s: got %T %v, want a JSON string", key, s.Attrs[key], s.Attrs[key])
	}
	var v any
	if err := json.Unmarshal([]byte(raw), &v); err != nil {
		t.Fatalf("attribute %s is not JSON: %v: %q", key, err, raw)
	}
	return v
}

// mustJSON re-encodes v canonically for comparisons.
func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
