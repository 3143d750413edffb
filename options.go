package litefuse

import (
	"log/slog"
	"maps"
	"net/http"
	"time"

	"go.opentelemetry.io/otel/trace"
)

// Option configures the library. Options passed in code win over the
// LANGFUSE_* environment variables, which win over the defaults.
//
// Options marked "export" configure where and how spans are sent; they take
// effect in [Init], [NewTracerProvider] and [NewExporter]. Given to a client
// ([Wrap], the constructors, [NewTransport], [NewHTTPClient]),
// [WithCredentials], [WithBaseURL] or [WithEndpointURL] give that client a
// pipeline of its own, built from the environment and all of the client's
// options, and flushed and shut down by [Flush] and [Shutdown] (and
// counted in [ReadStats]); without one of those three, the client
// records into the default pipeline and its other export options have no
// effect. Clients with equal export settings share one pipeline (the
// default one when their settings equal it), so building a client per
// request costs no goroutine or connection; at most 100 such pipelines
// exist, and a client whose settings would need one more records nothing
// (its calls pass through), with one warning. Everything a client records
// goes with its pipeline's credentials: spans, media uploads, and scores
// made under its spans. The options that are not marked shape what a call
// records; they take effect wherever they are given. The credentials, base
// URL, HTTP client, timeout and logger also serve prompts, scores and
// media.
type Option interface{ apply(*config) }

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// WithCredentials sets the Litefuse public and secret keys (export). Default:
// LANGFUSE_PUBLIC_KEY and LANGFUSE_SECRET_KEY. The secret only ever goes in
// the Authorization header.
func WithCredentials(publicKey, secretKey string) Option {
	return optionFunc(func(c *config) { c.publicKey, c.secretKey, c.from.keys = publicKey, secretKey, "WithCredentials" })
}

// WithBaseURL sets the Litefuse base URL (export); spans go to
// {base}/api/public/otel/v1/traces. A base already ending in
// /api/public/otel, or the full traces URL, is understood. A URL with
// credentials (user:pass@), a query or a fragment is refused: tracing is
// then off, with a warning. Default: LANGFUSE_BASE_URL, then LANGFUSE_HOST,
// then https://litefuse.cloud (Litefuse Cloud, [DefaultBaseURL]). Given in
// code it also wins over a gateway set by OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
// (the environment's), not over [WithEndpointURL] given in code.
func WithBaseURL(baseURL string) Option {
	return optionFunc(func(c *config) {
		c.baseURL, c.from.baseURL = baseURL, "WithBaseURL"
		if c.from.endpointURL == envOTLPTracesEndpoint {
			c.endpointURL, c.from.endpointURL = "", ""
		}
	})
}

// WithEndpointURL sends spans to this full OTLP/HTTP traces URL instead of
// the Litefuse base URL, e.g. an OpenTelemetry Collector gateway that adds
// the Litefuse credentials itself; the Langfuse attributes are unchanged
// (export). Without keys nothing is sent as Authorization. Only with a
// gateway are OTEL_EXPORTER_OTLP_HEADERS and
// OTEL_EXPORTER_OTLP_TRACES_HEADERS sent. Credentials, a query or a
// fragment in the URL are refused, as for [WithBaseURL]. Default:
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT when neither LANGFUSE_BASE_URL nor
// LANGFUSE_HOST is set, else {base}/api/public/otel/v1/traces.
func WithEndpointURL(url string) Option {
	return optionFunc(func(c *config) { c.endpointURL, c.from.endpointURL = url, "WithEndpointURL" })
}

