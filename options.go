package litefuse

import (
	"log/slog"
	"net/http"
	"time"

	"go.opentelemetry.io/otel/trace"
)

// Option configures the library. Options passed in code win over the
// LANGFUSE_* environment variables, which win over the defaults.
//
// Options marked "export" configure where and how spans are sent; they take
// effect in [Init], [NewTracerProvider] and [NewExporter]. The others shape
// what a traced call records; they take effect wherever they are given,
// including [Wrap] and the constructors.
type Option interface{ apply(*config) }

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// config is the resolved configuration: defaults, then environment, then
// options.
type config struct {
	// export
	publicKey, secretKey string
	baseURL              string
	endpointURL          string // full OTLP traces URL; overrides baseURL
	headers              map[string]string
	enabled              bool
	sampleRate           float64
	flushAt              int
	flushInterval        time.Duration
	timeout              time.Duration
	maxQueueSize         int
	debug                bool
	serviceName          string
	httpClient           *http.Client

	// recording
	environment    string
	release        string
	tracerProvider trace.TracerProvider
	streamUsage    bool
	mask           func(any) any
	providerName   string
	maxAttrLen     int
	logger         *slog.Logger
	prices         *priceTable
}

// Defaults.
const (
	DefaultBaseURL         = "https://cloud.langfuse.com"
	DefaultFlushAt         = 512
	DefaultFlushInterval   = 5 * time.Second
	DefaultTimeout         = 5 * time.Second
	DefaultMaxQueueSize    = 2048
	DefaultMaxAttributeLen = 1 << 20 // 1 MiB per attribute value
	tracesPath             = "/api/public/otel/v1/traces"
)

func defaultConfig() config {
	return config{
		baseURL:       DefaultBaseURL,
		enabled:       true,
		sampleRate:    1,
		flushAt:       DefaultFlushAt,
		flushInterval: DefaultFlushInterval,
		timeout:       DefaultTimeout,
		maxQueueSize:  DefaultMaxQueueSize,
		serviceName:   "litefuse-go",
		streamUsage:   true,
		maxAttrLen:    DefaultMaxAttributeLen,
	}
}

func (c *config) apply(opts []Option) {
	for _, o := range opts {
		if o != nil {
			o.apply(c)
		}
	}
}

// log returns the configured logger, or slog's default.
func (c *config) log() *slog.Logger {
	if c.logger != nil {
		return c.logger
	}
	return slog.Default()
}

// WithCredentials sets the Litefuse public and secret keys (export). Default:
// LANGFUSE_PUBLIC_KEY and LANGFUSE_SECRET_KEY. The secret only ever goes in
// the Authorization header.
func WithCredentials(publicKey, secretKey string) Option {
	return optionFunc(func(c *config) { c.publicKey, c.secretKey = publicKey, secretKey })
}

// WithBaseURL sets the Litefuse base URL (export); spans go to
// {base}/api/public/otel/v1/traces. Default: LANGFUSE_BASE_URL, then
// LANGFUSE_HOST, then https://cloud.langfuse.com.
func WithBaseURL(baseURL string) Option {
	return optionFunc(func(c *config) { c.baseURL = baseURL })
}

// WithEndpointURL sends spans to this full OTLP/HTTP traces URL instead of
// the Litefuse base URL, e.g. an OpenTelemetry Collector gateway that adds
// the Litefuse credentials itself; the Langfuse attributes are unchanged
// (export). Without keys nothing is sent as Authorization. Default:
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT when neither LANGFUSE_BASE_URL nor
// LANGFUSE_HOST is set, else {base}/api/public/otel/v1/traces.
func WithEndpointURL(url string) Option {
	return optionFunc(func(c *config) { c.endpointURL = url })
}

// WithHeaders adds HTTP headers to every export request (export). The
// Litefuse headers (x-langfuse-*, and Authorization when both keys are set)
// are set after these. Default: OTEL_EXPORTER_OTLP_HEADERS, then
// OTEL_EXPORTER_OTLP_TRACES_HEADERS ("k1=v1,k2=v2", URL-encoded values).
func WithHeaders(h map[string]string) Option {
	return optionFunc(func(c *config) {
		if c.headers == nil {
			c.headers = make(map[string]string, len(h))
		}
		for k, v := range h {
			c.headers[k] = v
		}
	})
}

// WithEnabled turns tracing on or off. Default: LANGFUSE_TRACING_ENABLED, then
// true when both keys are set. Off, calls pass straight through.
func WithEnabled(on bool) Option {
	return optionFunc(func(c *config) { c.enabled = on })
}

