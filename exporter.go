package litefuse

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

const (
	// ScopeName is the instrumentation scope of every span the library makes.
	ScopeName = "github.com/litefuse/litefuse-go"
	// Version is the library's version, sent as x-langfuse-sdk-version and
	// as the instrumentation scope version.
	Version = "0.1.0"

	sdkName = "litefuse-go"
)

// Environment variables read on first use.
const (
	envPublicKey   = "LANGFUSE_PUBLIC_KEY"
	envSecretKey   = "LANGFUSE_SECRET_KEY"
	envBaseURL     = "LANGFUSE_BASE_URL"
	envHost        = "LANGFUSE_HOST"
	envEnabled     = "LANGFUSE_TRACING_ENABLED"
	envSampleRate  = "LANGFUSE_SAMPLE_RATE"
	envEnvironment = "LANGFUSE_TRACING_ENVIRONMENT"
	envRelease     = "LANGFUSE_RELEASE"
	envFlushAt     = "LANGFUSE_FLUSH_AT"
	envFlushEvery  = "LANGFUSE_FLUSH_INTERVAL"
	envTimeout     = "LANGFUSE_TIMEOUT"
	envDebug       = "LANGFUSE_DEBUG"
	envServiceName = "OTEL_SERVICE_NAME"

	envOTLPTracesEndpoint = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
	envOTLPHeaders        = "OTEL_EXPORTER_OTLP_HEADERS"
	envOTLPTracesHeaders  = "OTEL_EXPORTER_OTLP_TRACES_HEADERS"
)

// ErrAlreadyInitialized is returned by [Init] once the default instance has
// started, either by an earlier Init or by the first traced call.
var ErrAlreadyInitialized = errors.New("litefuse: already initialized: call Init before the first traced call")

// errTracingOff explains why no exporter could be built.
var errNoKeys = fmt.Errorf("litefuse: %s and %s are not set: tracing is off and calls pass through", envPublicKey, envSecretKey)

// loadEnv reads the LANGFUSE_* variables on top of the defaults. A bad value
// keeps the default and yields an error naming the variable.
func loadEnv(lookup func(string) (string, bool)) (config, []error) {
	c := defaultConfig()
	var errs []error
	get := func(k string) (string, bool) {
		v, ok := lookup(k)
		v = strings.TrimSpace(v)
		return v, ok && v != ""
	}
	c.publicKey, _ = get(envPublicKey)
	c.secretKey, _ = get(envSecretKey)
	if v, ok := get(envBaseURL); ok {
		c.baseURL = v
	} else if v, ok := get(envHost); ok {
		c.baseURL = v
	} else if v, ok := get(envOTLPTracesEndpoint); ok {
		// A Collector gateway, used only when no Litefuse URL is set.
		c.endpointURL = v
	}
	for _, name := range []string{envOTLPHeaders, envOTLPTracesHeaders} { // the traces-specific one wins
		if v, ok := get(name); ok {
			h, err := parseOTLPHeaders(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("litefuse: %s: %w", name, err))
				continue
			}
			WithHeaders(h).apply(&c)
		}
	}
	if v, ok := get(envEnabled); ok {
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("litefuse: %s=%q: must be true or false", envEnabled, v))
		} else {
			c.enabled = b
		}
	}
	if v, ok := get(envSampleRate); ok {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 0 || f > 1 || f != f {
			errs = append(errs, fmt.Errorf("litefuse: %s=%q: must be a number between 0 and 1; using 1", envSampleRate, v))
		} else {
			c.sampleRate = f
		}
	}
	c.environment, _ = get(envEnvironment)
	c.release, _ = get(envRelease)
	if v, ok := get(envFlushAt); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			errs = append(errs, fmt.Errorf("litefuse: %s=%q: must be a positive whole number; using %d", envFlushAt, v, DefaultFlushAt))
		} else {
			c.flushAt = n
		}
	}
	for _, d := range []struct {
		name string
		dst  *time.Duration
		def  time.Duration
	}{{envFlushEvery, &c.flushInterval, DefaultFlushInterval}, {envTimeout, &c.timeout, DefaultTimeout}} {
		if v, ok := get(d.name); ok {
			dur, err := parseSeconds(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("litefuse: %s=%q: must be seconds (5, 0.5) or a duration (500ms); using %s", d.name, v, d.def))
			} else {
				*d.dst = dur
			}
		}
	}
	if v, ok := get(envDebug); ok {
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("litefuse: %s=%q: must be true or false", envDebug, v))
		} else {
			c.debug = b
		}
	}
	if v, ok := get(envServiceName); ok {
		c.serviceName = v
	}
	return c, errs
}

