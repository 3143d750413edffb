package litefuse

import (
	"context"

	"fmt"
	"sync"
	"time"

	"github.com/litefuse/litefuse-go/internal/record"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// ObservationType is the kind of observation Litefuse shows.
type ObservationType string

// Observation types Litefuse knows.
const (
	TypeSpan       ObservationType = "span"
	TypeAgent      ObservationType = "agent"
	TypeTool       ObservationType = "tool"
	TypeChain      ObservationType = "chain"
	TypeRetriever  ObservationType = "retriever"
	TypeEvaluator  ObservationType = "evaluator"
	TypeGuardrail  ObservationType = "guardrail"
	TypeEmbedding  ObservationType = "embedding"
	TypeEvent      ObservationType = "event"
	TypeGeneration ObservationType = "generation"
)

// ObserveOption configures an observation.
type ObserveOption interface{ applyObserve(*observeConfig) }

type observeConfig struct {
	typ      ObservationType
	input    any
	hasInput bool
	metadata map[string]any
	noOutput bool
	rec      *recorder
	traceID  string // WithTraceID
}

type observeOptionFunc func(*observeConfig)

func (f observeOptionFunc) applyObserve(c *observeConfig) { f(c) }

// WithInput records v (as JSON) as the observation's input. Default: none.
func WithInput(v any) ObserveOption {
	return observeOptionFunc(func(c *observeConfig) { c.input, c.hasInput = v, true })
}

// WithType sets the observation type. Default: [TypeSpan].
func WithType(t ObservationType) ObserveOption {
	return observeOptionFunc(func(c *observeConfig) { c.typ = t })
}

// WithMetadata records metadata on the observation. Default: none. The
// key litefuse_dropped_metadata_keys, which the library writes, is
// recorded as caller_litefuse_dropped_metadata_keys.
func WithMetadata(md map[string]any) ObserveOption {
	return observeOptionFunc(func(c *observeConfig) { c.metadata = md })
}

// WithoutOutput stops [Observe] from recording fn's result, like Python's
// capture_output=False. Default: the result is recorded.
func WithoutOutput() ObserveOption {
	return observeOptionFunc(func(c *observeConfig) { c.noOutput = true })
}

// WithObserveOptions records the observation with these library options,
// e.g. [WithTracerProvider] to match a client wrapped with it, or [WithMask].
// Nested observations inherit them. Default: the enclosing observation's
// options, else the default pipeline.
func WithObserveOptions(opts ...Option) ObserveOption {
	rec := newRecorder(opts)
	return observeOptionFunc(func(c *observeConfig) { c.rec = rec })
}

// Observation is a span the caller opens and ends, for steps that do not fit
// a function call, or a generation made without HTTP (see
// [Observation.SetModel] and the other generation fields). All methods are
// safe on a nil or ended Observation and from several goroutines.
type Observation struct {
	span     trace.Span
	rec      *recorder
	values   record.Values // rec's, with media uploads for this span
	once     sync.Once
	noOutput bool      // WithoutOutput: Observe records no result
	typed    bool      // WithType given: generation fields do not change the type
	keys     *keyScope // the keys of the calls made under it, scrubbed from what it records
	live     bool      // started before Shutdown

	// status is the OTel status End sets: Error when the last of SetError
	// and SetLevel said ERROR, so the level and the status always agree.
	status struct {
		sync.Mutex
		failed bool
		msg    string
	}
}

// setFailed notes the status End sets.
func (o *Observation) setFailed(failed bool, msg string) {
	o.status.Lock()
	o.status.failed, o.status.msg = failed, msg
	o.status.Unlock()
}

// StartObservation opens an observation named name as a child of ctx's span
// and returns the context to pass to its children. End it with End.
func StartObservation(ctx context.Context, name string, opts ...ObserveOption) (context.Context, *Observation) {
	var oc observeConfig
	for _, o := range opts {
		if o != nil {
			o.applyObserve(&oc)
		}
	}
	typed := oc.typ != ""
	if !typed {
		oc.typ = TypeSpan
	}
	rec := oc.rec
	if rec == nil {
		rec = recorderFrom(ctx) // the enclosing observation's options
	}
	if rec == nil {
		rec = defaultRecorder()
	}
	// A name may quote an error ("retry: "+err.Error()) that echoes a key.
	live := !isShutDown() // started before Shutdown: counted if ended after it
	ctx, span := rec.startIn(ctx, oc.traceID, "WithTraceID", scrubText(ctx, name), trace.SpanKindInternal)
	ctx = withDecision(ctx, span) // the library's spans under it follow its sampling
	obs := &Observation{span: span, rec: rec, values: rec.values, noOutput: oc.noOutput, typed: typed, live: live}
	if !span.IsRecording() {
		if oc.rec != nil { // the observations under it keep its options, recorded or not
			ctx = context.WithValue(ctx, recorderKey{}, rec)
		}
		return ctx, obs
	}
	ctx, obs.keys = withKeyScope(ctx)
	// A key of a call made outside the observation's ctx may be echoed in
	// what it records: the process-wide list covers it.
	obs.values.Scrub = scrubKnown
	func() {
		defer guard()
		if rec.cfg.mediaUpload {
			obs.values = withMedia(obs.values, span)
		}
		attrs := []attribute.KeyValue{attribute.String(record.KeyObservationType, string(oc.typ))}
		if oc.hasInput {
			attrs = append(attrs, attribute.String(record.KeyInput, obs.values.FieldValue("input", oc.input)))
		}
		tv := rec.values // scrubbed, without this span's media
		tv.Redact, tv.Scrub = obs.keys.list(), scrubKnown
		attrs = rec.traceAttrs(attrs, ctx, &tv)
		attrs = record.ObservationMetadata(attrs, oc.metadata, &obs.values)
		span.SetAttributes(attrs...)
	}()
	// Children and PropagateAttributes calls under the observation record
	// with the same options, and may tag this span: the library owns it.
	ctx = context.WithValue(ctx, recorderKey{}, rec)
	ctx = context.WithValue(ctx, observationKey{}, obs)
	return context.WithValue(ctx, ownSpanKey{}, span), obs
}

func (o *Observation) recording() bool { return o != nil && o.span != nil && o.span.IsRecording() }

func (o *Observation) set(attrs func() []attribute.KeyValue) {
	if !o.recording() {
		return
	}
	defer guard()
	o.span.SetAttributes(attrs()...)
}

// SetInput records v, as JSON, as the observation's input.
func (o *Observation) SetInput(v any) {
	o.set(func() []attribute.KeyValue {
		vals := o.scrubbed()
		return []attribute.KeyValue{attribute.String(record.KeyInput, vals.FieldValue("input", v))}
	})
}

// SetOutput records v, as JSON, as the observation's output.
func (o *Observation) SetOutput(v any) {
	o.set(func() []attribute.KeyValue {
		vals := o.scrubbed()
		return []attribute.KeyValue{attribute.String(record.KeyOutput, vals.FieldValue("output", v))}
	})
}

// SetMetadata records metadata: strings as they are, other values as JSON.
func (o *Observation) SetMetadata(md map[string]any) {
	o.set(func() []attribute.KeyValue {
		vals := o.scrubbed()
		return record.ObservationMetadata(nil, md, &vals)
	})
}

// scrubbed is the observation's values, scrubbed of the keys of the calls
// made under it so far (a server may echo one in an error body).
func (o *Observation) scrubbed() record.Values {
	v := o.values
	v.Redact = o.keys.list()
	return v
}

// SetError marks the observation as failed (level ERROR) with err's text.
// A later [Observation.SetLevel] replaces the level and, with it, the
// span's OTel status: the status is Error exactly when the level is.
func (o *Observation) SetError(err error) {
	if err == nil || !o.recording() {
		return
	}
	defer guard()
	v := o.scrubbed()
	msg := v.Message(err.Error()) // scrubbed of the scope's keys and the process-wide list's
	o.span.SetAttributes(
		attribute.String(record.KeyLevel, record.LevelError),
		attribute.String(record.KeyStatusMessage, msg),
		attribute.String(record.KeyErrorType, errorType(err)),
	)
	o.setFailed(true, msg)
}

// SpanContext returns the observation's span context, e.g. to show its
// trace id.
func (o *Observation) SpanContext() trace.SpanContext {
	if o == nil || o.span == nil {
		return trace.SpanContext{}
	}
	return o.span.SpanContext()
}

// End ends the observation. Calling it again does nothing.
func (o *Observation) End() {
	if o == nil || o.span == nil {
		return
	}
	o.once.Do(func() {
		o.status.Lock()
		failed, msg := o.status.failed, o.status.msg
		o.status.Unlock()
		if failed && o.span.IsRecording() {
			fail(o.span, msg)
		}
		o.rec.inst.endSpan(o.span, o.live, time.Time{})
	})
}

// Observe runs fn inside an observation named name, like Python's
// @observe(): the observation records fn's result as output, and fn's error
// as level ERROR; the error and result are returned unchanged. A panic in fn
// is recorded and re-panicked.
func Observe[T any](ctx context.Context, name string, fn func(context.Context) (T, error), opts ...ObserveOption) (T, error) {
	ctx, obs := StartObservation(ctx, name, opts...)
	ended := false
	defer func() {
		if ended {
			return
		}
		if p := recover(); p != nil {
			obs.SetError(fmt.Errorf("panic: %v", p))
			obs.End()
			panic(p)
		}
		obs.End() // runtime.Goexit, e.g. t.FailNow inside fn
	}()
	out, err := fn(ctx)
	ended = true
	if err != nil {
		obs.SetError(err)
	} else if !obs.noOutput {
		obs.SetOutput(out)
	}
	obs.End()
	return out, err
}
