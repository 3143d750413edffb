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
// context of its calls. Only a trace's first library span decides by
// rate: a span under one the library started follows that span's decision
// (carried in the context, see withDecision), so clients with different
// rates cannot split a trace.
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

// decision is the sampling decision of the library's span in a context,
// for its trace.
type decision struct {
	traceID trace.TraceID
	sampled bool
}

type decisionKey struct{}

// withDecision records in ctx the decision taken for span, which the
// library started: spans started under ctx in the same trace follow it
// (the application's own spans in between do not change it).
func withDecision(ctx context.Context, span trace.Span) context.Context {
	sc := span.SpanContext()
	if !sc.IsValid() {
		return ctx
	}
	// Recording, not the flag: under an application's span the library's
	// span carries the application's flag, not the library's decision.
	d := decision{sc.TraceID(), span.IsRecording()}
	if prev, ok := ctx.Value(decisionKey{}).(decision); ok && prev == d {
		return ctx
	}
	return context.WithValue(ctx, decisionKey{}, d)
}

func (s sampler) ShouldSample(p sdktrace.SamplingParameters) sdktrace.SamplingResult {
	res := sdktrace.SamplingResult{Decision: sdktrace.Drop}
	ctx := p.ParentContext
	if ctx == nil {
		ctx = context.Background()
	}
	res.Tracestate = trace.SpanContextFromContext(ctx).TraceState()
	if !s.drops(ctx, p.TraceID, -1) { // the recorder's own rate rides in ctx (withSampleRate)
		res.Decision = sdktrace.RecordAndSample
	}
	return res
}

// keeps reports whether rate keeps trace tid. As sdktrace.TraceIDRatioBased:
// the low 63 bits of the id's second half.
func keeps(tid trace.TraceID, rate float64) bool {
	return rate >= 1 || binary.BigEndian.Uint64(tid[8:16])>>1 < uint64(rate*(1<<63))
}

// rateIn is the rate ShouldSample applies under ctx, where no decision
// for the trace is carried, to a span a recorder with its own rate r
// (< 0: the pipeline's) starts: r, else the one ctx carries, else s's.
func (s sampler) rateIn(ctx context.Context, r float64) float64 {
	if r >= 0 {
		return r
	}
	if v, ok := ctx.Value(sampleRateKey{}).(float64); ok {
		return v
	}
	return s.rate
}

// drops reports whether the span a recorder with its own rate r (< 0:
// the pipeline's, or the one ctx carries) starts under ctx in trace tid is
// dropped: the decision ctx carries for tid, else the rate (see rateIn).
// ShouldSample decides by it, and so does recorder.unsampled before any
// span is started or context made.
func (s sampler) drops(ctx context.Context, tid trace.TraceID, r float64) bool {
	if d, ok := ctx.Value(decisionKey{}).(decision); ok && d.traceID == tid {
		return !d.sampled
	}
	return !keeps(tid, s.rateIn(ctx, r))
}

func (s sampler) Description() string { return "litefuse.TraceIDRatio" }