// parseOTLPHeaders reads the OTel form "k1=v1,k2=v2" with URL-encoded
// values. Errors never quote a value: headers carry secrets.
func parseOTLPHeaders(v string) (map[string]string, error) {
	h := make(map[string]string)
	for i, pair := range strings.Split(v, ",") {
		if strings.TrimSpace(pair) == "" {
			continue
		}
		k, val, ok := strings.Cut(pair, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return nil, fmt.Errorf("entry %d is not key=value", i+1)
		}
		dec, err := url.PathUnescape(strings.TrimSpace(val))
		if err != nil {
			return nil, fmt.Errorf("entry %d (%s): bad URL encoding", i+1, k)
		}
		h[k] = dec
	}
	return h, nil
}

// parseSeconds reads "5" or "0.5" as seconds, as the Python SDK does, and
// also accepts Go durations such as "500ms".
func parseSeconds(v string) (time.Duration, error) {
	if f, err := strconv.ParseFloat(v, 64); err == nil {
		if f <= 0 || f > 1e6 {
			return 0, errors.New("out of range")
		}
		return time.Duration(f * float64(time.Second)), nil
	}
	d, err := time.ParseDuration(v)
	if err == nil && d <= 0 {
		err = errors.New("out of range")
	}
	return d, err
}

// resolveConfig is defaults, then environment, then options.
func resolveConfig(opts []Option) (config, []error) {
	c, errs := loadEnv(os.LookupEnv)
	c.apply(opts)
	return c, errs
}

// endpoint returns the OTLP traces URL, or an error naming the bad setting.
func (c *config) endpoint() (string, error) {
	raw, name := c.endpointURL, "endpoint URL"
	if raw == "" {
		raw, name = strings.TrimRight(c.baseURL, "/")+tracesPath, envBaseURL
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("litefuse: %s %q: must be an absolute http(s) URL such as https://cloud.langfuse.com", name, raw)
	}
	return u.String(), nil
}

// plainHTTPRemote reports whether the endpoint sends keys unencrypted over
// the network (http to a host that is not this machine).
func plainHTTPRemote(endpoint string) bool {
	u, err := url.Parse(endpoint)
	if err != nil || u.Scheme != "http" {
		return false
	}
	host := u.Hostname()
	if host == "localhost" {
		return false
	}
	ip := net.ParseIP(host)
	return ip == nil || !ip.IsLoopback()
}

// exportHeaders are the headers Litefuse's OTLP endpoint reads.
func (c *config) exportHeaders() map[string]string {
	h := make(map[string]string, len(c.headers)+5)
	for k, v := range c.headers {
		h[k] = v
	}
	if c.publicKey != "" && c.secretKey != "" {
		h["Authorization"] = "Basic " + base64.StdEncoding.EncodeToString([]byte(c.publicKey+":"+c.secretKey))
		h["x-langfuse-public-key"] = c.publicKey
	}
	h["x-langfuse-ingestion-version"] = "4"
	h["x-langfuse-sdk-name"] = sdkName
	h["x-langfuse-sdk-version"] = Version
	return h
}

