package litefuse

import (
	"fmt"
	"github.com/litefuse/litefuse-go/internal/record"
	"log/slog"
	"math"
	"net/http"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/litefuse/litefuse-go/internal/export"
	"github.com/litefuse/litefuse-go/internal/wire"
	"go.opentelemetry.io/otel/trace"
)

// config is the resolved configuration: defaults, then environment, then
// options, then [config.normalize].
type config struct {
	// export
	publicKey, secretKey string
	baseURL              string
	endpointURL          string            // full OTLP traces URL (a Collector gateway); overrides baseURL
	headers              map[string]string // WithHeaders: every export request
	otlpHeaders          map[string]string // OTEL_EXPORTER_OTLP_(TRACES_)HEADERS: a gateway only
	enabled              bool
	sampleRate           float64
	flushAt              int
	flushInterval        time.Duration
	timeout              time.Duration
	maxQueueSize         int
	maxQueueBytes        int64
	maxRequestBytes      int // uncompressed protobuf per request; tests lower it
	debug                bool
	gzip                 *bool  // WithGzip; nil: see gzipChoice
	otlpCompression      string // OTEL_EXPORTER_OTLP_(TRACES_)COMPRESSION: "gzip", "none" or "" (unset); a gateway only
	serviceName          string
	httpClient           *http.Client
	ownIdle              interface{ CloseIdleConnections() } // set with httpClient when the library built it
	tls                  tlsFiles
	proxy                proxyFunc // from the environment; nil: none

	// recording
	environment    string
	release        string
	tracerProvider trace.TracerProvider
	streamUsage    bool
	mediaUpload    bool
	mask           func(any) any
	providerName   string
	maxAttrLen     int
	logger         *slog.Logger
	prices         *record.Prices

	from origins // where each checked value came from, for warnings
}

// origins name the variable or option each checked value came from.
type origins struct {
	baseURL, endpointURL, flushAt, flushInterval, timeout, maxQueueSize, maxQueueBytes,
	sampleRate, serviceName, environment, release string
	compression string // the OTel compression variable that set otlpCompression
	keys        string // "WithCredentials" when the keys came from it; "": the environment
}

// noGzip reports whether export requests go without gzip (see gzipChoice).
func (c *config) noGzip() bool {
	off, _ := c.gzipChoice()
	return off
}

// gzipChoice reports whether export requests go without gzip, and the
// setting that decided it, as a message names it. In order: WithGzip; to
// a gateway, OTEL_EXPORTER_OTLP_(TRACES_)COMPRESSION; else gzip, except to
// a loopback endpoint (localhost, 127.0.0.0/8, ::1, not proxied: see
// onThisMachine), Litefuse or a Collector on the same host, where it
// would spend CPU to save no bandwidth.
func (c *config) gzipChoice() (off bool, setting string) {
	u, _, err := c.endpoint()
	local := err == nil && c.onThisMachine(u)
	if c.gzip != nil {
		if local && !*c.gzip {
			// Shares its pipeline with the clients that set nothing.
			return true, "WithGzip(false), or the default for a loopback endpoint"
		}
		return !*c.gzip, fmt.Sprintf("WithGzip(%v)", *c.gzip)
	}
	if c.endpointURL != "" && c.otlpCompression != "" {
		return c.otlpCompression == "none", c.from.compression + "=" + c.otlpCompression
	}
	if local {
		return true, "the default for a loopback endpoint"
	}
	return false, "the default"
}

// maxAttributeLenCap bounds WithMaxAttributeLength: the recording sizes
// its buffers from it.
const maxAttributeLenCap = wire.MaxMaxValue