// WithHeaders adds HTTP headers to every export request (export). The
// Litefuse headers (x-langfuse-*, and Authorization when both keys are set)
// are set after these. Default: none. (OTEL_EXPORTER_OTLP_HEADERS and
// OTEL_EXPORTER_OTLP_TRACES_HEADERS are sent only to a Collector gateway,
// see [WithEndpointURL]: they hold the application's other vendors' keys.)
//
// h is copied when WithHeaders is called: changing the map afterwards
// changes no client's headers.
func WithHeaders(h map[string]string) Option {
	h = maps.Clone(h) // options apply when a client first records, maybe much later
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

// WithSampleRate keeps this fraction of traces, decided from the trace id
// alone, so a trace is kept or dropped whole (export). The rate decides
// alone: an incoming parent marked unsampled does not silence Litefuse.
// Only a trace's first library span decides: a call or observation made
// under an observation follows that observation's decision, whatever its
// own client's rate, so no client can split a trace.
// Default: LANGFUSE_SAMPLE_RATE, then 1. Values outside [0, 1] are clamped
// with a warning.
func WithSampleRate(rate float64) Option {
	return optionFunc(func(c *config) { c.sampleRate, c.from.sampleRate = rate, "WithSampleRate" })
}

// WithFlushAt sets the batch size: how many spans go in one export request
// (export); a batch is also split to keep each request under 4 MiB.
// Default: LANGFUSE_FLUSH_AT, then 512. Below 1, or above the queue size
// ([WithMaxQueueSize]), it is clamped with a warning.
func WithFlushAt(n int) Option {
	return optionFunc(func(c *config) { c.flushAt, c.from.flushAt = n, "WithFlushAt" })
}

// WithFlushInterval sets the longest a span waits in the batch before it is
// sent (export). Default: LANGFUSE_FLUSH_INTERVAL, then 5s. Clamped to
// [10ms, 24h] with a warning.
func WithFlushInterval(d time.Duration) Option {
	return optionFunc(func(c *config) { c.flushInterval, c.from.flushInterval = d, "WithFlushInterval" })
}

// WithTimeout bounds one export, retries included (export), also with
// [WithHTTPClient]. Default: LANGFUSE_TIMEOUT, then 5s. Clamped to
// [100ms, 1h] with a warning.
func WithTimeout(d time.Duration) Option {
	return optionFunc(func(c *config) { c.timeout, c.from.timeout = d, "WithTimeout" })
}

// WithMaxQueueSize bounds how many ended spans wait for export (besides
// the batch in flight); beyond it new spans are dropped and counted, never
// waited for (export). Default: 2048. Clamped to [1, 1048576] with a warning.
func WithMaxQueueSize(n int) Option {
	return optionFunc(func(c *config) { c.maxQueueSize, c.from.maxQueueSize = n, "WithMaxQueueSize" })
}

// WithMaxQueueBytes bounds the memory of the spans waiting for export or in
// flight, as estimated from their names, attributes and events; beyond it
// new spans are dropped and counted, never waited for (export). Default:
// LANGFUSE_MAX_QUEUE_BYTES, then 64 MiB. At least 1 MiB (clamped with a
// warning).
func WithMaxQueueBytes(n int64) Option {
	return optionFunc(func(c *config) { c.maxQueueBytes, c.from.maxQueueBytes = n, "WithMaxQueueBytes" })
}

// WithDebug logs every exported batch and every export failure at debug
// level through the logger (export). Default: LANGFUSE_DEBUG, then false.
func WithDebug(on bool) Option {
	return optionFunc(func(c *config) { c.debug = on })
}

// WithGzip sets whether export requests are gzipped (export). Gzip sends
// about a fifth of the bytes and costs a few microseconds of CPU a
// generation; without it the protobuf is sent as it is, which saves that
// CPU where bandwidth costs nothing (Litefuse or a Collector on the same
// host). Default: gzip, except to a loopback endpoint (localhost,
// 127.0.0.0/8, ::1; another spelling of localhost only with the library's
// own transport and when HTTPS_PROXY or HTTP_PROXY does not take it:
// Litefuse or a Collector on this machine), which gets none; to a
// Collector gateway (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT),
// OTEL_EXPORTER_OTLP_TRACES_COMPRESSION or OTEL_EXPORTER_OTLP_COMPRESSION
// (gzip or none) first, as the application's other OTLP exporters read
// them. A loopback address that forwards or redirects elsewhere (a tunnel,
// a proxy on this machine) may want WithGzip(true).
func WithGzip(on bool) Option {
	return optionFunc(func(c *config) { c.gzip = &on })
}

// WithServiceName sets the resource's service.name (export); invalid UTF-8
// is replaced, with a warning. Default: OTEL_SERVICE_NAME, then
// "litefuse-go".
func WithServiceName(name string) Option {
	return optionFunc(func(c *config) { c.serviceName, c.from.serviceName = name, "WithServiceName" })
}

// WithHTTPClient sets the HTTP client used for export requests and for
// prompts, scores, media and the project lookup (export). [WithTimeout]
// still bounds every export. The client's own transport decides TLS and
// proxy. Default: a client of the library's own, whose transport takes its
// proxy from HTTPS_PROXY, HTTP_PROXY and NO_PROXY and its TLS from
// OTEL_EXPORTER_OTLP_(TRACES_)CERTIFICATE (extra trusted CAs),
// OTEL_EXPORTER_OTLP_(TRACES_)CLIENT_CERTIFICATE and
// OTEL_EXPORTER_OTLP_(TRACES_)CLIENT_KEY, and whose idle connections
// [Shutdown] closes. Either way a request carrying the keys is not
// followed to another origin (scheme, host and port) on a redirect: it
// fails, saying so.
func WithHTTPClient(hc *http.Client) Option {
	return optionFunc(func(c *config) { c.httpClient = hc })
}

// WithEnvironment sets langfuse.environment on every span, e.g.
// "production". It must match ^[a-z0-9-_]{1,40}$ and not start with
// "langfuse" (Litefuse files anything else under "default"): else it is
// left out, with a warning. Default: LANGFUSE_TRACING_ENVIRONMENT, then
// none.
func WithEnvironment(env string) Option {
	return optionFunc(func(c *config) { c.environment, c.from.environment = env, "WithEnvironment" })
}

// WithRelease sets langfuse.release on every span; invalid UTF-8 is
// replaced, with a warning. Default: LANGFUSE_RELEASE, then none.
func WithRelease(release string) Option {
	return optionFunc(func(c *config) { c.release, c.from.release = release, "WithRelease" })
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

// WithMediaUpload turns media uploads on or off. On, an image or audio
// base64 data URI in a recorded input or output is uploaded to Litefuse in
// the background and the span records a media reference in its place
// (Litefuse shows the image); the request sent to the model is unchanged.
// Off, data URIs are recorded inline like any text, cut at
// [WithMaxAttributeLength]. Uploads go with the keys and base URL of the
// pipeline the span is recorded in: a client's own [WithCredentials], else
// the default pipeline's (see docs/platform.md). It takes effect wherever it is given:
// [Init], a client, [WithObserveOptions]. Default:
// LANGFUSE_MEDIA_UPLOAD_ENABLED, then true.
func WithMediaUpload(on bool) Option {
	return optionFunc(func(c *config) { c.mediaUpload = on })
}

// WithMask sets a function applied to every input, output, reasoning text
// and metadata value before it is serialised, e.g. to redact personal data.
// If mask panics the value is replaced by "[masked]" (fail closed). Default:
// none.
//
// mask gets copies, never the caller's data. It runs on the caller's
// goroutine before the call returns, except where a call's recording is
// finished after it returned: a call with over 256 KB of input or output,
// a stream closed right after its finish chunk (read on for its usage),
// an error answer closed unread, a cancelled context. There it runs on one
// of the library's goroutines, at the same time as the caller's next
// calls. So a mask shared by goroutines, or keeping state between calls,
// must be safe for concurrent use. A call's [Generation] Metadata is
// masked as the call begins (before the request is sent), so a slow mask
// delays such calls.
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
