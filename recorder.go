package litefuse

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// recorder holds what one client (or Observe) records with: the tracer and
// the resolved recording options. It is resolved on first use, so a client
// built before Init still follows Init.
type recorder struct {
	opts []Option

	once   sync.Once
	cfg    config
	tracer trace.Tracer
}

func newRecorder(opts []Option) *recorder { return &recorder{opts: opts} }

func (r *recorder) resolve() {
	r.once.Do(func() {
		var probe config
		probe.apply(r.opts)
		if probe.tracerProvider != nil {
			r.cfg, _ = resolveConfig(r.opts)
			r.tracer = probe.tracerProvider.Tracer(ScopeName, trace.WithInstrumentationVersion(Version))
			return
		}
		inst := defaultInstance()
		r.cfg = inst.cfg
		r.cfg.apply(r.opts)
		r.tracer = inst.tracer
	})
}

// start begins an observation span carrying the trace-level attributes from
// ctx. Callers check span.IsRecording() before doing any recording work.
func (r *recorder) start(ctx context.Context, name, obsType string, kind trace.SpanKind) (context.Context, trace.Span) {
	r.resolve()
	ctx, span := r.tracer.Start(ctx, name, trace.WithSpanKind(kind))
	if !span.IsRecording() {
		return ctx, span
	}
	attrs := traceAttributes(attributesFrom(ctx), r.cfg.environment, r.cfg.release, r.cfg.maxAttrLen)
	attrs = append(attrs, attribute.String(keyObservationType, obsType))
	span.SetAttributes(attrs...)
	return ctx, span
}

// maskedMarker replaces a value whose mask function panicked.
const maskedMarker = "[masked]"

// masked applies the user's mask; a panicking mask fails closed.
func (r *recorder) masked(v any) (out any) {
	if r.cfg.mask == nil {
		return v
	}
	defer func() {
		if p := recover(); p != nil {
			out = maskedMarker
		}
	}()
	return r.cfg.mask(v)
}

// jsonString masks v, renders it as JSON and bounds its length.
func (r *recorder) jsonString(v any) string {
	v = r.masked(v)
	if s, ok := v.(string); ok && r.cfg.mask != nil && s == maskedMarker {
		return s
	}
	b, err := json.Marshal(v)
	if err != nil {
		return clean(fmt.Sprintf("<litefuse: cannot serialise %T: %v>", v, err), r.cfg.maxAttrLen)
	}
	return clean(string(b), r.cfg.maxAttrLen)
}

// jsonAttrNoMask renders values the mask must not touch (token counts).
func (r *recorder) jsonAttrNoMask(key string, v any) attribute.KeyValue {
	b, err := json.Marshal(v)
	if err != nil {
		return attribute.String(key, "{}")
	}
	return attribute.String(key, string(b))
}

// jsonAttr is jsonString as an attribute.
func (r *recorder) jsonAttr(key string, v any) attribute.KeyValue {
	return attribute.String(key, r.jsonString(v))
}

// metadataAttrs renders per-observation metadata, masked.
func (r *recorder) metadataAttrs(md map[string]any, extra ...attribute.KeyValue) []attribute.KeyValue {
	kv := make([]attribute.KeyValue, 0, len(md)+len(extra))
	for k, v := range md {
		v = r.masked(v)
		kv = append(kv, attribute.String(keyObservationMetadata+clean(k, r.cfg.maxAttrLen), clean(metadataValue(v), r.cfg.maxAttrLen)))
	}
	return append(kv, extra...)
}

// guard stops a panic in recording code from reaching the caller; the fault
// goes to the OTel error handler instead.
func guard() {
	if p := recover(); p != nil {
		otel.Handle(fmt.Errorf("litefuse: recovered from a fault while recording a span: %v", p))
	}
}