// NewExporter returns an OTLP/HTTP span exporter bound for Litefuse
// (protobuf, gzip, retries on 429/502/503/504 honouring Retry-After), for
// applications that run their own OpenTelemetry SDK. Configuration comes
// from the LANGFUSE_* environment and opts. It fails when the keys are
// missing or the URL is not usable.
func NewExporter(opts ...Option) (sdktrace.SpanExporter, error) {
	cfg, errs := resolveConfig(opts)
	exp, _, err := newExporter(cfg)
	if err != nil {
		return nil, errors.Join(append(errs, err)...)
	}
	return exp, nil
}

func newExporter(cfg config) (*statsExporter, string, error) {
	if cfg.publicKey == "" || cfg.secretKey == "" {
		if cfg.endpointURL == "" {
			return nil, "", errNoKeys
		}
	}
	endpoint, err := cfg.endpoint()
	if err != nil {
		return nil, "", err
	}
	retry := otlptracehttp.RetryConfig{
		Enabled:         true,
		InitialInterval: 500 * time.Millisecond,
		MaxInterval:     5 * time.Second,
		MaxElapsedTime:  cfg.timeout,
	}
	// Requests are gzipped by fastGzip, at BestSpeed: three times faster
	// than the exporter's own default-level gzip for ~30% more bytes, which
	// matters more on the machines running the application than on the wire.
	hc := &http.Client{Transport: fastGzip{next: http.DefaultTransport}}
	if cfg.httpClient != nil {
		c := *cfg.httpClient
		next := c.Transport
		if next == nil {
			next = http.DefaultTransport
		}
		c.Transport = fastGzip{next: next}
		hc = &c
	}
	eopts := []otlptracehttp.Option{
		otlptracehttp.WithEndpointURL(endpoint),
		otlptracehttp.WithHeaders(cfg.exportHeaders()),
		otlptracehttp.WithCompression(otlptracehttp.NoCompression),
		otlptracehttp.WithTimeout(cfg.timeout),
		otlptracehttp.WithRetry(retry),
		otlptracehttp.WithHTTPClient(hc),
	}
	// New only builds the client: it never dials, so it cannot block.
	exp, err := otlptracehttp.New(context.Background(), eopts...)
	if err != nil {
		return nil, "", fmt.Errorf("litefuse: building the OTLP exporter: %w", err)
	}
	return &statsExporter{next: exp, log: cfg.log(), debug: cfg.debug, endpoint: endpoint}, endpoint, nil
}

// NewTracerProvider returns a TracerProvider that sends to Litefuse through
// a batch span processor, configured from the LANGFUSE_* environment and
// opts. Pass it to [Wrap] with [WithTracerProvider]; the caller owns it and
// must Shutdown it. It never touches the global provider.
func NewTracerProvider(opts ...Option) (*sdktrace.TracerProvider, error) {
	cfg, errs := resolveConfig(opts)
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	inst, err := newInstance(cfg)
	if err != nil {
		return nil, err
	}
	return inst.tp, nil
}

// instance is a configured tracing pipeline: the default one is built from
// the environment on first use.
type instance struct {
	cfg    config
	tp     *sdktrace.TracerProvider // nil when tracing is off
	exp    *statsExporter
	tracer trace.Tracer
	counts counters
}

