package litefuse

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/litefuse/litefuse-go/internal/export"
	api "github.com/litefuse/litefuse-go/internal/platform"
	"github.com/litefuse/litefuse-go/internal/span"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// instance is a configured tracing pipeline: the default one is built from
// the environment on first use.
type instance struct {
	cfg    config
	tp     *span.Provider    // nil when tracing is off
	proc   *export.Processor // nil when tracing is off
	exp    *exporter
	tracer trace.Tracer

	offBecause error // why tracing is off, when a setting turned it off
	offLogged  bool  // offBecause was logged: Flush and Shutdown do not repeat it

	isDefault bool    // the env-configured pipeline; its REST side is restCur
	key       pipeKey // its settings, in the registry
	// idle is the library's own HTTP transport, which every request of the
	// pipeline (export and REST) goes through; nil with WithHTTPClient.
	idle    interface{ CloseIdleConnections() }
	renders renders // calls being recorded beside the caller

	restOnce sync.Once
	rest     *rest // a per-client pipeline's REST side, built on first use

	spansShut atomic.Bool // tp is shut down: a span ended now reaches no processor

	shutMu   sync.Mutex
	shutDone chan struct{} // made by the first Shutdown, closed when it is done
	shutErr  error         // its result; read after shutDone is closed
}

func newInstance(cfg config) (*instance, error) { return buildInstance(cfg, false) }

// buildInstance builds a pipeline; held: under defaultMu or registry.mu,
// so its lines are held until the lock is released (emitHeldLogs).
func buildInstance(cfg config, held bool) (*instance, error) {
	if cfg.debug && cfg.logger == nil {
		cfg.logger = slog.New(debugHandler{})
	}
	log := cfg.log()
	if held {
		log = laterLog(log)
	}
	for _, w := range cfg.normalize() { // none when resolveConfig did it
		log.Warn(w.Error())
	}
	inst := &instance{cfg: cfg}
	hc, idle, warns := inst.cfg.client()
	for _, w := range warns {
		log.Warn(w.Error())
	}
	// Export and the REST side share this client (and its transport).
	inst.cfg.httpClient, inst.cfg.ownIdle, inst.idle = hc, idle, idle
	exp, _, err := newExporter(inst.cfg)
	if err != nil {
		return nil, err
	}
	if err := swappedKeys(&inst.cfg); err != nil {
		log.Warn(err.Error())
	}
	if plainHTTPRemote(exp.endpoint) {
		log.Warn("litefuse: sending traces and keys over plain HTTP to a remote host; use https", "endpoint", exp.shown)
	}
	rep := &export.Reporter{Log: cfg.log(), Debug: inst.cfg.debug, Endpoint: exp.shown, Explain: explainExportError}
	inst.exp = exp
	inst.proc = export.NewProcessor(export.ProcessorConfig{
		Exporter:    exp,
		BatchSize:   cfg.flushAt,
		Interval:    cfg.flushInterval,
		Timeout:     cfg.timeout,
		MaxSpans:    cfg.maxQueueSize,
		MaxBytes:    cfg.maxQueueBytes,
		MaxSpanName: MaxSpanNameLen,
		Hold:        exp.client.HoldUntil,
		Report:      rep.Report,
	})
	inst.tp = newProvider(cfg, inst.proc, &inst.renders)
	inst.tracer = tracerFrom(inst.tp)
	if cfg.debug { // debug lines only with LANGFUSE_DEBUG, whatever the application's level
		log.Debug("litefuse: tracing on", "endpoint", exp.shown, "public_key", keyPrefix(cfg.publicKey),
			"sample_rate", cfg.sampleRate, "flush_at", cfg.flushAt, "flush_interval", cfg.flushInterval.String(),
			"environment", cfg.environment)
	}
	return inst, nil
}

// keyPrefix shows enough of a public key to tell which project it is;
// nothing of a key that does not start with pk- (it may be the secret
// key in the wrong place).
func keyPrefix(k string) string {
	if !strings.HasPrefix(k, "pk-") {
		if k == "" {
			return ""
		}
		return "(not a pk- key: hidden)"
	}
	if len(k) <= 12 {
		return k
	}
	return k[:12] + "…"
}

