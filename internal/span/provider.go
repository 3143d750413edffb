// Package span is the library's own span type, for its private pipelines:
// a TracerProvider whose spans are at once the trace.Span the caller
// records on and the sdktrace.ReadOnlySpan the export pipeline reads, so
// ending a span costs no snapshot, no per-span de-duplication map and no
// attribute normalisation beyond what the OTel SDK's span would change.
//
// What a span records, and how it is read, equals the SDK's
// (TestEquivalentToSDK holds the two side by side, down to the OTLP bytes):
// parent and trace state from the context, sampling through an
// sdktrace.Sampler, span limits, duplicate attribute keys (the last value
// wins, the first position is kept), events, links, status, End once.
// Left out, as the library's pipelines need none of them: the SDK's own
// observability metrics, runtime/trace tasks, the warnings logged when a
// limit drops something, and AttributeValueLengthLimit (the library bounds
// its values itself; a provider here never cuts them).
package span

import (
	"context"
	"sync"
	"sync/atomic"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/embedded"
	"go.opentelemetry.io/otel/trace/noop"
)

// defaultTracerName is the SDK's name for a tracer asked for with none.
const defaultTracerName = "go.opentelemetry.io/otel/sdk/tracer"

// Config is what a [Provider] is built from.
type Config struct {
	Resource  *resource.Resource
	Sampler   sdktrace.Sampler // nil: every span is recorded and sampled
	Limits    sdktrace.SpanLimits
	Processor sdktrace.SpanProcessor // told of every recording span's start and end
	// Settle, when set, runs first in ForceFlush: the spans still being
	// finished beside the callers end before the processor flushes.
	Settle func(context.Context) error
}

// Provider is a trace.TracerProvider making [Span]s, with one processor.
type Provider struct {
	embedded.TracerProvider

	res     *resource.Resource
	sampler sdktrace.Sampler
	limits  sdktrace.SpanLimits
	proc    sdktrace.SpanProcessor
	settle  func(context.Context) error

	mu      sync.Mutex
	tracers map[instrumentation.Scope]*tracer
	shut    atomic.Bool
}

// NewProvider returns a provider; the limits are read as
// sdktrace.WithRawSpanLimits reads them (a zero depth limit is the SDK's
// default, 64).
func NewProvider(cfg Config) *Provider {
	if cfg.Limits.AttributeValueDepthLimit == 0 {
		cfg.Limits.AttributeValueDepthLimit = sdktrace.DefaultAttributeValueDepthLimit
	}
	if cfg.Sampler == nil {
		cfg.Sampler = sdktrace.AlwaysSample()
	}
	return &Provider{
		res:     cfg.Resource,
		sampler: cfg.Sampler,
		limits:  cfg.Limits,
		proc:    cfg.Processor,
		settle:  cfg.Settle,
		tracers: make(map[instrumentation.Scope]*tracer),
	}
}

// Tracer returns the tracer of the scope (name, version, schema URL and
// attributes), one per scope, as the SDK does; after Shutdown, a no-op
// tracer.
func (p *Provider) Tracer(name string, opts ...trace.TracerOption) trace.Tracer {
	if p.shut.Load() {
		return noop.NewTracerProvider().Tracer(name, opts...)
	}
	c := trace.NewTracerConfig(opts...)
	if name == "" {
		name = defaultTracerName
	}
	attrs := c.InstrumentationAttributes()
	if attrs.Len() > 0 {
		attrs = normSet(attrs, p.limits.AttributeValueDepthLimit)
	}
	is := instrumentation.Scope{Name: name, Version: c.InstrumentationVersion(), SchemaURL: c.SchemaURL(), Attributes: attrs}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.shut.Load() {
		return noop.NewTracerProvider().Tracer(name, opts...)
	}
	t, ok := p.tracers[is]
	if !ok {
		t = &tracer{p: p, scope: is}
		p.tracers[is] = t
	}
	return t
}

// ForceFlush settles (Config.Settle), then flushes the processor, unless
// ctx is done or the provider shut down.
func (p *Provider) ForceFlush(ctx context.Context) error {
	if p.shut.Load() || p.proc == nil {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if p.settle != nil {
		if err := p.settle(ctx); err != nil {
			return err
		}
	}
	return p.proc.ForceFlush(ctx)
}

// Shutdown shuts the processor down, once; spans ended afterwards go
// nowhere and Tracer returns no-op tracers.
func (p *Provider) Shutdown(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.shut.CompareAndSwap(false, true) {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if p.proc == nil {
		return nil
	}
	return p.proc.Shutdown(ctx)
}

// normSet normalises the map and slice values of a set as the SDK does
// for scope attributes.
func normSet(set attribute.Set, depth int) attribute.Set {
	kvs := set.ToSlice()
	changed := false
	for i, kv := range kvs {
		if v, ok := normValue(kv.Value, depth); ok {
			kvs[i].Value, changed = v, true
		}
	}
	if !changed {
		return set
	}
	return attribute.NewSet(kvs...)
}

// Limits are the library's private providers' (its own and the SDK one
// NewTracerProvider builds): OTEL_SPAN_ATTRIBUTE_* and the other OTEL_SPAN_*
// variables are meant for the application's provider and must not cut
// Litefuse's attributes. Values are bounded by the recording side
// (WithMaxAttributeLength), not cut here; the count is high enough for the
// library's own attributes plus capped caller metadata.
var Limits = sdktrace.SpanLimits{
	AttributeValueLengthLimit:   -1,
	AttributeCountLimit:         1024,
	EventCountLimit:             128,
	LinkCountLimit:              128,
	AttributePerEventCountLimit: 128,
	AttributePerLinkCountLimit:  128,
}
