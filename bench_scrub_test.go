package litefuse

import (
	"context"
	"fmt"
	"strings"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// BenchmarkObserveOutput4KiB: the cost, on the caller's goroutine, of an
// Observe whose result is 4 KiB of text, with 1 or 4096 keys in the
// process-wide list (the Observe path scrubs its input, output, metadata
// and status against it: review of issue 18, finding 2).
func BenchmarkObserveOutput4KiB(b *testing.B) {
	for _, n := range []int{0, 1, maxSecrets} {
		b.Run(fmt.Sprint("keys=", n), func(b *testing.B) {
			resetSecrets()
			defer resetSecrets()
			for i := range n {
				rememberSecrets(context.Background(), []string{fmt.Sprintf("ark-%08x-0000-4000-8000-%012x", uint32(i)*2654435761, i)})
			}
			tp := sdktrace.NewTracerProvider()
			opts := WithObserveOptions(WithTracerProvider(tp))
			out := strings.Repeat("The answer, in words a user reads: forty-two. ", 4<<10/47)
			b.ReportAllocs()
			defer reportCPU(b)()
			for b.Loop() {
				_, _ = Observe(context.Background(), "step", func(context.Context) (string, error) { return out, nil }, opts)
			}
		})
	}
}

// BenchmarkScrubKnownOneKey4KiB: the common case, one tenant's key known
// and 4 KiB of text without it.
func BenchmarkScrubKnownOneKey4KiB(b *testing.B) {
	resetSecrets()
	defer resetSecrets()
	rememberSecrets(context.Background(), []string{"ark-7f3c2a1e-0000-4000-8000-00000000002a"})
	msg := strings.Repeat("The answer, in words a user reads: forty-two. ", 4<<10/47)
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	defer reportCPU(b)()
	for b.Loop() {
		_ = scrubKnown(msg)
	}
}