// debugHandler sends LANGFUSE_DEBUG's output through the application's
// slog handler (slog.Default's at the time of each line, so a handler set
// later is followed), at every level: debug was asked for explicitly.
type debugHandler struct{}

func (debugHandler) Enabled(context.Context, slog.Level) bool { return true }

func (debugHandler) Handle(ctx context.Context, r slog.Record) error {
	return slog.Default().Handler().Handle(ctx, r)
}

func (h debugHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return slog.Default().Handler().WithAttrs(as)
}

func (h debugHandler) WithGroup(name string) slog.Handler {
	return slog.Default().Handler().WithGroup(name)
}

// offInstance is the pass-through pipeline: spans are never recording.
// why, when not nil, is the configuration problem that turned tracing
// off: Flush and Shutdown return it, so a program that checks them learns
// that nothing was sent.
func offInstance(cfg config, why error) *instance {
	return &instance{cfg: cfg, tracer: noop.NewTracerProvider().Tracer(ScopeName), offBecause: why}
}

var (
	defaultMu   sync.Mutex
	defaultInst atomic.Pointer[instance]
)

// defaultInstance returns the env-configured pipeline, building it on first
// use. Problems are logged once; tracing is then off.
func defaultInstance() *instance {
	inst := defaultInstanceHeld()
	emitHeldLogs()
	return inst
}

// defaultInstanceHeld is defaultInstance for a caller inside a lock or a
// sync.Once: the lines logged while building it are left for the caller
// to emit (emitHeldLogs) once released.
func defaultInstanceHeld() *instance {
	if inst := defaultInst.Load(); inst != nil {
		return inst
	}
	inst, _ := initDefault(nil, false)
	return inst
}

// initDefault builds the default pipeline once; explicit: called by Init.
func initDefault(opts []Option, explicit bool) (*instance, error) {
	defaultMu.Lock()
	defer defaultMu.Unlock()
	errInitAfterShutdown := func() error {
		return fmt.Errorf("litefuse: Init after Shutdown starts nothing again: %w", ErrShutdown)
	}
	if inst := defaultInst.Load(); inst != nil {
		if explicit && isShutDown() {
			return inst, errInitAfterShutdown()
		}
		return inst, ErrAlreadyInitialized
	}
	if isShutDown() {
		// First needed after Shutdown: calls pass through, nothing starts.
		cfg, _ := resolveConfig(opts)
		inst := offInstance(cfg, nil)
		inst.isDefault, inst.key = true, pipelineKey(&cfg)
		defaultInst.Store(inst)
		if explicit { // Init's error says it
			return inst, errInitAfterShutdown()
		}
		warnAfterShutdown(laterLog(cfg.log())) // defaultMu is held
		return inst, nil
	}
	cfg, errs := resolveConfig(opts)
	log := laterLog(cfg.log()) // defaultMu is held: emitted by the caller
	for _, err := range errs {
		warnProcessOnce(cfg.log(), err) // once for the process: a client's own pipeline may have said it
	}
	var inst *instance
	switch {
	case !cfg.enabled:
		logTracingOff(&cfg)
		inst = offInstance(cfg, nil)
	case cfg.tracerProvider != nil:
		// The application's own SDK: record with it, export nothing here.
		inst = &instance{cfg: cfg, tracer: tracerFrom(cfg.tracerProvider)}
	default:
		var err error
		inst, err = buildInstance(cfg, true)
		if err != nil {
			log.Warn(err.Error())
			errs = append(errs, err)
			inst = offInstance(cfg, err)
			inst.offLogged = true // one message per cause
		}
	}
	inst.isDefault = true
	inst.key = pipelineKey(&cfg)
	defaultInst.Store(inst)
	return inst, errors.Join(errs...)
}

