package litefuse

import (
	"context"
	"github.com/litefuse/litefuse-go/internal/export"
	"github.com/litefuse/litefuse-go/internal/record"
	"github.com/litefuse/litefuse-go/internal/span"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// NewTracerProvider returns a TracerProvider that sends to Litefuse,
// configured from the LANGFUSE_* environment and opts (out-of-range values
// are clamped with a warning through the logger). Pass it to [Wrap] with
// [WithTracerProvider]; the caller owns it and must Shutdown it. It never
// touches the global provider.
//
// Its spans: instrumentation scope [ScopeName]; resource
// resource.Default() (telemetry.sdk.*) with service.name and, when set,
// langfuse.environment and langfuse.release; span names cut to
// [MaxSpanNameLen] characters of valid UTF-8 when a span starts; the
// library's own span limits, whatever OTEL_SPAN_* says; sampled by trace id
// at [WithSampleRate] alone, so an unsampled incoming parent does not
// silence Litefuse. Export: see [Init] for the promises.
func NewTracerProvider(opts ...Option) (*sdktrace.TracerProvider, error) {
	cfg, errs := resolveConfig(opts)
	for _, err := range errs {
		cfg.log().Warn(err.Error())
	}
	inst, err := newInstance(cfg)
	if err != nil {
		return nil, err
	}
	// The application's own provider is the SDK's, around the same
	// processor; the pipeline's private one (inst.tp) goes unused.
	return sdkProvider(cfg, inst.proc), nil
}

// newResource is resource.Default() with the library's service name,
// environment and release.
func newResource(cfg config) *resource.Resource {
	kv := []attribute.KeyValue{attribute.String(record.KeyServiceName, cfg.serviceName)}
	if cfg.environment != "" {
		kv = append(kv, attribute.String(record.KeyEnvironment, cfg.environment))
	}
	if cfg.release != "" {
		kv = append(kv, attribute.String(record.KeyRelease, cfg.release))
	}
	own := resource.NewSchemaless(kv...)
	res, err := resource.Merge(resource.Default(), own)
	if err != nil {
		return own
	}
	return res
}

// newProvider builds the private provider around the processor: the
// library's own span type (internal/span), which records and is read as
// the SDK's span is, at a fraction of its cost per span.
func newProvider(cfg config, proc *export.Processor, r *renders) *span.Provider {
	return span.NewProvider(span.Config{
		Resource:  newResource(cfg),
		Sampler:   sampler{cfg.sampleRate},
		Limits:    span.Limits,
		Processor: proc,
		Settle:    r.wait, // the calls being recorded beside the callers end first
	})
}

// sdkProvider is the provider [NewTracerProvider] returns: the SDK's, set
// up as newProvider's.
func sdkProvider(cfg config, proc *export.Processor) *sdktrace.TracerProvider {
	return sdktrace.NewTracerProvider(
		sdktrace.WithResource(newResource(cfg)),
		sdktrace.WithSampler(sampler{cfg.sampleRate}),
		sdktrace.WithRawSpanLimits(span.Limits),
		sdktrace.WithSpanProcessor(settling{proc}),
	)
}

// settling is the processor of the SDK provider [NewTracerProvider]
// returns: its ForceFlush and Shutdown first wait, within ctx, for the calls
// recorded with an application's provider that are still being finished
// beside their callers (a large call, a stream read on for its usage after
// Close), as Flush and Shutdown do.
type settling struct{ *export.Processor }

func (s settling) ForceFlush(ctx context.Context) error {
	if err := extRenders.wait(ctx); err != nil {
		return err
	}
	return s.Processor.ForceFlush(ctx)
}

func (s settling) Shutdown(ctx context.Context) error {
	_ = extRenders.wait(ctx) // out of time: the processor says so
	return s.Processor.Shutdown(ctx)
}

func tracerFrom(tp trace.TracerProvider) trace.Tracer {
	return tp.Tracer(ScopeName, trace.WithInstrumentationVersion(Version))
}
