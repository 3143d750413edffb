package litefuse

import (
	"context"
	"encoding/binary"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// sampler keeps a fraction of traces, decided from the trace id alone, so
// a trace is kept or dropped whole across services, and an upstream
// decision (a traceparent with flags 00) does not silence Litefuse. A
// client built with its own [WithSampleRate] passes its rate through the
// context of its calls.
type sampler struct{ rate float64 }

type sampleRateKey struct{}

// withSampleRate carries a recorder's own rate to the sampler; rate < 0
// means the pipeline's.
func withSampleRate(ctx context.Context, rate float64) context.Context {
	if rate < 0 {
		return ctx
	}
	return context.WithValue(ctx, sampleRateKey{}, rate)
}

func (s sampler) ShouldSample(p sdktrace.SamplingParameters) sdktrace.SamplingResult {
	rate := s.rate
	res := sdktrace.SamplingResult{Decision: sdktrace.Drop}
	if p.ParentContext != nil {
		if r, ok := p.ParentContext.Value(sampleRateKey{}).(float64); ok {
			rate = r
		}
		res.Tracestate = trace.SpanContextFromContext(p.ParentContext).TraceState()
	}
	// As sdktrace.TraceIDRatioBased: the low 63 bits of the id's second half.
	if rate >= 1 || binary.BigEndian.Uint64(p.TraceID[8:16])>>1 < uint64(rate*(1<<63)) {
		res.Decision = sdktrace.RecordAndSample
	}
	return res
}

func (s sampler) Description() string { return "litefuse.TraceIDRatio" }
