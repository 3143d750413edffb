package span_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/litefuse/litefuse-go/internal/span"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// discard is a processor that keeps nothing.
type discard struct{}

func (discard) OnStart(context.Context, sdktrace.ReadWriteSpan) {}
func (discard) OnEnd(sdktrace.ReadOnlySpan)                     {}
func (discard) Shutdown(context.Context) error                  { return nil }
func (discard) ForceFlush(context.Context) error                { return nil }

// BenchmarkSpan is one generation-shaped span (start, 20 attributes in
// one call, End, handed to a processor) through the SDK's provider and
// through this package's, built alike.
func BenchmarkSpan(b *testing.B) {
	attrs := make([]attribute.KeyValue, 20)
	for i := range attrs {
		attrs[i] = attribute.String(fmt.Sprintf("langfuse.observation.key%02d", i), "value")
	}
	sdk := sdktrace.NewTracerProvider(sdktrace.WithResource(res), sdktrace.WithSampler(sdktrace.AlwaysSample()),
		sdktrace.WithRawSpanLimits(limits), sdktrace.WithSpanProcessor(discard{}))
	own := span.NewProvider(span.Config{Resource: res, Sampler: sdktrace.AlwaysSample(), Limits: limits, Processor: discard{}})
	for _, c := range []struct {
		name string
		tp   trace.TracerProvider
	}{{"sdk", sdk}, {"own", own}} {
		b.Run(c.name, func(b *testing.B) {
			tr := c.tp.Tracer("bench")
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				_, s := tr.Start(ctx, "chat doubao-seed-1-6")
				s.SetAttributes(attrs...)
				s.End()
			}
		})
	}
}
