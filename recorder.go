package litefuse

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/litefuse/litefuse-go/internal/export"
	"github.com/litefuse/litefuse-go/internal/record"
	spanpkg "github.com/litefuse/litefuse-go/internal/span"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// recorder holds what one client, transport or observation records with:
// the tracer and the resolved recording options. It is resolved on first
// use, so a client built before Init still follows Init.
type recorder struct {
	opts []Option

	once   sync.Once
	cfg    config
	tracer trace.Tracer
	inst   *instance // the library pipeline it records into; nil: the application's provider
	off    bool      // tracing off for this recorder: calls pass through
	rate   float64   // this recorder's own sample rate; < 0: the pipeline's
	values record.Values
	// smp is the library's sampler of tracer's provider, when the provider
	// is the library's own span provider (its pipelines): a call it is sure
	// to drop starts no span (see unsampled). nil for any other provider,
	// whose Start is called as always.
	smp *sampler
	// drawID draws the id of a new trace for unsampled; nil:
	// spanpkg.NewTraceID. Tests set their own.
	drawID func() trace.TraceID

	lastName atomic.Pointer[spanNameEntry] // see call.name
	envErrs  []error                       // the environment's problems, for a pipeline of its own to report
}

func newRecorder(opts []Option) *recorder { return &recorder{opts: opts} }

// with returns r's options followed by opts, which win: wrapping a
// recording client again keeps what it was built with.
func (r *recorder) with(opts []Option) []Option {
	return append(slices.Clip(r.opts), opts...)
}

var (
	defaultRecOnce sync.Once
	defaultRec     *recorder
)

// defaultRecorder records with the default pipeline and no options.
func defaultRecorder() *recorder {
	defaultRecOnce.Do(func() { defaultRec = newRecorder(nil) })
	return defaultRec
}

func (r *recorder) resolve() {
	r.once.Do(func() {
		// probe holds only what the options themselves set.
		probe := config{enabled: true}
		probe.apply(r.opts)
		switch {
		case probe.tracerProvider != nil:
			r.envAndOptions()
			r.tracer = probe.tracerProvider.Tracer(ScopeName, trace.WithInstrumentationVersion(Version))
		case probe.publicKey != "" || probe.secretKey != "" || probe.baseURL != "" || probe.endpointURL != "":
			// Where to send was given to this client: it gets a pipeline of
			// its own, flushed and shut down with the default one.
			r.envAndOptions()
			r.tracer = r.ownPipeline()
		default:
			inst := defaultInstanceHeld() // inside r.once: resolve emits its lines
			r.cfg = inst.cfg
			r.cfg.apply(r.opts)
			r.tracer = inst.tracer
			if inst.tp != nil {
				r.inst = inst
			}
		}
		// This client's own options are checked as the environment is:
		// a bad value is clamped or left out, with one warning per value
		// however many clients carry it (a server builds one per request).
		for _, err := range r.cfg.normalize() {
			warnClientOnce(r.cfg.log(), err)
		}
		if r.tracer == nil { // its own pipeline could not be built
			probe.enabled = false
		}
		r.rate = -1
		if probe.from.sampleRate != "" {
			r.rate = r.cfg.sampleRate
		}
		// WithEnabled(false) given to this client wins over the pipeline.
		r.off = !probe.enabled || !r.cfg.enabled
		if r.off {
			r.tracer = noop.NewTracerProvider().Tracer(ScopeName)
		}
		if _, ok := r.tracer.(noop.Tracer); ok {
			// A no-op provider given to this client records nothing and
			// sees nothing: its calls pass through as with tracing off.
			r.off = true
		}
		if smp, ok := spanpkg.SamplerOf(r.tracer); ok {
			if s, ok := smp.(sampler); ok {
				r.smp = &s
			}
		}
		r.values = record.Values{Mask: r.cfg.mask, MaxLen: r.cfg.maxAttrLen}
	})
	emitHeldLogs() // what was logged inside the Once
}

// envAndOptions resolves the environment, then r's options. The
// environment's own problems are reported by the pipeline that reads it
// first (the default one, or a client's own), once for the process.
func (r *recorder) envAndOptions() {
	r.cfg, r.envErrs = loadEnv(os.LookupEnv)
	r.cfg.normalize()
	r.cfg.apply(r.opts)
}

// ownPipeline returns the pipeline of a client given its own credentials,
// URL or other export settings: one per set of settings, shared by every
// client with equal ones, flushed and shut down with the default one; nil
// when it cannot be built (the reason is logged).
func (r *recorder) ownPipeline() trace.Tracer {
	for _, err := range r.envErrs { // when no default pipeline is ever built, nobody else would
		warnProcessOnce(r.cfg.log(), err)
	}
	for _, err := range r.cfg.normalize() {
		warnClientOnce(r.cfg.log(), err)
	}
	r.inst = pipelineFor(r.cfg)
	if r.inst == nil {
		return nil
	}
	return r.inst.tracer
}