func newInstance(cfg config) (*instance, error) {
	inst := &instance{cfg: cfg}
	if cfg.debug && cfg.logger == nil {
		inst.cfg.logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	exp, endpoint, err := newExporter(inst.cfg)
	if err != nil {
		return nil, err
	}
	if plainHTTPRemote(endpoint) {
		inst.cfg.log().Warn("litefuse: sending traces and keys over plain HTTP to a remote host; use https", "endpoint", endpoint)
	}
	inst.exp = exp
	exp.pending = &inst.counts.pending
	res := []attribute.KeyValue{attribute.String(keyServiceName, cfg.serviceName)}
	if cfg.environment != "" {
		res = append(res, attribute.String(keyEnvironment, cfg.environment))
	}
	if cfg.release != "" {
		res = append(res, attribute.String(keyRelease, cfg.release))
	}
	inst.tp = sdktrace.NewTracerProvider(
		sdktrace.WithResource(resource.NewSchemaless(res...)),
		sdktrace.WithSampler(sampler{cfg.sampleRate}),
		sdktrace.WithSpanProcessor(queueGate{
			next: sdktrace.NewBatchSpanProcessor(exp,
				sdktrace.WithMaxExportBatchSize(cfg.flushAt),
				sdktrace.WithBatchTimeout(cfg.flushInterval),
				sdktrace.WithExportTimeout(cfg.timeout),
				sdktrace.WithMaxQueueSize(cfg.maxQueueSize),
			),
			maxQueue: int64(cfg.maxQueueSize),
			counts:   &inst.counts,
		}),
	)
	inst.tracer = inst.tp.Tracer(ScopeName, trace.WithInstrumentationVersion(Version))
	return inst, nil
}

// offInstance is the pass-through pipeline: spans are never recording.
func offInstance(cfg config) *instance {
	return &instance{cfg: cfg, tracer: noop.NewTracerProvider().Tracer(ScopeName)}
}

var (
	defaultMu   sync.Mutex
	defaultInst atomic.Pointer[instance]
)

// defaultInstance returns the env-configured pipeline, building it on first
// use. Problems are logged once; tracing is then off.
func defaultInstance() *instance {
	if inst := defaultInst.Load(); inst != nil {
		return inst
	}
	inst, _ := initDefault(nil)
	return inst
}

func initDefault(opts []Option) (*instance, error) {
	defaultMu.Lock()
	defer defaultMu.Unlock()
	if inst := defaultInst.Load(); inst != nil {
		return inst, ErrAlreadyInitialized
	}
	cfg, errs := resolveConfig(opts)
	log := cfg.log()
	for _, err := range errs {
		log.Warn(err.Error())
	}
	var inst *instance
	switch {
	case !cfg.enabled:
		log.Warn("litefuse: tracing disabled (" + envEnabled + "=false or WithEnabled(false)); calls pass through and nothing is sent")
		inst = offInstance(cfg)
	case cfg.tracerProvider != nil:
		// The application's own SDK: record with it, export nothing here.
		inst = &instance{cfg: cfg, tracer: cfg.tracerProvider.Tracer(ScopeName, trace.WithInstrumentationVersion(Version))}
	default:
		var err error
		inst, err = newInstance(cfg)
		if err != nil {
			log.Warn(err.Error())
			errs = append(errs, err)
			inst = offInstance(cfg)
		}
	}
	defaultInst.Store(inst)
	return inst, errors.Join(errs...)
}

// Init configures the default, env-configured pipeline in code: options win
// over the LANGFUSE_* variables. Init(WithTracerProvider(tp)) makes every
// client, Observe and the openai package record with the application's own
// provider (pair it with [NewExporter]); Flush and Shutdown then leave tp to
// its owner. Calling it is optional: without it the
// environment alone is read on the first traced call. It must come before
// the first traced call, else it returns [ErrAlreadyInitialized]. Any other
// error names a bad setting; tracing is then off and calls pass through.
func Init(opts ...Option) error {
	_, err := initDefault(opts)
	return err
}

// Flush sends every span ended so far and waits for the answer or ctx's
// deadline. Call it before a short-lived program exits (or call [Shutdown]).
// It returns nil when the last export succeeded, else why it failed; calls
// are never affected.
func Flush(ctx context.Context) error {
	inst := defaultInst.Load()
	if inst == nil || inst.tp == nil {
		return nil
	}
	return inst.flush(ctx)
}

func (inst *instance) flush(ctx context.Context) error {
	if err := inst.tp.ForceFlush(ctx); err != nil {
		return fmt.Errorf("litefuse: flush: %w", err)
	}
	if inst.exp.failing.Load() { // the last export failed: Litefuse is down
		return inst.exp.lastError()
	}
	return nil
}

// Shutdown flushes and stops the default pipeline, returning by ctx's
// deadline. Traced clients keep working afterwards as plain clients. Calling
// it twice is safe.
func Shutdown(ctx context.Context) error {
	inst := defaultInst.Load()
	if inst == nil || inst.tp == nil {
		return nil
	}
	if err := inst.flush(ctx); err != nil {
		_ = inst.tp.Shutdown(ctx)
		return err
	}
	if err := inst.tp.Shutdown(ctx); err != nil {
		return fmt.Errorf("litefuse: shutdown: %w", err)
	}
	return nil
}

// Stats counts the default pipeline's sampled spans since it started.
type Stats struct {
	// Ended is the number of spans ended and queued for export.
	Ended int64
	// Exported is the number of spans Litefuse accepted.
	Exported int64
	// Failed is the number of spans in export requests that failed after
	// retries (Litefuse down, bad keys, timeout).
	Failed int64
	// Dropped is the number of spans dropped because the export queue was
	// full (see [WithMaxQueueSize]); they were never sent.
	Dropped int64
	// Queued is the number of spans waiting for export now.
	Queued int64
}

// ReadStats returns the default pipeline's counters; all zero when tracing
// is off.
func ReadStats() Stats {
	inst := defaultInst.Load()
	if inst == nil || inst.exp == nil {
		return Stats{}
	}
	return inst.stats()
}

func (inst *instance) stats() Stats {
	return Stats{
		Ended:    inst.counts.ended.Load(),
		Exported: inst.exp.exported.Load(),
		Failed:   inst.exp.failed.Load(),
		Dropped:  inst.counts.dropped.Load(),
		Queued:   inst.counts.pending.Load(),
	}
}

// queueGate sits in front of the batch span processor and keeps its queue
// bounded: when maxQueue spans already wait for export, a new span is
// dropped and counted here. The SDK's processor holds up to its queue size
// plus one batch, so with the gate at the queue size it never drops on its
// own and Dropped is exact. The gate never blocks.
type queueGate struct {
	next     sdktrace.SpanProcessor
	maxQueue int64
	counts   *counters
}

// counters are a pipeline's span counts.
type counters struct {
	ended, dropped, pending atomic.Int64
}

func (g queueGate) OnStart(ctx context.Context, s sdktrace.ReadWriteSpan) { g.next.OnStart(ctx, s) }

func (g queueGate) OnEnd(s sdktrace.ReadOnlySpan) {
	if !s.SpanContext().IsSampled() {
		return
	}
	if g.counts.pending.Add(1) > g.maxQueue {
		g.counts.pending.Add(-1)
		g.counts.dropped.Add(1)
		return
	}
	g.counts.ended.Add(1)
	g.next.OnEnd(s)
}

func (g queueGate) Shutdown(ctx context.Context) error   { return g.next.Shutdown(ctx) }
func (g queueGate) ForceFlush(ctx context.Context) error { return g.next.ForceFlush(ctx) }

// statsExporter counts what the OTLP exporter sends and reports failures
// once per outage instead of once per batch.
type statsExporter struct {
	next     sdktrace.SpanExporter
	log      *slog.Logger
	debug    bool
	endpoint string

	pending          *atomic.Int64 // the queue gate's count; nil outside a pipeline
	exported, failed atomic.Int64
	failing          atomic.Bool
	mu               sync.Mutex
	lastErr          error
}

// maxRequestBytes keeps each export request well under the OTLP exporter's
// 64 MiB limit, above which it would reject the whole batch.
const maxRequestBytes = 16 << 20

func (e *statsExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	if e.pending != nil {
		e.pending.Add(-int64(len(spans)))
	}
	for len(spans) > 0 {
		n := fitRequest(spans, maxRequestBytes)
		e.export(ctx, spans[:n])
		spans = spans[n:]
	}
	// Failures are counted and logged once per outage in export; returning
	// them would make the SDK log them again for every batch.
	return nil
}

// fitRequest returns how many leading spans fit in about limit bytes (at
// least one: a single span is bounded by the attribute length limit).
func fitRequest(spans []sdktrace.ReadOnlySpan, limit int) int {
	size := 0
	for i, s := range spans {
		size += 256 + len(s.Name())
		for _, kv := range s.Attributes() {
			size += len(kv.Key) + 16
			switch kv.Value.Type() {
			case attribute.STRING:
				size += len(kv.Value.AsString())
			case attribute.STRINGSLICE:
				for _, e := range kv.Value.AsStringSlice() {
					size += len(e) + 8
				}
			}
		}
		if size > limit && i > 0 {
			return i
		}
	}
	return len(spans)
}

func (e *statsExporter) export(ctx context.Context, spans []sdktrace.ReadOnlySpan) {
	err := e.next.ExportSpans(ctx, spans)
	n := int64(len(spans))
	if err != nil {
		e.failed.Add(n)
		err = explainExportError(err)
		e.mu.Lock()
		e.lastErr = err
		e.mu.Unlock()
		if !e.failing.Swap(true) {
			e.log.Warn("litefuse: export failed; spans are dropped until Litefuse answers again",
				"endpoint", e.endpoint, "spans", n, "error", err.Error())
		} else if e.debug {
			e.log.Debug("litefuse: export failed", "spans", n, "error", err.Error())
		}
		return
	}
	if e.failing.Swap(false) {
		e.log.Info("litefuse: export recovered", "endpoint", e.endpoint)
	}
	e.exported.Add(n)
	if e.debug {
		names := make([]string, len(spans))
		for i, s := range spans {
			names[i] = s.Name()
		}
		e.log.Debug("litefuse: exported", "spans", n, "names", names)
	}
}

func (e *statsExporter) lastError() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.lastErr
}