// Init configures the default, env-configured pipeline in code: options win
// over the LANGFUSE_* variables. Init(WithTracerProvider(tp)) makes every
// client, Observe and the openai package record with the application's own
// provider (pair it with [NewExporter]); Flush and Shutdown then leave tp to
// its owner. Calling it is optional: without it the environment alone is
// read on the first traced call. It must come before the first traced
// call, else it returns [ErrAlreadyInitialized]. It returns the warnings
// about values it clamped or refused (also logged); a refused URL or
// missing keys turn tracing off, and calls pass through. After [Shutdown]
// it starts nothing again and returns an error wrapping [ErrShutdown].
//
// The pipeline's promises: a call never waits on export; memory is bounded
// in spans ([WithMaxQueueSize]) and in bytes ([WithMaxQueueBytes]); every
// sampled span ends up Exported, Failed or Dropped in [ReadStats]; one
// warning per outage and one line on recovery. See [NewExporter] for what
// each request does.
func Init(opts ...Option) error {
	_, err := initDefault(opts, true)
	emitHeldLogs()
	return err
}

// Flush sends every span ended so far and waits until each is exported or
// failed, or until ctx's deadline, whichever comes first. A Flush that runs
// out of time cancels nothing: the export goes on in the background and
// its spans are still counted. Call it before a short-lived program exits
// (or call [Shutdown]). It returns nil when every span it waited for was
// exported, else why not (ctx's error when it ran out of time), and an
// error after Shutdown; calls are never affected. With tracing off,
// because of LANGFUSE_TRACING_ENABLED=false or a setting that cannot work
// (keys missing, an unusable URL), nothing was sent and nothing failed: it
// returns nil, the setting's problem having been logged once, as a
// warning, when the pipeline started (and returned by [Init]).
func Flush(ctx context.Context) error {
	def, insts := pipelines()
	if isShutDown() {
		if def != nil && len(insts) == 1 && def.proc == nil && (def.offBecause != nil || !def.cfg.enabled) {
			return def.off() // tracing was off by a setting: nothing to say twice
		}
		return ErrShutdown
	}
	if err := waitRenders(ctx, insts); err != nil {
		return errors.Join(def.off(), fmt.Errorf("litefuse: flush: %w; the export goes on in the background", err))
	}
	errs := make([]error, len(insts)+2)
	var wg sync.WaitGroup
	for i, inst := range insts {
		wg.Go(func() { errs[i] = inst.flush(ctx) })
	}
	wg.Go(func() { errs[len(insts)] = flushPlatform(ctx) })
	wg.Wait()
	if def != nil && def.proc == nil {
		errs[len(insts)+1] = def.off()
	}
	return errors.Join(errs...)
}

// off is why tracing is off, unless already logged; else nil.
func (inst *instance) off() error {
	if inst == nil || inst.offLogged {
		return nil
	}
	return inst.offBecause
}

// flush flushes inst's spans, and the REST side of a per-client pipeline
// (the default pipeline's is flushPlatform's).
func (inst *instance) flush(ctx context.Context) error {
	if inst.proc == nil {
		return nil
	}
	rest := func() error { return nil }
	if r := inst.ownRest(); r != nil {
		rest = func() error { return r.flush(ctx) }
	}
	return both(func() error { return inst.flushSpans(ctx) }, rest)
}

func (inst *instance) flushSpans(ctx context.Context) error {
	err := inst.proc.Flush(ctx)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, export.ErrShutdown):
		return err
	case ctx.Err() != nil && errors.Is(err, ctx.Err()):
		return fmt.Errorf("litefuse: flush: %w; the export goes on in the background", err)
	}
	return explainExportError(err)
}

