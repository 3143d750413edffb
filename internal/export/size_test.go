package export

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"strings"
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
