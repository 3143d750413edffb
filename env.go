package litefuse

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// Environment variables read on first use.
const (
	envPublicKey     = "LANGFUSE_PUBLIC_KEY"
	envSecretKey     = "LANGFUSE_SECRET_KEY"
	envBaseURL       = "LANGFUSE_BASE_URL"
	envHost          = "LANGFUSE_HOST"
	envEnabled       = "LANGFUSE_TRACING_ENABLED"
	envSampleRate    = "LANGFUSE_SAMPLE_RATE"
	envEnvironment   = "LANGFUSE_TRACING_ENVIRONMENT"
	envRelease       = "LANGFUSE_RELEASE"
	envFlushAt       = "LANGFUSE_FLUSH_AT"
	envFlushEvery    = "LANGFUSE_FLUSH_INTERVAL"
	envTimeout       = "LANGFUSE_TIMEOUT"
	envMaxQueueBytes = "LANGFUSE_MAX_QUEUE_BYTES"
	envDebug         = "LANGFUSE_DEBUG"
	envMediaUpload   = "LANGFUSE_MEDIA_UPLOAD_ENABLED"
	envServiceName   = "OTEL_SERVICE_NAME"

	envOTLPTracesEndpoint = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
	envOTLPHeaders        = "OTEL_EXPORTER_OTLP_HEADERS"
	envOTLPTracesHeaders  = "OTEL_EXPORTER_OTLP_TRACES_HEADERS"
	envOTLPCompression    = "OTEL_EXPORTER_OTLP_COMPRESSION"
	envOTLPTracesCompr    = "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION"
)

