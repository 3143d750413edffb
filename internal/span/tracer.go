package span

import (
	"context"
	"encoding/binary"
	"math/rand/v2"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/embedded"
)

type tracer struct {
	embedded.Tracer

	p     *Provider
	scope instrumentation.Scope
}

// Start starts a span as the SDK's tracer does: in ctx's trace (unless
// trace.WithNewRoot), sampled by the provider's sampler; a span not
// recorded still carries its SpanContext.
func (t *tracer) Start(ctx context.Context, name string, opts ...trace.SpanStartOption) (context.Context, trace.Span) {
	return t.start(ctx, trace.TraceID{}, true, name, opts...)
}

// StartInNewTrace starts a span as t.Start does, and, when it begins a new
// trace (ctx holds none), gives that trace the id tid instead of drawing
// one: for a caller that drew the id (with [NewTraceID]) to learn the
// sampler's decision before starting the span. A tracer not of a
// [Provider] starts the span with its own Start.
func StartInNewTrace(t trace.Tracer, ctx context.Context, tid trace.TraceID, name string, opts ...trace.SpanStartOption) (context.Context, trace.Span) {
	if t, ok := t.(*tracer); ok {
		return t.start(ctx, tid, true, name, opts...)
	}
	return t.Start(ctx, name, opts...)
}

// StartSpan is StartInNewTrace for a caller that starts nothing under the
// span and so needs no context holding it: a tracer of a [Provider] then
// makes none (an allocation a span).
func StartSpan(t trace.Tracer, ctx context.Context, tid trace.TraceID, name string, opts ...trace.SpanStartOption) trace.Span {
	if t, ok := t.(*tracer); ok {
		_, s := t.start(ctx, tid, false, name, opts...)
		return s
	}
	_, s := t.Start(ctx, name, opts...)
	return s
}

// NewTraceID draws the id of a new trace as Start does.
func NewTraceID() trace.TraceID { return newTraceID() }

// start is Start; newTrace is the id of a new trace, if it begins one
// (zero: drawn here). Without withCtx the context returned is nil.
func (t *tracer) start(ctx context.Context, newTrace trace.TraceID, withCtx bool, name string, opts ...trace.SpanStartOption) (context.Context, trace.Span) {
	cfg := trace.NewSpanStartConfig(opts...)
	if ctx == nil {
		ctx = context.Background()
	}
	if ps, ok := trace.SpanFromContext(ctx).(*Span); ok {
		ps.addChild()
	}
	var psc trace.SpanContext
	if cfg.NewRoot() {
		ctx = trace.ContextWithSpanContext(ctx, psc)
	} else {
		psc = trace.SpanContextFromContext(ctx)
	}
	tid := newTrace
	if psc.TraceID().IsValid() {
		tid = psc.TraceID()
	} else if !tid.IsValid() {
		tid = newTraceID()
	}
	sid := newSpanID()
	sr := t.p.sampler.ShouldSample(sdktrace.SamplingParameters{
		ParentContext: ctx,
		TraceID:       tid,
		Name:          name,
		Kind:          cfg.SpanKind(),
		Attributes:    cfg.Attributes(),
		Links:         cfg.Links(),
	})
	// Under a parent, the sampled flag is the parent's: the library's
	// sampling decides what Litefuse keeps, not what the application's own
	// parent-based samplers keep or what a traceparent sent downstream
	// says. A root's flag is the decision.
	scc := trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceState: sr.Tracestate, TraceFlags: psc.TraceFlags()}
	if !psc.IsValid() {
		if sr.Decision == sdktrace.RecordAndSample {
			scc.TraceFlags |= trace.FlagsSampled
		} else {
			scc.TraceFlags &^= trace.FlagsSampled
		}
	}
	sc := trace.NewSpanContext(scc)
	if sr.Decision != sdktrace.RecordOnly && sr.Decision != sdktrace.RecordAndSample {
		s := &nonRecording{p: t.p, sc: sc}
		if !withCtx {
			return nil, s
		}
		return trace.ContextWithSpan(ctx, s), s
	}
	start := cfg.Timestamp()
	if start.IsZero() {
		start = time.Now()
	}
	s := &Span{
		ReadOnlySpan: zeroSpan,
		sampled:      sr.Decision == sdktrace.RecordAndSample,
		t:            t,
		parent:       psc,
		sc:           sc,
		kind:         trace.ValidateSpanKind(cfg.SpanKind()),
		name:         name,
		start:        start,
	}
	for _, l := range cfg.Links() {
		s.AddLink(l)
	}
	s.SetAttributes(sr.Attributes...)
	s.SetAttributes(cfg.Attributes()...)
	var newCtx context.Context
	if withCtx {
		newCtx = trace.ContextWithSpan(ctx, s)
	}
	if !t.p.shut.Load() && t.p.proc != nil {
		t.p.proc.OnStart(ctx, s)
	}
	return newCtx, s
}

// SamplerOf returns the sampler of t's provider when t is a tracer of a
// [Provider]: what decides, in Start, whether a span is recorded. A caller
// that can tell from it that a span would not be recorded may skip Start:
// a span sampled out changes nothing but its parent's ChildSpanCount,
// which no exporter of the library's reads.
func SamplerOf(t trace.Tracer) (sdktrace.Sampler, bool) {
	if t, ok := t.(*tracer); ok {
		return t.p.sampler, true
	}
	return nil, false
}

// newTraceID and newSpanID are the SDK's random ids: math/rand/v2 is
// goroutine-safe and fast.
func newTraceID() trace.TraceID {
	var tid trace.TraceID
	for !tid.IsValid() {
		binary.NativeEndian.PutUint64(tid[:8], rand.Uint64())
		binary.NativeEndian.PutUint64(tid[8:], rand.Uint64())
	}
	return tid
}

func newSpanID() trace.SpanID {
	var sid trace.SpanID
	for !sid.IsValid() {
		binary.NativeEndian.PutUint64(sid[:], rand.Uint64())
	}
	return sid
}

// nonRecording is a span sampled out: it carries its SpanContext, for
// children and propagation, and records nothing.
type nonRecording struct {
	embedded.Span

	p  *Provider
	sc trace.SpanContext
}

func (s *nonRecording) SpanContext() trace.SpanContext          { return s.sc }
func (s *nonRecording) IsRecording() bool                       { return false }
func (s *nonRecording) SetStatus(codes.Code, string)            {}
func (s *nonRecording) SetAttributes(...attribute.KeyValue)     {}
func (s *nonRecording) End(...trace.SpanEndOption)              {}
func (s *nonRecording) RecordError(error, ...trace.EventOption) {}
func (s *nonRecording) AddEvent(string, ...trace.EventOption)   {}
func (s *nonRecording) AddLink(trace.Link)                      {}
func (s *nonRecording) SetName(string)                          {}
func (s *nonRecording) TracerProvider() trace.TracerProvider    { return s.p }
