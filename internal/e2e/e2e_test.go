package e2e

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/litefuse/litefuse-go"
	"github.com/litefuse/litefuse-go/internal/fakeark"
	"github.com/litefuse/litefuse-go/internal/otlpreceiver"
	openai "github.com/sashabaranov/go-openai"
	"go.opentelemetry.io/otel/trace"
)

const (
	publicKey = "pk-lf-gateway"
	secretKey = "sk-lf-gateway-secret"
)

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// gateway starts docs/collector.md's Collector config in front of a Litefuse
// stand-in and points the library's environment at it.
func gateway(t *testing.T, keepPercent int) (*otlpreceiver.Receiver, string) {
	t.Helper()
	cfg, err := GatewayConfig("../../docs/collector.md")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "gateway.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	litefuseStandIn := otlpreceiver.New()
	t.Cleanup(litefuseStandIn.Close)
	port := freePort(t)
	t.Setenv("COLLECTOR_OTLP_HTTP_ENDPOINT", "127.0.0.1:"+strconv.Itoa(port))
	t.Setenv("LITEFUSE_BASE_URL", litefuseStandIn.BaseURL())
	t.Setenv("LITEFUSE_AUTH", base64.StdEncoding.EncodeToString([]byte(publicKey+":"+secretKey)))
	t.Setenv("TAIL_DECISION_WAIT", "1s")
	t.Setenv("KEEP_PERCENT", strconv.Itoa(keepPercent))
	t.Setenv("BATCH_TIMEOUT", "200ms")
	t.Setenv("COLLECTOR_METRICS_LEVEL", "none")
	col, err := StartCollector(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := col.Stop(); err != nil {
			t.Errorf("collector: %v", err)
		}
	})
	// The application: no Litefuse keys or URL, only the standard variable.
	for _, k := range []string{"LANGFUSE_PUBLIC_KEY", "LANGFUSE_SECRET_KEY", "LANGFUSE_BASE_URL", "LANGFUSE_HOST"} {
		t.Setenv(k, "")
	}
	endpoint := "http://127.0.0.1:" + strconv.Itoa(port) + "/v1/traces"
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", endpoint)
	return litefuseStandIn, endpoint
}

// runSeed makes the seed's calls in an observed pipeline: a named
// non-streaming generation, a streaming one, and (when failing) an Ark error.
func runSeed(t *testing.T, client *litefuse.Client, tp trace.TracerProvider, ark *fakeark.Server, failing bool) {
	t.Helper()
	req := openai.ChatCompletionRequest{Model: fakeark.Model, Messages: []openai.ChatCompletionMessage{
		{Role: openai.ChatMessageRoleSystem, Content: "You're an AI assistant"},
		{Role: openai.ChatMessageRoleUser, Content: "What is Litefuse?"},
	}}
	_, err := litefuse.Observe(context.Background(), "my_llm_pipeline", func(ctx context.Context) (string, error) {
		ctx = litefuse.PropagateAttributes(ctx, litefuse.Attributes{UserID: "user_123", SessionID: "session_abc", Tags: []string{"agent", "my-trace"}, Version: "1.0.0"})
		resp, err := client.CreateChatCompletion(litefuse.WithGeneration(ctx, litefuse.Generation{Name: "BytePlus-Generation"}), req)
		if err != nil {
			return "", err
		}
		st, err := client.CreateChatCompletionStream(ctx, req)
		if err != nil {
			return "", err
		}
		defer st.Close()
		for {
			if _, err := st.Recv(); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				return "", err
			}
		}
		if failing {
			ark.SetReply(fakeark.Reply{Status: http.StatusBadRequest, ErrorCode: "InvalidParameter", ErrorMsg: "bad request"})
			_, err := client.CreateChatCompletion(ctx, req)
			return "", err
		}
		return resp.Choices[0].Message.Content, nil
	}, litefuse.WithObserveOptions(litefuse.WithTracerProvider(tp)))
	if failing != (err != nil) {
		t.Fatalf("pipeline error = %v", err)
	}
}