// WithSampleRate keeps this fraction of traces, decided once per trace from
// its trace id, so a trace is kept or dropped whole (export). Default:
// LANGFUSE_SAMPLE_RATE, then 1. Values outside [0, 1] are clamped.
func WithSampleRate(rate float64) Option {
	return optionFunc(func(c *config) { c.sampleRate = min(max(rate, 0), 1) })
}

// WithFlushAt sets the batch size: how many spans go in one export request
// (export). Default: LANGFUSE_FLUSH_AT, then 512.
func WithFlushAt(n int) Option {
	return optionFunc(func(c *config) {
		if n > 0 {
			c.flushAt = n
		}
	})
}

// WithFlushInterval sets the longest a span waits in the batch before it is
// sent (export). Default: LANGFUSE_FLUSH_INTERVAL, then 5s.
func WithFlushInterval(d time.Duration) Option {
	return optionFunc(func(c *config) {
		if d > 0 {
			c.flushInterval = d
		}
	})
}

// WithTimeout bounds one export request, retries included (export). Default:
// LANGFUSE_TIMEOUT, then 5s.
func WithTimeout(d time.Duration) Option {
	return optionFunc(func(c *config) {
		if d > 0 {
			c.timeout = d
		}
	})
}

// WithMaxQueueSize bounds how many ended spans wait for export; beyond it new
// spans are dropped and counted, never waited for (export). Default: 2048.
func WithMaxQueueSize(n int) Option {
	return optionFunc(func(c *config) {
		if n > 0 {
			c.maxQueueSize = n
		}
	})
}

// WithDebug logs every exported batch and every export failure at debug
// level through the logger (export). Default: LANGFUSE_DEBUG, then false.
func WithDebug(on bool) Option {
	return optionFunc(func(c *config) { c.debug = on })
}

// WithServiceName sets the resource's service.name (export). Default:
// OTEL_SERVICE_NAME, then "litefuse-go".
func WithServiceName(name string) Option {
	return optionFunc(func(c *config) { c.serviceName = name })
}

// WithHTTPClient sets the HTTP client used for export requests (export).
// Default: the OTLP exporter's own client.
func WithHTTPClient(hc *http.Client) Option {
	return optionFunc(func(c *config) { c.httpClient = hc })
}

// WithEnvironment sets langfuse.environment on every span, e.g.
// "production". Default: LANGFUSE_TRACING_ENVIRONMENT, then none.
func WithEnvironment(env string) Option {
	return optionFunc(func(c *config) { c.environment = env })
}

// WithRelease sets langfuse.release on every span. Default: LANGFUSE_RELEASE,
// then none.
func WithRelease(release string) Option {
	return optionFunc(func(c *config) { c.release = release })
}

// WithTracerProvider records spans with tp instead of the library's own
// Litefuse-bound provider: use it when the application runs its own
// OpenTelemetry SDK (pair it with [NewExporter] or [NewTracerProvider]).
// Default: the provider built from the environment.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return optionFunc(func(c *config) { c.tracerProvider = tp })
}

// WithStreamUsage controls whether streaming calls ask the server for token
// usage (stream_options.include_usage) when the caller did not. The extra
// usage-only chunk is then hidden from the caller. Turn it off for endpoints
// that reject stream_options. Default: true.
func WithStreamUsage(on bool) Option {
	return optionFunc(func(c *config) { c.streamUsage = on })
}

// WithMask sets a function applied to every input, output, reasoning text
// and metadata value before it is serialised, e.g. to redact personal data.
// If mask panics the value is replaced by "[masked]" (fail closed). Default:
// none.
func WithMask(mask func(any) any) Option {
	return optionFunc(func(c *config) { c.mask = mask })
}

// WithProviderName sets gen_ai.provider.name. Default: derived from the
// client's base URL host ("byteplus" for ark.*.bytepluses.com,
// "volcengine" for ark.*.volces.com, "openai" for unknown hosts).
func WithProviderName(name string) Option {
	return optionFunc(func(c *config) { c.providerName = name })
}

// WithMaxAttributeLength bounds each recorded value, in bytes; a longer one
// is cut and ends with "…[litefuse: truncated N bytes]". Default: 1 MiB.
func WithMaxAttributeLength(n int) Option {
	return optionFunc(func(c *config) {
		if n > 0 {
			c.maxAttrLen = n
		}
	})
}

// WithLogger sets where warnings and debug output go. Default: slog.Default().
func WithLogger(l *slog.Logger) Option {
	return optionFunc(func(c *config) { c.logger = l })
}
