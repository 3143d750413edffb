package export

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

type rtFunc func(*http.Request) (*http.Response, error)

func (f rtFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// Review of issue 18, finding 4: a batch split in halves (413, or over
// MaxRequestBytes) stops at cancellation instead of encoding and sending
// every remaining half (CPU-bound work that let Shutdown overrun its
// grace period and return while an export still ran).
func TestSplitStopsWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var posts atomic.Int64
	c := NewClient(ClientConfig{
		Endpoint: "http://127.0.0.1:9/v1/traces",
		HTTPClient: &http.Client{Transport: rtFunc(func(r *http.Request) (*http.Response, error) {
			posts.Add(1)
			cancel() // Shutdown's deadline passes during the first request
			return &http.Response{StatusCode: http.StatusRequestEntityTooLarge, Body: io.NopCloser(strings.NewReader("")), Request: r}, nil
		})},
	})
	stubs := make(tracetest.SpanStubs, 512)
	for i := range stubs {
		stubs[i].Name = "span"
	}
	err := c.ExportSpans(ctx, stubs.Snapshots())
	if !errors.Is(err, context.Canceled) {
		t.Errorf("ExportSpans after cancellation: %v, want context.Canceled", err)
	}
	if n := posts.Load(); n != 1 {
		t.Errorf("%d requests after the export was cancelled during the first, want 1", n)
	}
}

var _ = sdktrace.ReadOnlySpan(nil)