func newClient(t *testing.T, ark *fakeark.Server) (*litefuse.Client, trace.TracerProvider, func()) {
	tp, err := litefuse.NewTracerProvider(litefuse.WithFlushInterval(100 * time.Millisecond))
	if err != nil {
		t.Fatalf("a gateway endpoint without Litefuse keys must be enough: %v", err)
	}
	cfg := openai.DefaultConfig("ark-key")
	cfg.BaseURL = ark.BaseURL()
	return litefuse.NewClientWithConfig(cfg, litefuse.WithTracerProvider(tp)), tp, func() {
		if err := tp.Shutdown(context.Background()); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	}
}

func TestSeedThroughCollectorGateway(t *testing.T) {
	standIn, _ := gateway(t, 100)
	ark := fakeark.New()
	defer ark.Close()
	client, tp, shutdown := newClient(t, ark)
	runSeed(t, client, tp, ark, false)
	shutdown()

	spans, err := standIn.WaitSpans(3, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]otlpreceiver.Span{}
	for _, s := range spans {
		byName[s.Name] = s
	}
	pipe, gen, stream := byName["my_llm_pipeline"], byName["BytePlus-Generation"], byName["chat "+fakeark.Model]
	if pipe.TraceID == "" || gen.TraceID != pipe.TraceID || stream.TraceID != pipe.TraceID || gen.ParentID != pipe.SpanID {
		t.Fatalf("not one trace through the gateway: %+v", byName)
	}
	reply := fakeark.DefaultReply()
	for _, s := range []otlpreceiver.Span{gen, stream} {
		want := map[string]string{
			"langfuse.observation.type":          "generation",
			"langfuse.observation.model.name":    fakeark.Model,
			"langfuse.observation.usage_details": `{"input":16,"input_cached_tokens":4,"output":38,"output_reasoning_tokens":12,"total":70}`,
			"langfuse.observation.input":         `[{"role":"system","content":"You're an AI assistant"},{"role":"user","content":"What is Litefuse?"}]`,
			"user.id":                            "user_123",
			"session.id":                         "session_abc",
			"langfuse.version":                   "1.0.0",
			"gen_ai.operation.name":              "chat",
		}
		for k, v := range want {
			if got := s.Str(k); got != v {
				t.Errorf("%s: %s = %q, want %q", s.Name, k, got, v)
			}
		}
		if !strings.Contains(s.Str("langfuse.observation.output"), reply.Reasoning) {
			t.Errorf("%s: output %s", s.Name, s.Str("langfuse.observation.output"))
		}
		if got := s.Attrs["langfuse.trace.tags"]; !reflect.DeepEqual(got, []string{"agent", "my-trace"}) {
			t.Errorf("%s: tags %#v", s.Name, got)
		}
	}
	if stream.Str("langfuse.observation.completion_start_time") == "" {
		t.Error("stream lost its time to first token")
	}
	// The gateway, not the application, holds the credentials.
	for _, r := range standIn.Requests() {
		if got := r.Header.Get("Authorization"); got != "Basic "+base64.StdEncoding.EncodeToString([]byte(publicKey+":"+secretKey)) {
			t.Errorf("Authorization at Litefuse = %q", got)
		}
		if r.Header.Get("X-Langfuse-Ingestion-Version") != "4" {
			t.Errorf("ingestion version header = %q", r.Header.Get("X-Langfuse-Ingestion-Version"))
		}
	}
}

// TestTailSamplingKeepsErrorTraces: with 0% of ordinary traces kept, the
// failed pipeline's whole trace still reaches Litefuse and the good one does not.
func TestTailSamplingKeepsErrorTraces(t *testing.T) {
	standIn, _ := gateway(t, 0)
	ark := fakeark.New()
	defer ark.Close()
	client, tp, shutdown := newClient(t, ark)
	runSeed(t, client, tp, ark, false) // no error: dropped by the gateway
	runSeed(t, client, tp, ark, true)  // an error: kept whole
	shutdown()
	spans, err := standIn.WaitSpans(4, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond) // anything else would arrive by now
	spans = standIn.Spans()
	traces := map[string]int{}
	for _, s := range spans {
		traces[s.TraceID]++
	}
	if len(traces) != 1 || len(spans) != 4 {
		t.Fatalf("%d spans in %d traces reached Litefuse; want the failed trace's 4 spans only", len(spans), len(traces))
	}
}
