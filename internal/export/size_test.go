package export

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"strings"
	"sync"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

func TestSizeCountsNameAttributesAndEvents(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	defer tp.Shutdown(context.Background())
	_, s := tp.Tracer("t").Start(context.Background(), "small")
	s.End()
	_, s = tp.Tracer("t").Start(context.Background(), "big")
	s.SetAttributes(attribute.String("input", strings.Repeat("x", 100_000)), attribute.StringSlice("tags", []string{strings.Repeat("t", 1000)}),
		attribute.Int64Slice("n", []int64{1, 2, 3}))
	s.AddEvent("e", trace.WithAttributes(attribute.String("k", strings.Repeat("v", 5000))))
	s.End()
	spans := exp.GetSpans().Snapshots()
	small, big := Size(spans[0]), Size(spans[1])
	if small < spanOverhead || big < small+106_000 || big > small+110_000 {
		t.Errorf("sizes %d and %d", small, big)
	}
}

func TestCompressRoundTrip(t *testing.T) {
	in := bytes.Repeat([]byte("litefuse "), 10000)
	for range 3 { // writers are reused
		gz, err := compress(in)
		if err != nil {
			t.Fatal(err)
		}
		zr, err := gzip.NewReader(bytes.NewReader(gz))
		if err != nil {
			t.Fatal(err)
		}
		out, err := io.ReadAll(zr)
		if err != nil || !bytes.Equal(out, in) || len(gz) >= len(in)/10 {
			t.Fatalf("round trip: %v, %d → %d bytes", err, len(in), len(gz))
		}
	}
}

// TestSizeOfStringSlicesFromManyGoroutines: the size of a string slice
// (kept for the last value sized) is its elements' whatever the values
// before it, with spans of several goroutines ending at once.
func TestSizeOfStringSlicesFromManyGoroutines(t *testing.T) {
	values := [][]string{{"stop"}, {"length"}, {"stop"}, nil, {"a", "bb", "ccc", "dddd", strings.Repeat("e", 500)}, {"stop"}, {""}}
	want := func(v []string) int64 {
		n := int64(len("k")) + 32
		for _, e := range v {
			n += int64(len(e)) + 16
		}
		return n
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 2000 {
				v := values[(g+i)%len(values)]
				if got := attrsSize([]attribute.KeyValue{attribute.StringSlice("k", v)}); got != want(v) {
					t.Errorf("%q: size %d, want %d", v, got, want(v))
					return
				}
			}
		}()
	}
	wg.Wait()
}

// Review 36: only a small string slice is kept for the next Size. A large
// one (a span dropped over the byte budget, say) must not outlive its span
// and Shutdown in the cache, nor be compared byte by byte with the next.
func TestSizeKeepsOnlySmallStringSlices(t *testing.T) {
	small := attribute.StringSliceValue([]string{"stop"})
	if got := stringSliceSize(small); got != 4+16 || lastSliceSize.Load() == nil || lastSliceSize.Load().v != small {
		t.Fatalf("a small slice: size %d, not kept", got)
	}
	big := attribute.StringSliceValue([]string{strings.Repeat("x", 1<<20)})
	if got := stringSliceSize(big); got != 1<<20+16 {
		t.Fatalf("a large slice: size %d", got)
	}
	if c := lastSliceSize.Load(); c != nil && c.v == big {
		t.Error("a 1 MiB string slice is kept after Size")
	}
}
