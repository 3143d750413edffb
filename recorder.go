package litefuse

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"

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

// startSpan begins a span and nothing more: generations set all their
// attributes in one call when they end.
func (r *recorder) startSpan(ctx context.Context, name string, kind trace.SpanKind) (context.Context, trace.Span) {
	r.resolve()
	if !utf8.ValidString(name) {
		name = strings.ToValidUTF8(name, "\uFFFD")
	}
	return r.tracer.Start(ctx, name, trace.WithSpanKind(kind))
}

// start begins an observation span carrying the trace-level attributes from
// ctx. Callers check span.IsRecording() before doing any recording work.
func (r *recorder) start(ctx context.Context, name, obsType string, kind trace.SpanKind) (context.Context, trace.Span) {
	ctx, span := r.startSpan(ctx, name, kind)
	if !span.IsRecording() {
		return ctx, span
	}
	attrs := make([]attribute.KeyValue, 0, 12)
	attrs = r.traceAttributes(attrs, attributesFrom(ctx))
	attrs = append(attrs, attribute.String(keyObservationType, obsType))
	span.SetAttributes(attrs...)
	// Children and PropagateAttributes calls under an observation record
	// with the same options (mask, limits).
	return context.WithValue(ctx, recorderKey{}, r), span
}

type recorderKey struct{}

func recorderFrom(ctx context.Context) *recorder {
	r, _ := ctx.Value(recorderKey{}).(*recorder)
	return r
}

// maskedMarker replaces a value whose mask function panicked.
const maskedMarker = "[masked]"

// masked applies the user's mask to v in its JSON form (map[string]any,
// []any, string, json.Number, bool, nil), so the mask can walk any value,
// ours or the caller's. A panicking mask fails closed.
func (r *recorder) masked(v any) (out any) {
	if r.cfg.mask == nil {
		return v
	}
	defer func() {
		if p := recover(); p != nil {
			out = maskedMarker
		}
	}()
	return r.cfg.mask(toJSONValue(v))
}

// toJSONValue converts v to the generic values encoding/json decodes to.
func toJSONValue(v any) any {
	switch v.(type) {
	case nil, string, bool, json.Number, map[string]any, []any:
		return v
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("<litefuse: cannot serialise %T: %v>", v, err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var out any
	if err := dec.Decode(&out); err != nil {
		return string(b)
	}
	return out
}

// jsonString masks v, renders it as JSON and bounds its length.
func (r *recorder) jsonString(v any) string {
	v = r.masked(v)
	b, err := json.Marshal(v)
	if err != nil {
		return clean(fmt.Sprintf("<litefuse: cannot serialise %T: %v>", v, err), r.cfg.maxAttrLen)
	}
	return clean(string(b), r.cfg.maxAttrLen)
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// encodedAttr renders a JSON attribute with a reflection-free encoder into a
// pooled buffer. With a mask set it takes the slow path instead: the mask
// needs the value, which value (when not nil) returns.
func (r *recorder) encodedAttr(key string, enc func([]byte) []byte, value func() any) attribute.KeyValue {
	if r.cfg.mask != nil && value != nil {
		return attribute.String(key, r.jsonString(value()))
	}
	bp := bufPool.Get().(*[]byte)
	b := enc((*bp)[:0])
	s := truncateJSON(b, r.cfg.maxAttrLen)
	if cap(b) <= 64<<10 {
		*bp = b[:0]
		bufPool.Put(bp)
	}
	return attribute.String(key, s)
}

// paramsAttr appends the model parameters enc writes, unless it writes
// nothing (the caller set none).
func (r *recorder) paramsAttr(attrs []attribute.KeyValue, enc func([]byte) []byte) []attribute.KeyValue {
	if kv := r.encodedAttr(keyModelParameters, enc, nil); kv.Value.AsString() != "" {
		attrs = append(attrs, kv)
	}
	return attrs
}

// truncateJSON copies encoder output (valid UTF-8) into a string, cut to
// limit bytes with a visible marker.
func truncateJSON(b []byte, limit int) string {
	if limit <= 0 || len(b) <= limit {
		return string(b)
	}
	cut := limit
	for cut > 0 && !utf8.RuneStart(b[cut]) {
		cut--
	}
	return string(b[:cut]) + truncatedSuffix(len(b)-cut)
}

// jsonAttr is jsonString as an attribute.
func (r *recorder) jsonAttr(key string, v any) attribute.KeyValue {
	return attribute.String(key, r.jsonString(v))
}

// metadataAttrs renders per-observation metadata, masked.
func (r *recorder) metadataAttrs(kv []attribute.KeyValue, md map[string]any) []attribute.KeyValue {
	for k, v := range md {
		v = r.masked(v)
		kv = append(kv, attribute.String(keyObservationMetadata+clean(k, r.cfg.maxAttrLen), clean(metadataValue(v), r.cfg.maxAttrLen)))
	}
	return kv
}

// guard stops a panic in recording code from reaching the caller; the fault
// goes to the OTel error handler instead.
func guard() {
	if p := recover(); p != nil {
		otel.Handle(fmt.Errorf("litefuse: recovered from a fault while recording a span: %v", p))
	}
}

// traceAttributes appends the trace-level attributes for a span, with trace
// metadata masked.
func (r *recorder) traceAttributes(dst []attribute.KeyValue, a *Attributes) []attribute.KeyValue {
	if a != nil && r.cfg.mask != nil && len(a.Metadata) > 0 {
		masked := *a
		masked.Metadata = make(map[string]string, len(a.Metadata))
		for k, v := range a.Metadata {
			masked.Metadata[k] = metadataValue(r.masked(v))
		}
		a = &masked
	}
	return traceAttributes(dst, a, r.cfg.environment, r.cfg.release, r.cfg.maxAttrLen)
}