// Defaults and bounds.
const (
	// DefaultBaseURL is Litefuse Cloud, where spans go when neither
	// LANGFUSE_BASE_URL, LANGFUSE_HOST nor WithBaseURL says otherwise.
	DefaultBaseURL         = "https://litefuse.cloud"
	DefaultFlushAt         = 512
	DefaultFlushInterval   = 5 * time.Second
	DefaultTimeout         = 5 * time.Second
	DefaultMaxQueueSize    = 2048
	DefaultMaxQueueBytes   = 64 << 20 // 64 MiB of queued spans
	DefaultMaxAttributeLen = 1 << 20  // 1 MiB per attribute value
	// MaxSpanNameLen is the longest span name sent, in characters: the
	// server rejects a trace whose name (the root span's) is longer, so
	// longer names given to Observe, StartObservation or Generation.Name
	// are cut to it.
	MaxSpanNameLen = 1000

	tracesPath = "/api/public/otel/v1/traces"
	otelPath   = "/api/public/otel"

	minFlushInterval = 10 * time.Millisecond
	maxFlushInterval = 24 * time.Hour
	minTimeout       = 100 * time.Millisecond
	maxTimeout       = time.Hour
	maxQueueSizeCap  = 1 << 20 // spans
	minQueueBytes    = 1 << 20
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
		maxQueueBytes: DefaultMaxQueueBytes,
		serviceName:   "litefuse-go",
		streamUsage:   true,
		mediaUpload:   true,
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

// environmentName is what Litefuse accepts as langfuse.environment; the
// server files anything else under "default".
var environmentName = regexp.MustCompile(`^[a-z0-9_-]{1,40}$`)

// validEnvironment reports whether Litefuse keeps env as an environment:
// it matches environmentName and does not start with "langfuse".
func validEnvironment(env string) bool {
	return environmentName.MatchString(env) && !strings.HasPrefix(env, "langfuse")
}

// normalize clamps or refuses every value outside its range, returning
// one warning per value naming where it came from, the value and the fix.
// It never fails: the pipeline runs with the clamped values.
func (c *config) normalize() []error {
	var errs []error
	warn := func(from string, v any, format string, args ...any) {
		errs = append(errs, fmt.Errorf("litefuse: %s=%v: %s", originOr(from, "option"), v, fmt.Sprintf(format, args...)))
	}
	if c.maxQueueSize < 1 {
		warn(c.from.maxQueueSize, c.maxQueueSize, "must be at least 1; using %d", DefaultMaxQueueSize)
		c.maxQueueSize = DefaultMaxQueueSize
	} else if c.maxQueueSize > maxQueueSizeCap {
		warn(c.from.maxQueueSize, c.maxQueueSize, "too large; using %d", maxQueueSizeCap)
		c.maxQueueSize = maxQueueSizeCap
	}
	if c.maxQueueBytes < minQueueBytes {
		warn(c.from.maxQueueBytes, c.maxQueueBytes, "must be at least %d (1 MiB); using %d", minQueueBytes, minQueueBytes)
		c.maxQueueBytes = minQueueBytes
	}
	if c.maxAttrLen > maxAttributeLenCap {
		warn("WithMaxAttributeLength", c.maxAttrLen, "above %d (1 TiB); using %d", maxAttributeLenCap, maxAttributeLenCap)
		c.maxAttrLen = maxAttributeLenCap
	}
	if c.flushAt < 1 {
		warn(c.from.flushAt, c.flushAt, "must be a positive whole number; using %d", min(DefaultFlushAt, c.maxQueueSize))
		c.flushAt = min(DefaultFlushAt, c.maxQueueSize)
	} else if c.flushAt > c.maxQueueSize {
		warn(c.from.flushAt, c.flushAt, "above the queue size %d (WithMaxQueueSize): a batch could never fill; using %d", c.maxQueueSize, c.maxQueueSize)
		c.flushAt = c.maxQueueSize
	}
	if c.flushInterval < minFlushInterval {
		warn(c.from.flushInterval, c.flushInterval, "below %s, which would keep a core busy; using %s", minFlushInterval, minFlushInterval)
		c.flushInterval = minFlushInterval
	} else if c.flushInterval > maxFlushInterval {
		warn(c.from.flushInterval, c.flushInterval, "above %s; using %s", maxFlushInterval, maxFlushInterval)
		c.flushInterval = maxFlushInterval
	}
	if c.timeout < minTimeout {
		warn(c.from.timeout, c.timeout, "below %s; using %s", minTimeout, minTimeout)
		c.timeout = minTimeout
	} else if c.timeout > maxTimeout {
		warn(c.from.timeout, c.timeout, "above %s; using %s", maxTimeout, maxTimeout)
		c.timeout = maxTimeout
	}
	if math.IsNaN(c.sampleRate) || c.sampleRate < 0 || c.sampleRate > 1 {
		v := c.sampleRate
		c.sampleRate = 1
		if v < 0 {
			c.sampleRate = 0
		}
		warn(c.from.sampleRate, v, "must be between 0 and 1; using %v", c.sampleRate)
	}
	if !utf8.ValidString(c.serviceName) {
		warn(c.from.serviceName, fmt.Sprintf("%q", c.serviceName), "not valid UTF-8; invalid bytes replaced by U+FFFD")
		c.serviceName = strings.ToValidUTF8(c.serviceName, "\uFFFD")
	}
	if !utf8.ValidString(c.release) {
		warn(c.from.release, fmt.Sprintf("%q", c.release), "not valid UTF-8; invalid bytes replaced by U+FFFD")
		c.release = strings.ToValidUTF8(c.release, "\uFFFD")
	}
	if c.environment != "" && !validEnvironment(c.environment) {
		warn(c.from.environment, fmt.Sprintf("%q", c.environment),
			"must match ^[a-z0-9-_]{1,40}$ and not start with \"langfuse\" (Litefuse would file it under \"default\"); left out, use e.g. \"production\"")
		c.environment = ""
	}
	if c.maxRequestBytes <= 0 {
		c.maxRequestBytes = export.DefaultMaxRequestBytes
	}
	return errs
}

func originOr(from, def string) string {
	if from == "" {
		return def
	}
	return from
}
