package litefuse

import (
	"context"
	"net/http"
	"testing"

	spanpkg "github.com/litefuse/litefuse-go/internal/span"
	openai "github.com/sashabaranov/go-openai"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// TestRecordedChatAllocations: what recording a chat call adds to the
// caller's path, counted exactly (issue 21): the request body's second
// reader (GetBody: two), the call with the answer's body, its span and
// the span's attributes, the request's input, the output with the
// answer's id, and the usage's JSON. Nothing else: no context for the
// span, no closure for the body's end, no copy of a model the last
// request named, the answer's reading taken from a pool. The spans go to
// no processor, so that only the caller's allocations are counted.
func TestRecordedChatAllocations(t *testing.T) {
	if raceOn {
		t.Skip("sync.Pool drops items under the race detector: counts vary")
	}
	// The library's own span provider, without a processor: no export.
	tp := spanpkg.NewProvider(spanpkg.Config{Limits: sdktrace.NewSpanLimits()})
	ccfg := openai.DefaultConfig("ark-key")
	ccfg.BaseURL = "https://ark.ap-southeast.bytepluses.com/api/v3"
	ccfg.HTTPClient = &http.Client{Transport: cannedTransport{chatBody(), "application/json"}}
	req := benchRequest()
	bare := openai.NewClientWithConfig(ccfg)
	rec := NewClientWithConfig(ccfg, WithTracerProvider(tp))
	count := func(c chatClient) float64 {
		return testing.AllocsPerRun(200, func() {
			if _, err := c.CreateChatCompletion(context.Background(), req); err != nil {
				t.Fatal(err)
			}
		})
	}
	b, r := count(bare), count(rec)
	const most = 8
	if r-b > most {
		t.Fatalf("a recorded chat call allocates %v, bare %v: +%v, want at most +%d", r, b, r-b, most)
	}
}

// BenchmarkRecordChatCallerPath is BenchmarkRecordChat with the spans
// going to no processor: the recording's own work on the caller's path,
// with no export beside it, for profiles of that path alone.
func BenchmarkRecordChatCallerPath(b *testing.B) {
	tp := spanpkg.NewProvider(spanpkg.Config{Limits: sdktrace.NewSpanLimits()})
	benchRoundTrip(b, newRecorder([]Option{WithTracerProvider(tp)}))
}

// TestRequestSecretsShared: the keys of a request that sends the key the
// last one sent are the last list again, with no allocation; any other
// list is its own.
func TestRequestSecretsShared(t *testing.T) {
	mk := func(auth, apiKey string) *http.Request {
		req, _ := http.NewRequest(http.MethodPost, "https://example.com/v1/chat/completions", nil)
		req.Header.Set("Authorization", auth)
		if apiKey != "" {
			req.Header.Set("Api-Key", apiKey)
		}
		return req
	}
	a := mk("Bearer sk-shared-0123456789", "")
	first, again := requestSecrets(a), requestSecrets(a)
	if len(first) != 1 || first[0] != "sk-shared-0123456789" || &first[0] != &again[0] {
		t.Fatalf("%q %q: not the same list", first, again)
	}
	if raceOn {
		return
	}
	if n := testing.AllocsPerRun(100, func() { _ = requestSecrets(a) }); n != 0 {
		t.Errorf("%v allocations for the key of the last request", n)
	}
	two := requestSecrets(mk("Bearer sk-shared-0123456789", "azure-key-abcdef0123"))
	if len(two) != 2 || &two[0] == &first[0] || first[0] != "sk-shared-0123456789" || len(first) != 1 {
		t.Fatalf("two keys %q; the first list now %q", two, first)
	}
	if got := requestSecrets(mk("Bearer short", "")); got != nil {
		t.Fatalf("no key: %q", got)
	}
	if other := requestSecrets(mk("Bearer sk-other-0123456789", "")); len(other) != 1 || other[0] != "sk-other-0123456789" || first[0] != "sk-shared-0123456789" {
		t.Fatalf("another key %q; the first list now %q", other, first)
	}
}