func (e *statsExporter) Shutdown(ctx context.Context) error { return e.next.Shutdown(ctx) }

// explainExportError adds what a user can do to the errors they can fix.
func explainExportError(err error) error {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "connection refused"), strings.Contains(msg, "no such host"):
		return fmt.Errorf("litefuse: Litefuse unreachable: check %s: %w", envBaseURL, err)
	case strings.Contains(msg, "401 Unauthorized"), strings.Contains(msg, "403 Forbidden"):
		return fmt.Errorf("litefuse: Litefuse rejected the keys: check %s and %s: %w", envPublicKey, envSecretKey, err)
	}
	return fmt.Errorf("litefuse: export: %w", err)
}

// gzipWriters keeps a couple of gzip writers for good: a writer costs about
// a megabyte to build, and exports are too far apart for a sync.Pool, which
// the garbage collector empties, to keep one.
var gzipWriters = make(chan *gzip.Writer, 2)

func getGzipWriter() *gzip.Writer {
	select {
	case w := <-gzipWriters:
		return w
	default:
		w, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed)
		return w
	}
}

func putGzipWriter(w *gzip.Writer) {
	w.Reset(nil)
	select {
	case gzipWriters <- w:
	default:
	}
}

// fastGzip compresses export request bodies with gzip at BestSpeed.
type fastGzip struct{ next http.RoundTripper }

func (t fastGzip) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body == nil || req.Body == http.NoBody || req.Header.Get("Content-Encoding") != "" {
		return t.next.RoundTrip(req)
	}
	var buf bytes.Buffer
	zw := getGzipWriter()
	zw.Reset(&buf)
	_, err := io.Copy(zw, req.Body)
	_ = req.Body.Close()
	if err == nil {
		err = zw.Close()
	}
	putGzipWriter(zw)
	if err != nil {
		return nil, fmt.Errorf("litefuse: compressing the export request: %w", err)
	}
	body := buf.Bytes()
	out := req.Clone(req.Context())
	out.Body = io.NopCloser(bytes.NewReader(body))
	out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	out.ContentLength = int64(len(body))
	out.Header.Set("Content-Encoding", "gzip")
	return t.next.RoundTrip(out)
}
