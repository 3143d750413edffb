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