// loadEnv reads the LANGFUSE_* variables on top of the defaults. A value
// that cannot be read keeps the default and yields a warning naming the
// variable, the value and the fix; values that read but are out of range
// are clamped later by [config.normalize].
func loadEnv(lookup func(string) (string, bool)) (config, []error) {
	c := defaultConfig()
	var errs []error
	get := func(k string) (string, bool) {
		v, ok := lookup(k)
		v = strings.TrimSpace(v)
		return v, ok && v != ""
	}
	bad := func(name, v, format string, args ...any) {
		errs = append(errs, fmt.Errorf("litefuse: %s=%q: %s", name, v, fmt.Sprintf(format, args...)))
	}
	c.publicKey, _ = get(envPublicKey)
	c.secretKey, _ = get(envSecretKey)
	if v, ok := get(envBaseURL); ok {
		c.baseURL, c.from.baseURL = v, envBaseURL
	} else if v, ok := get(envHost); ok {
		c.baseURL, c.from.baseURL = v, envHost
	} else if v, ok := get(envOTLPTracesEndpoint); ok {
		// A Collector gateway, used only when no Litefuse URL is set.
		c.endpointURL, c.from.endpointURL = v, envOTLPTracesEndpoint
	}
	for _, name := range []string{envOTLPHeaders, envOTLPTracesHeaders} { // the traces-specific one wins
		if v, ok := get(name); ok {
			h, err := parseOTLPHeaders(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("litefuse: %s: %w", name, err))
				continue
			}
			if c.otlpHeaders == nil {
				c.otlpHeaders = make(map[string]string, len(h))
			}
			for k, v := range h {
				c.otlpHeaders[k] = v
			}
		}
	}
	// Like the headers, the application's OTel compression setting is for a
	// gateway: Litefuse's own endpoint keeps its default unless WithGzip says.
	for _, name := range []string{envOTLPCompression, envOTLPTracesCompr} { // the traces-specific one wins
		if v, ok := get(name); ok {
			c.from.compression = name
			switch strings.ToLower(v) {
			case "gzip", "none":
				c.otlpCompression = strings.ToLower(v)
			default:
				c.otlpCompression = "gzip"
				bad(name, v, "want gzip or none; using gzip")
			}
		}
	}
	if v, ok := get(envEnabled); ok {
		if b, ok := parseBool(v); ok {
			c.enabled = b
		} else {
			bad(envEnabled, v, "must be true or false (also 1/0, yes/no, on/off); using true")
		}
	}
	if v, ok := get(envMediaUpload); ok {
		if b, ok := parseBool(v); ok {
			c.mediaUpload = b
		} else {
			bad(envMediaUpload, v, "must be true or false (also 1/0, yes/no, on/off); using true")
		}
	}
	if v, ok := get(envSampleRate); ok {
		if f, err := strconv.ParseFloat(v, 64); err != nil || f < 0 || f > 1 || f != f {
			bad(envSampleRate, v, "must be a number between 0 and 1; using 1")
		} else {
			c.sampleRate, c.from.sampleRate = f, envSampleRate
		}
	}
	if v, ok := get(envEnvironment); ok {
		c.environment, c.from.environment = v, envEnvironment
	}
	if v, ok := get(envRelease); ok {
		c.release, c.from.release = v, envRelease
	}
	if v, ok := get(envFlushAt); ok {
		if n, err := strconv.ParseInt(v, 10, 64); err != nil || n <= 0 {
			bad(envFlushAt, v, "must be a positive whole number; using %d", DefaultFlushAt)
		} else {
			c.flushAt, c.from.flushAt = int(min(n, int64(math.MaxInt))), envFlushAt
		}
	}
	if v, ok := get(envMaxQueueBytes); ok {
		if n, err := strconv.ParseInt(v, 10, 64); err != nil || n <= 0 {
			bad(envMaxQueueBytes, v, "must be a positive whole number of bytes; using %d (64 MiB)", DefaultMaxQueueBytes)
		} else {
			c.maxQueueBytes, c.from.maxQueueBytes = n, envMaxQueueBytes
		}
	}
	for _, d := range []struct {
		name string
		dst  *time.Duration
		from *string
		def  time.Duration
	}{{envFlushEvery, &c.flushInterval, &c.from.flushInterval, DefaultFlushInterval}, {envTimeout, &c.timeout, &c.from.timeout, DefaultTimeout}} {
		if v, ok := get(d.name); ok {
			dur, err := parseSeconds(v)
			if err != nil {
				bad(d.name, v, "must be seconds (5, 0.5) or a duration (500ms); using %s", d.def)
			} else {
				*d.dst, *d.from = dur, d.name
			}
		}
	}
	if v, ok := get(envDebug); ok {
		if b, ok := parseBool(v); ok {
			c.debug = b
		} else {
			bad(envDebug, v, "must be true or false (also 1/0, yes/no, on/off); using false")
		}
	}
	if v, ok := get(envServiceName); ok {
		c.serviceName, c.from.serviceName = v, envServiceName
	}
	c.tls, errs = loadTLSFiles(get, errs)
	c.proxy = proxyFromEnv(lookup)
	return c, errs
}

// parseBool reads the usual spellings of a switch.
func parseBool(v string) (bool, bool) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "1", "t", "true", "y", "yes", "on":
		return true, true
	case "0", "f", "false", "n", "no", "off":
		return false, true
	}
	return false, false
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
// also accepts Go durations such as "500ms". Out-of-range values are left
// to [config.normalize].
func parseSeconds(v string) (time.Duration, error) {
	if f, err := strconv.ParseFloat(v, 64); err == nil {
		if f <= 0 || f != f {
			return 0, errors.New("out of range")
		}
		if f > 1e9 {
			f = 1e9
		}
		return time.Duration(f * float64(time.Second)), nil
	}
	d, err := time.ParseDuration(v)
	if err == nil && d <= 0 {
		err = errors.New("out of range")
	}
	return d, err
}

// resolveConfig is defaults, then environment, then options, then
// normalize. The errors are warnings: the config is usable.
func resolveConfig(opts []Option) (config, []error) {
	c, errs := loadEnv(os.LookupEnv)
	c.apply(opts)
	return c, append(errs, c.normalize()...)
}
