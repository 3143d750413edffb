package clients_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/litefuse/litefuse-go"
	"github.com/litefuse/litefuse-go/internal/fakeark"
	"github.com/litefuse/litefuse-go/internal/otlpreceiver"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

const (
	arkKey    = "ark-clients-test-key-0123456789"
	publicKey = "pk-lf-clients"
	secretKey = "sk-lf-clients-secret"
)

// defaultRecv receives the default pipeline's spans (litefuse.Init in
// TestMain): the import-swap constructors record there.
var defaultRecv *otlpreceiver.Receiver

func TestMain(m *testing.M) {
	defaultRecv = otlpreceiver.New()
	if err := litefuse.Init(
		litefuse.WithCredentials(publicKey, secretKey),
		litefuse.WithBaseURL(defaultRecv.BaseURL()),
		litefuse.WithFlushInterval(time.Hour), // tests flush explicitly
		litefuse.WithLogger(discardLogger()),
	); err != nil {
		panic(err)
	}
	code := m.Run()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	_ = litefuse.Shutdown(ctx)
	cancel()
	defaultRecv.Close()
	os.Exit(code)
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// world is one test's stand-ins: Ark (fakeark) and Litefuse's OTLP
// endpoint (otlpreceiver), with a real export pipeline to the latter.
type world struct {
	ark  *fakeark.Server
	recv *otlpreceiver.Receiver
	tp   *sdktrace.TracerProvider
}

func newWorld(t testing.TB) *world {
	t.Helper()
	w := &world{ark: fakeark.New(), recv: otlpreceiver.New()}
	t.Cleanup(w.ark.Close)
	t.Cleanup(w.recv.Close)
	tp, err := litefuse.NewTracerProvider(
		litefuse.WithCredentials(publicKey, secretKey),
		litefuse.WithBaseURL(w.recv.BaseURL()),
		litefuse.WithFlushInterval(time.Hour), // tests flush explicitly
		litefuse.WithLogger(discardLogger()),
	)
	if err != nil {
		t.Fatalf("NewTracerProvider: %v", err)
	}
	w.tp = tp
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return w
}

// opts are the recording options of a client in this world.
func (w *world) opts(extra ...litefuse.Option) []litefuse.Option {
	return append([]litefuse.Option{litefuse.WithTracerProvider(w.tp), litefuse.WithLogger(discardLogger())}, extra...)
}

// spans flushes and returns what reached the receiver, waiting (up to a
// few seconds) until there are at least want.
func (w *world) spans(t testing.TB, want int) []otlpreceiver.Span {
	t.Helper()
	return flushSpans(t, w.tp.ForceFlush, w.recv, want)
}

func flushSpans(t testing.TB, flush func(context.Context) error, recv *otlpreceiver.Receiver, want int) []otlpreceiver.Span {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := flush(ctx)
		cancel()
		if err != nil {
			t.Fatalf("flush: %v", err)
		}
		spans, err := recv.WaitSpans(want, 50*time.Millisecond)
		if err == nil || time.Now().After(deadline) {
			return spans
		}
	}
}

// generations flushes and fails the test unless exactly n spans arrived.
func (w *world) generations(t testing.TB, n int) []otlpreceiver.Span {
	t.Helper()
	spans := w.spans(t, n)
	if len(spans) != n {
		t.Fatalf("Litefuse stand-in received %d spans, want %d:%s", len(spans), n, describe(spans))
	}
	return spans
}

func describe(spans []otlpreceiver.Span) string {
	var b strings.Builder
	for _, s := range spans {
		b.WriteString("\n  " + s.Name)
		for k, v := range s.Attrs {
			b.WriteString("\n    " + k + " = ")
			j, _ := json.Marshal(v)
			b.Write(j)
		}
	}
	return b.String()
}

// The seed conversation every client sends.
const (
	systemPrompt = "You're an AI assistant"
	userPrompt   = "What is Litefuse?"
)

// expect is what one recorded chat generation must show.
type expect struct {
	reply  fakeark.Reply
	stream bool
	// start and end bound the call as the caller saw it.
	start, end time.Time
}