// shutdownAll stops every pipeline built so far (Shutdown has set the
// flag: no other is built now).
func shutdownAll(ctx context.Context) error {
	def, insts := pipelines()
	errs := make([]error, len(insts)+2)
	if err := extRenders.wait(ctx); err != nil { // calls recorded with the application's provider: their media
		errs[0] = fmt.Errorf("litefuse: shutdown: %w while calls recorded with your own TracerProvider were still being recorded", err)
	}
	var wg sync.WaitGroup
	for i, inst := range insts {
		wg.Go(func() {
			errs[i+1] = inst.shutdown(ctx)
			if errs[i+1] != nil && len(insts) > 1 && inst.exp != nil {
				// Several pipelines: say which one (its endpoint, no secret).
				errs[i+1] = fmt.Errorf("%w (the pipeline sending to %s)", errs[i+1], inst.exp.shown)
			}
		})
	}
	switch {
	case def == nil: // the REST side alone (prompts, scores) was used
		wg.Go(func() { errs[len(insts)+1] = shutdownPlatform(ctx) })
	case def.proc == nil:
		errs[len(insts)+1] = def.off()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// shutdown stops inst once: the first call does the work, a later one
// waits for it within its own ctx.
func (inst *instance) shutdown(ctx context.Context) error {
	inst.shutMu.Lock()
	first := inst.shutDone == nil
	if first {
		inst.shutDone = make(chan struct{})
	}
	done := inst.shutDone
	inst.shutMu.Unlock()
	if first {
		inst.shutErr = inst.stop(ctx)
		close(done)
		return inst.shutErr
	}
	if err := api.Await(ctx, done); err != nil {
		return fmt.Errorf("litefuse: shutdown: %w while an earlier Shutdown was still sending", err)
	}
	return inst.shutErr
}

func (inst *instance) stop(ctx context.Context) error {
	var errs []error
	if err := inst.renders.wait(ctx); err != nil {
		if n := inst.renders.abandon(); n > 0 {
			errs = append(errs, fmt.Errorf("litefuse: shutdown: %w; %d calls still being recorded are counted Dropped", err, n))
		}
	}
	spans := func() error { return nil }
	if inst.proc != nil {
		spans = func() error { return inst.shutdownSpans(ctx) }
	}
	rest := func() error { return nil }
	inst.restOnce.Do(func() {}) // a REST side not built yet never will be
	switch {
	case inst.isDefault:
		rest = func() error { return shutdownPlatform(ctx) }
	case inst.rest != nil:
		rest = func() error { return inst.rest.shutdown(ctx) }
	}
	errs = append(errs, both(spans, rest))
	if inst.idle != nil {
		inst.idle.CloseIdleConnections()
	}
	return errors.Join(errs...)
}

func (inst *instance) shutdownSpans(ctx context.Context) error {
	before := inst.proc.Counts()
	err := inst.proc.Shutdown(ctx)
	after := inst.proc.Counts()
	// The provider's own Shutdown only unregisters the processor now (it
	// skips processors once ctx is done, so ours ran first).
	_ = inst.tp.Shutdown(context.WithoutCancel(ctx))
	inst.spansShut.Store(true)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
			// Said as ReadStats counts them: the queue left is Dropped, the
			// export cancelled in flight (or refused meanwhile) Failed.
			dropped, failed := after.Dropped-before.Dropped, after.Failed-before.Failed
			return fmt.Errorf("litefuse: shutdown: %w; %d spans not sent: %d counted Dropped (still queued, or ended while Shutdown ran), %d counted Failed (their export was cancelled or failed)",
				err, dropped+failed, dropped, failed)
		}
		return explainExportError(err)
	}
	return nil
}

// endSpan ends span, started with inst's tracer; live: before Shutdown
// began. Such a span ended after Shutdown (an observation still open then)
// reaches no processor: it is counted Ended and Dropped, and a warning
// says so once. One started after Shutdown is a pass-through's: not
// counted, as before.
func (inst *instance) endSpan(span trace.Span, live bool, t time.Time) {
	if !live || inst == nil || inst.proc == nil || !inst.spansShut.Load() || !span.IsRecording() {
		endAt(span, t)
		return
	}
	endAt(span, t)
	if ro, ok := span.(sdktrace.ReadOnlySpan); ok {
		inst.proc.OnEnd(ro) // the processor is stopping: counted Dropped
	}
	if lateEndWarned.CompareAndSwap(false, true) {
		inst.cfg.log().Warn("litefuse: an observation was ended after Shutdown: it is not sent (counted Dropped in ReadStats); end observations before calling Shutdown, e.g. cancel the work and wait for it in the signal handler")
	}
}

// endAt ends span at t (now when t is zero): the library's own span
// without an option's allocations, any other as trace.WithTimestamp(t)
// asks.
func endAt(span trace.Span, t time.Time) {
	if t.IsZero() {
		span.End()
		return
	}
	if s, ok := span.(interface{ EndAt(time.Time) }); ok {
		s.EndAt(t)
		return
	}
	span.End(trace.WithTimestamp(t))
}

// lateEndWarned is set once a span ended after Shutdown was warned about.
var lateEndWarned atomic.Bool