// renders counts the calls this recorder renders beside the caller, for
// Flush and Shutdown to wait on.
func (r *recorder) renders() *renders {
	if r.inst != nil {
		return &r.inst.renders
	}
	return &extRenders
}

// start begins a span that carries the trace-level attributes from ctx.
// Callers check span.IsRecording() before doing any recording work.
func (r *recorder) start(ctx context.Context, name string, kind trace.SpanKind) (context.Context, trace.Span) {
	return r.startTrace(ctx, trace.TraceID{}, name, kind)
}

// startTrace is start, with newTrace (when valid) the id of the new trace
// the span begins if ctx holds none: the one unsampled drew and decided.
func (r *recorder) startTrace(ctx context.Context, newTrace trace.TraceID, name string, kind trace.SpanKind) (context.Context, trace.Span) {
	return r.begin(ctx, newTrace, name, kind, true)
}

// begin is startTrace; without withCtx the context returned is nil, for a
// caller that starts nothing under the span (a model call's): the
// library's own tracer then makes none.
func (r *recorder) begin(ctx context.Context, newTrace trace.TraceID, name string, kind trace.SpanKind, withCtx bool) (context.Context, trace.Span) {
	r.resolve()
	var span trace.Span
	switch {
	case !withCtx:
		span = spanpkg.StartSpan(r.tracer, withSampleRate(ctx, r.rate), newTrace, spanName(name), kindOption(kind)...)
		ctx = nil
	case newTrace.IsValid():
		ctx, span = spanpkg.StartInNewTrace(r.tracer, withSampleRate(ctx, r.rate), newTrace, spanName(name), kindOption(kind)...)
	default:
		ctx, span = r.tracer.Start(withSampleRate(ctx, r.rate), spanName(name), kindOption(kind)...)
	}
	if r.cfg.debug && !firstSpan.Load() && span.IsRecording() && firstSpan.CompareAndSwap(false, true) {
		r.cfg.log().Debug("litefuse: first span recorded; spans are sent in batches in the background: call litefuse.Shutdown (or Flush) before the program exits, or the last ones are lost")
	}
	return ctx, span
}

// unsampled reports whether the library's own sampler drops the span
// startIn(ctx, id, ...) would start, so that a call it does not record
// starts no span at all: no sampler called, no context or span made. It
// follows the span's own path to its trace: the span in ctx; else the
// trace id (WithGeneration's), when valid; else a new trace. A new trace
// at a rate between 0 and 1 (and no id given) is decided by an id drawn
// here, returned: a call not dropped starts its span in that trace
// (startTrace), where Start's sampler takes the same decision. drop is
// false when unsure: another provider decides (its Start is called as
// always), or a new trace where an invalid trace id was given (startIn
// warns about it if the call is recorded). r is resolved.
func (r *recorder) unsampled(ctx context.Context, id string) (drop bool, newTrace trace.TraceID) {
	if r.smp == nil {
		return false, trace.TraceID{}
	}
	sc := trace.SpanContextFromContext(ctx)
	tid := sc.TraceID() // Start joins it even with no valid span id
	if !sc.IsValid() && id != "" && validTraceID(id) {
		tid, _ = trace.TraceIDFromHex(id) // knownTrace's synthetic parent
	}
	if tid.IsValid() {
		return r.smp.drops(ctx, tid, r.rate), trace.TraceID{}
	}
	// A new trace: a decision ctx carries is for an existing trace, never
	// for an id yet to be drawn.
	switch rate := r.smp.rateIn(ctx, r.rate); {
	case rate <= 0:
		return true, trace.TraceID{}
	case rate >= 1 || id != "":
		return false, trace.TraceID{}
	default:
		if r.drawID != nil {
			tid = r.drawID()
		} else {
			tid = spanpkg.NewTraceID()
		}
		return !keeps(tid, rate), tid
	}
}

// kindOptions are the start options of each span kind, built once: an
// option built per call costs two allocations, on every call, recorded
// or not.
var kindOptions = func() (o [trace.SpanKindConsumer + 1][]trace.SpanStartOption) {
	for k := range o {
		o[k] = []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKind(k))}
	}
	return o
}()

func kindOption(k trace.SpanKind) []trace.SpanStartOption {
	if k >= 0 && int(k) < len(kindOptions) {
		return kindOptions[k]
	}
	return []trace.SpanStartOption{trace.WithSpanKind(k)}
}

// firstSpan is set once the first span is recorded.
var firstSpan atomic.Bool

// spanName keeps a span name within what Litefuse accepts: a trace named
// after a root span over 1000 characters is rejected whole. A longer name
// is cut at a character, with the truncation note, to at most 1000
// characters in all (review 36: it was cut at 1000 bytes, so a name of fewer characters
// than that in a script of several bytes a character lost its end).
func spanName(name string) string {
	const maxName = MaxSpanNameLen
	s := record.Clean(name, 0)
	if len(s) <= maxName || utf8.RuneCountInString(s) <= maxName {
		return s
	}
	keep := maxName - utf8.RuneCountInString(record.TruncatedSuffix(len(s))) // the note for fewer bytes is no longer
	head := export.CutName(s, keep)                                          // s is valid: a prefix of it
	return head + record.TruncatedSuffix(len(s)-len(head))
}