// checkGeneration checks the Langfuse attributes of one chat generation of
// the seed conversation.
func checkGeneration(t testing.TB, s otlpreceiver.Span, want expect) {
	t.Helper()
	if got := s.Str("langfuse.observation.type"); got != "generation" {
		t.Errorf("observation.type = %q, want generation", got)
	}
	if got := s.Str("langfuse.observation.model.name"); got != fakeark.Model {
		t.Errorf("model.name = %q, want %q", got, fakeark.Model)
	}
	if s.Kind != "SPAN_KIND_CLIENT" {
		t.Errorf("span kind = %s, want CLIENT", s.Kind)
	}

	// Input: the two messages as sent (a client may add fields such as
	// arkruntime's "name":null; role and content must be there).
	var input []map[string]any
	if err := json.Unmarshal([]byte(s.Str("langfuse.observation.input")), &input); err != nil {
		t.Errorf("input %q is not a JSON list of messages: %v", s.Str("langfuse.observation.input"), err)
	} else {
		wantMsgs := []map[string]any{{"role": "system", "content": systemPrompt}, {"role": "user", "content": userPrompt}}
		if len(input) != len(wantMsgs) {
			t.Errorf("input has %d messages, want 2: %s", len(input), s.Str("langfuse.observation.input"))
		}
		for i := range min(len(input), len(wantMsgs)) {
			for k, v := range wantMsgs[i] {
				if input[i][k] != v {
					t.Errorf("input[%d].%s = %v, want %v", i, k, input[i][k], v)
				}
			}
		}
	}

	// Output: the assistant message with its reasoning.
	var output map[string]any
	if err := json.Unmarshal([]byte(s.Str("langfuse.observation.output")), &output); err != nil {
		t.Errorf("output %q is not a JSON object: %v", s.Str("langfuse.observation.output"), err)
	} else {
		wantOut := map[string]any{"role": "assistant", "content": want.reply.Content, "reasoning_content": want.reply.Reasoning}
		for k, v := range wantOut {
			if output[k] != v {
				t.Errorf("output.%s = %v, want %v", k, output[k], v)
			}
		}
	}

	// Usage: disjoint buckets (20 prompt of which 4 cached, 50 completion
	// of which 12 reasoning).
	var usage map[string]int64
	if err := json.Unmarshal([]byte(s.Str("langfuse.observation.usage_details")), &usage); err != nil {
		t.Errorf("usage_details %q: %v", s.Str("langfuse.observation.usage_details"), err)
	} else {
		u := want.reply.Usage
		wantUsage := map[string]int64{
			"input":                   int64(u.PromptTokens - u.PromptTokensDetails.CachedTokens),
			"input_cached_tokens":     int64(u.PromptTokensDetails.CachedTokens),
			"output":                  int64(u.CompletionTokens - u.CompletionTokensDetails.ReasoningTokens),
			"output_reasoning_tokens": int64(u.CompletionTokensDetails.ReasoningTokens),
			"total":                   int64(u.TotalTokens),
		}
		if !reflect.DeepEqual(usage, wantUsage) {
			t.Errorf("usage_details = %v, want %v", usage, wantUsage)
		}
	}

	// Timing: the span covers the call; a stream has its first token
	// after the server's first delay and before the end.
	if !want.start.IsZero() && (s.Start.Before(want.start) || s.End.After(want.end)) {
		t.Errorf("span [%v, %v] outside the call [%v, %v]", s.Start, s.End, want.start, want.end)
	}
	ttft := s.Str("langfuse.observation.completion_start_time")
	switch {
	case want.stream && ttft == "":
		t.Errorf("stream without completion_start_time")
	case want.stream:
		first, err := time.Parse(time.RFC3339Nano, ttft)
		if err != nil {
			t.Errorf("completion_start_time %q: %v", ttft, err)
		} else if !strings.HasSuffix(ttft, "Z") {
			t.Errorf("completion_start_time %q has no zone", ttft)
		} else if first.Sub(s.Start) < want.reply.FirstDelay || first.After(s.End) {
			t.Errorf("completion_start_time %v not in [start+%v, end] = [%v, %v]", first, want.reply.FirstDelay, s.Start, s.End)
		}
	case ttft != "":
		t.Errorf("a non-streamed call has completion_start_time %q", ttft)
	}
	if s.StatusCode == "STATUS_CODE_ERROR" {
		t.Errorf("status error on success: %s", s.StatusMessage)
	}
}

// slowReply is the default reply with delays, so that time to first token
// is measurable.
func slowReply() fakeark.Reply {
	r := fakeark.DefaultReply()
	r.FirstDelay, r.ChunkDelay = 30*time.Millisecond, 2*time.Millisecond
	return r
}

// front stands before the Ark stand-in: it answers GET …/models itself,
// fails the next chat requests on demand with Ark's 500 body, and passes
// everything else to Ark. It keeps the headers of every request it saw.
type front struct {
	srv   *httptest.Server
	fail  atomic.Int32 // chat requests still to fail with 500
	mu    sync.Mutex
	seen  []http.Header
	paths []string
}

// ModelsList is what front answers on …/models.
const ModelsList = `{"object":"list","data":[{"id":"kimi-k2-250711","object":"model","created":1732987012,"owned_by":"byteplus"}]}`

func newFront(t testing.TB, ark *fakeark.Server) *front {
	t.Helper()
	target, err := url.Parse(ark.BaseURL())
	if err != nil {
		t.Fatal(err)
	}
	proxy := &httputil.ReverseProxy{
		Rewrite:       func(r *httputil.ProxyRequest) { r.SetURL(&url.URL{Scheme: target.Scheme, Host: target.Host}) },
		FlushInterval: -1, // SSE: pass every chunk at once
	}
	f := &front{}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.seen = append(f.seen, r.Header.Clone())
		f.paths = append(f.paths, r.Method+" "+r.URL.Path)
		f.mu.Unlock()
		switch {
		case strings.HasSuffix(r.URL.Path, "/models"):
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, ModelsList)
		case strings.HasSuffix(r.URL.Path, "/chat/completions") && f.fail.Add(-1) >= 0:
			_, _ = io.Copy(io.Discard, r.Body)
			w.Header().Set("Retry-After-Ms", "1") // openai-go: retry at once
			fakeark.WriteError(w, http.StatusInternalServerError, "InternalServiceError",
				"The service encountered an unexpected internal error.")
		default:
			proxy.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *front) BaseURL() string { return f.srv.URL + "/api/v3" }

func (f *front) headers() []http.Header {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]http.Header(nil), f.seen...)
}

// markingTransport is a caller's own base transport: it counts the
// requests it carries and marks them with a header.
type markingTransport struct {
	n    atomic.Int32
	base http.RoundTripper
}

const markHeader = "X-Caller-Transport"

func (m *markingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	m.n.Add(1)
	req = req.Clone(req.Context())
	req.Header.Set(markHeader, "yes")
	return m.base.RoundTrip(req)
}
