package litefuse

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// Generation names and annotates the next model calls made with a context,
// like the name=, metadata= and langfuse_prompt= arguments of the Python
// wrapper.
type Generation struct {
	// Name is the observation's name in Litefuse. Default: "chat {model}".
	Name string
	// Metadata is recorded as langfuse.observation.metadata.<key>: strings
	// as they are, other values as JSON.
	Metadata map[string]any
	// Prompt links the generation to a Litefuse prompt version.
	Prompt *PromptRef
}

// PromptRef names a prompt managed in Litefuse. Both fields must be set for
// the link to be recorded: Litefuse drops a generation carrying only one.
type PromptRef struct {
	Name    string
	Version int
}

type generationKey struct{}

// WithGeneration returns a context whose model calls are recorded with g's
// name, metadata and prompt.
func WithGeneration(ctx context.Context, g Generation) context.Context {
	return context.WithValue(ctx, generationKey{}, &g)
}

func generationFrom(ctx context.Context) *Generation {
	g, _ := ctx.Value(generationKey{}).(*Generation)
	return g
}

// Attributes are trace-level attributes: Litefuse shows them on the trace and
// filters by them. [PropagateAttributes] puts them on every span started
// under a context.
type Attributes struct {
	UserID, SessionID, TraceName, Version string
	Tags                                  []string
	Metadata                              map[string]string
}

// maxPropagatedLen is the longest propagated value Litefuse's SDKs keep.
const maxPropagatedLen = 200

type attributesKey struct{}

// PropagateAttributes returns a context whose spans, observations and
// generations alike, all carry a's trace attributes. Nested calls merge: the
// inner value wins, tags add up. Values over 200 characters are dropped with
// a debug log line, as the Litefuse SDKs do.
func PropagateAttributes(ctx context.Context, a Attributes) context.Context {
	merged := Attributes{}
	if prev := attributesFrom(ctx); prev != nil {
		merged = *prev
		merged.Tags = slices.Clone(prev.Tags)
		merged.Metadata = make(map[string]string, len(prev.Metadata)+len(a.Metadata))
		for k, v := range prev.Metadata {
			merged.Metadata[k] = v
		}
	}
	keep := func(name, v string) bool {
		if len(v) <= maxPropagatedLen {
			return true
		}
		debugLogger().Debug("litefuse: propagated attribute over 200 characters dropped", "attribute", name, "length", len(v))
		return false
	}
	for _, f := range []struct {
		name string
		src  string
		dst  *string
	}{
		{keyUserID, a.UserID, &merged.UserID},
		{keySessionID, a.SessionID, &merged.SessionID},
		{keyTraceName, a.TraceName, &merged.TraceName},
		{keyVersion, a.Version, &merged.Version},
	} {
		if f.src != "" && keep(f.name, f.src) {
			*f.dst = f.src
		}
	}
	for _, t := range a.Tags {
		if t != "" && keep(keyTraceTags, t) && !slices.Contains(merged.Tags, t) {
			merged.Tags = append(merged.Tags, t)
		}
	}
	for k, v := range a.Metadata {
		if keep(keyTraceMetadata+k, v) {
			if merged.Metadata == nil {
				merged.Metadata = make(map[string]string, len(a.Metadata))
			}
			merged.Metadata[k] = v
		}
	}
	// The span already running (e.g. the Observe around this call) belongs
	// to the trace too: tag it now, as Litefuse's SDKs do.
	if span := trace.SpanFromContext(ctx); span.IsRecording() {
		func() {
			defer guard()
			if rec := recorderFrom(ctx); rec != nil {
				span.SetAttributes(rec.traceAttributes(nil, &merged)...)
			} else {
				span.SetAttributes(traceAttributes(nil, &merged, "", "", DefaultMaxAttributeLen)...)
			}
		}()
	}
	return context.WithValue(ctx, attributesKey{}, &merged)
}

// debugLogger is the default pipeline's logger once it runs, else slog's;
// asking must not start the pipeline.
func debugLogger() *slog.Logger {
	if inst := defaultInst.Load(); inst != nil {
		return inst.cfg.log()
	}
	return slog.Default()
}

func attributesFrom(ctx context.Context) *Attributes {
	a, _ := ctx.Value(attributesKey{}).(*Attributes)
	return a
}

// ObservationType is the kind of observation Litefuse shows.
type ObservationType string

// Observation types Litefuse knows.
const (
	TypeSpan      ObservationType = typeSpan
	TypeAgent     ObservationType = "agent"
	TypeTool      ObservationType = "tool"
	TypeChain     ObservationType = "chain"
	TypeRetriever ObservationType = "retriever"
	TypeEvaluator ObservationType = "evaluator"
	TypeGuardrail ObservationType = "guardrail"
	TypeEmbedding ObservationType = typeEmbedding
	TypeEvent     ObservationType = "event"
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

// WithMetadata records metadata on the observation. Default: none.
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
// a function call. All methods are safe on a nil or ended Observation and
// from several goroutines.
type Observation struct {
	span     trace.Span
	rec      *recorder
	once     sync.Once
	noOutput bool // WithoutOutput: Observe records no result
}

var (
	defaultRecOnce sync.Once
	defaultRec     *recorder
)

func defaultRecorder() *recorder {
	defaultRecOnce.Do(func() { defaultRec = newRecorder(nil) })
	return defaultRec
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
	if oc.typ == "" {
		oc.typ = TypeSpan
	}
	rec := oc.rec
	if rec == nil {
		rec = recorderFrom(ctx) // the enclosing observation's options
	}
	if rec == nil {
		rec = defaultRecorder()
	}
	ctx, span := rec.start(ctx, name, string(oc.typ), trace.SpanKindInternal)
	obs := &Observation{span: span, rec: rec, noOutput: oc.noOutput}
	if span.IsRecording() {
		if oc.hasInput {
			obs.SetInput(oc.input)
		}
		if len(oc.metadata) > 0 {
			obs.setAttrs(rec.metadataAttrs(nil, oc.metadata)...)
		}
	}
	return ctx, obs
}

func (o *Observation) recording() bool { return o != nil && o.span != nil && o.span.IsRecording() }

func (o *Observation) setAttrs(kv ...attribute.KeyValue) {
	defer guard()
	o.span.SetAttributes(kv...)
}

// SetInput records v, as JSON, as the observation's input.
func (o *Observation) SetInput(v any) {
	if o.recording() {
		o.setAttrs(o.rec.jsonAttr(keyInput, v))
	}
}

// SetOutput records v, as JSON, as the observation's output.
func (o *Observation) SetOutput(v any) {
	if o.recording() {
		o.setAttrs(o.rec.jsonAttr(keyOutput, v))
	}
}

// SetMetadata records metadata: strings as they are, other values as JSON.
func (o *Observation) SetMetadata(md map[string]any) {
	if o.recording() {
		o.setAttrs(o.rec.metadataAttrs(nil, md)...)
	}
}

// SetError marks the observation as failed (level ERROR) with err's text.
func (o *Observation) SetError(err error) {
	if err != nil && o.recording() {
		defer guard()
		setError(o.span, err, errorType(err), o.rec.cfg.maxAttrLen)
	}
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
	o.once.Do(func() { o.span.End() })
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