// traceAttrs appends the trace-level attributes for a span started under
// ctx: PropagateAttributes' values and the baggage, with environment and
// release, rendered with v (r's values, scrubbed of the keys that may be
// echoed there).
func (r *recorder) traceAttrs(dst []attribute.KeyValue, ctx context.Context, v *record.Values) []attribute.KeyValue {
	return record.TraceAttrs(dst, traceFrom(ctx), r.cfg.environment, r.cfg.release, v)
}

// fail marks a span as failed the way Litefuse and OTel both read it.
func fail(span trace.Span, msg string) {
	span.SetStatus(codes.Error, msg)
}

// guard stops a panic in recording code from reaching the caller; the fault
// goes to the OTel error handler instead.
func guard() {
	if p := recover(); p != nil {
		otel.Handle(fmt.Errorf("litefuse: recovered from a fault while recording a span: %v", p))
	}
}

// warnedSet logs each distinct warning once. With max > 0 it holds at
// most max of them; past that, one last line says further ones are not
// given.
type warnedSet struct {
	mu   sync.Mutex
	seen map[string]bool
	max  int
	what string // what the capped warnings are about, for that last line
}

// warn logs err unless the set has logged it (or is full).
func (w *warnedSet) warn(log *slog.Logger, err error) {
	log = laterLog(log) // under w's lock, and maybe inside a recorder's Once
	msg := err.Error()
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.seen[msg] {
		return
	}
	if w.seen == nil {
		w.seen = make(map[string]bool)
	}
	switch n := len(w.seen); {
	case w.max <= 0 || n < w.max:
	case n == w.max:
		w.seen["\x00cap"] = true
		log.Warn(fmt.Sprintf("litefuse: %d distinct warnings about %s given; further ones are not", w.max, w.what))
		return
	default:
		return
	}
	w.seen[msg] = true
	log.Warn(msg)
}

// maxClientWarnings bounds clientWarned.
const maxClientWarnings = 256

// clientWarned holds the client-option warnings given so far, so that a
// bad option on clients built per request warns once, not once a client.
var clientWarned = warnedSet{max: maxClientWarnings, what: "client options"}

// processWarned holds the warnings about the environment and the default
// pipeline's settings already logged: each once for the process, whichever
// pipeline reads them first. Not capped as the clients' are: the
// environment's problems are few, and the default pipeline is built once.
var processWarned warnedSet

// warnClientOnce logs a warning about a client's options once (see clientWarned).
func warnClientOnce(log *slog.Logger, err error) { clientWarned.warn(log, err) }

// warnProcessOnce logs err unless it was logged before (see processWarned).
func warnProcessOnce(log *slog.Logger, err error) { processWarned.warn(log, err) }

// Lines logged while the library holds a lock (defaultMu, registry.mu, a
// recorder's sync.Once) are held back and given to the application's
// handler once the lock is released: a handler that records through the
// library (StartObservation for each warning) would otherwise wait on the
// lock its own goroutine holds.
var heldLogs struct {
	n    atomic.Int32 // len(list): the hot path reads only this
	mu   sync.Mutex
	list []heldLog
}

type heldLog struct {
	h slog.Handler
	r slog.Record
}

// heldHandler holds the records of a logger made with laterLog.
type heldHandler struct{ inner slog.Handler }

func (h heldHandler) Enabled(ctx context.Context, l slog.Level) bool { return h.inner.Enabled(ctx, l) }

func (h heldHandler) Handle(_ context.Context, r slog.Record) error {
	heldLogs.mu.Lock()
	heldLogs.list = append(heldLogs.list, heldLog{h.inner, r.Clone()})
	heldLogs.n.Store(int32(len(heldLogs.list)))
	heldLogs.mu.Unlock()
	return nil
}

func (h heldHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return heldHandler{h.inner.WithAttrs(as)}
}

func (h heldHandler) WithGroup(name string) slog.Handler {
	return heldHandler{h.inner.WithGroup(name)}
}

// laterLog returns a logger whose lines go to log's handler at the next
// emitHeldLogs: for logging under a lock.
func laterLog(log *slog.Logger) *slog.Logger {
	if _, ok := log.Handler().(heldHandler); ok {
		return log
	}
	return slog.New(heldHandler{log.Handler()})
}

// emitHeldLogs gives the lines held back to their handlers. Call it with
// no lock held (nor inside a sync.Once a handler may reach).
func emitHeldLogs() {
	if heldLogs.n.Load() == 0 {
		return
	}
	heldLogs.mu.Lock()
	list := heldLogs.list
	heldLogs.list = nil
	heldLogs.n.Store(0)
	heldLogs.mu.Unlock()
	for _, l := range list {
		func() {
			defer guard() // the application's handler: never the caller's panic
			_ = l.h.Handle(context.Background(), l.r)
		}()
	}
}
