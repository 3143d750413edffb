package litefuse

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/litefuse/litefuse-go/internal/export"
	"github.com/litefuse/litefuse-go/internal/otlpreceiver"
)

func lookupFrom(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestLoadEnv(t *testing.T) {
	c, errs := loadEnv(lookupFrom(map[string]string{
		envPublicKey: "pk", envSecretKey: "sk", envHost: "https://litefuse.example.com",
		envSampleRate: "0.25", envEnvironment: "staging", envRelease: "v1.2.3",
		envFlushAt: "10", envFlushEvery: "0.5", envTimeout: "2s", envDebug: "true",
	}))
	if len(errs) != 0 {
		t.Fatalf("errors: %v", errs)
	}
	if c.publicKey != "pk" || c.secretKey != "sk" || c.baseURL != "https://litefuse.example.com" ||
		c.sampleRate != 0.25 || c.environment != "staging" || c.release != "v1.2.3" ||
		c.flushAt != 10 || c.flushInterval != 500*time.Millisecond || c.timeout != 2*time.Second || !c.debug {
		t.Errorf("config = %+v", c)
	}
	// LANGFUSE_BASE_URL wins over its alias LANGFUSE_HOST.
	c, _ = loadEnv(lookupFrom(map[string]string{envHost: "https://a.example", envBaseURL: "https://b.example"}))
	if c.baseURL != "https://b.example" {
		t.Errorf("baseURL = %q", c.baseURL)
	}
}

func TestLoadEnvDefaults(t *testing.T) {
	c, errs := loadEnv(lookupFrom(nil))
	if len(errs) != 0 || c.baseURL != DefaultBaseURL || !c.enabled || c.sampleRate != 1 ||
		c.flushAt != DefaultFlushAt || c.flushInterval != DefaultFlushInterval || c.timeout != DefaultTimeout || !c.streamUsage {
		t.Errorf("defaults = %+v, %v", c, errs)
	}
}

func TestLoadEnvBadValuesNameTheVariable(t *testing.T) {
	for name, v := range map[string]string{
		envSampleRate: "2", envEnabled: "maybe", envFlushAt: "-1", envFlushEvery: "soon", envTimeout: "0", envDebug: "loud",
	} {
		c, errs := loadEnv(lookupFrom(map[string]string{name: v}))
		if len(errs) != 1 || !strings.Contains(errs[0].Error(), name) || !strings.Contains(errs[0].Error(), v) {
			t.Errorf("%s=%q: errors %v, want one naming the variable and value", name, v, errs)
		}
		def, _ := loadEnv(lookupFrom(nil))
		if c.sampleRate != def.sampleRate || c.enabled != def.enabled || c.flushAt != def.flushAt ||
			c.flushInterval != def.flushInterval || c.timeout != def.timeout || c.debug != def.debug {
			t.Errorf("%s=%q: a bad value changed the config: %+v", name, v, c)
		}
	}
}

func TestOptionsWinOverEnv(t *testing.T) {
	c, _ := loadEnv(lookupFrom(map[string]string{envSampleRate: "0.5", envEnvironment: "staging"}))
	c.apply([]Option{WithSampleRate(0.1), WithEnvironment("prod"), nil})
	if c.sampleRate != 0.1 || c.environment != "prod" {
		t.Errorf("config = %+v", c)
	}
}

func TestEndpoint(t *testing.T) {
	for base, want := range map[string]string{
		"https://cloud.langfuse.com":   "https://cloud.langfuse.com/api/public/otel/v1/traces",
		"http://localhost:3000/":       "http://localhost:3000/api/public/otel/v1/traces",
		"https://example.com/litefuse": "https://example.com/litefuse/api/public/otel/v1/traces",
	} {
		c := defaultConfig()
		c.baseURL = base
		if got, _, err := c.endpoint(); err != nil || got != want {
			t.Errorf("%s: %q, %v; want %q", base, got, err, want)
		}
	}
	for _, bad := range []string{"cloud.langfuse.com", "ftp://x", "://", "http://"} {
		c := defaultConfig()
		c.baseURL = bad
		if _, _, err := c.endpoint(); err == nil || !strings.Contains(err.Error(), envBaseURL) {
			t.Errorf("%q: err = %v, want one naming %s", bad, err, envBaseURL)
		}
	}
}

func TestPlainHTTPRemote(t *testing.T) {
	for u, want := range map[string]bool{
		"http://127.0.0.1:3000/x": false, "http://localhost/x": false, "http://[::1]/x": false,
		"https://cloud.langfuse.com/x": false, "http://litefuse.internal/x": true, "http://10.0.0.5/x": true,
	} {
		if got := plainHTTPRemote(u); got != want {
			t.Errorf("%s: %v, want %v", u, got, want)
		}
	}
}

func TestProviderName(t *testing.T) {
	for host, want := range map[string]string{
		"ark.ap-southeast.bytepluses.com": "byteplus",
		"ARK.cn-beijing.volces.com":       "volcengine",
		"api.openai.com":                  "openai",
		"myres.openai.azure.com":          "azure.ai.openai",
		"bytepluses.com":                  "openai",
		"127.0.0.1":                       "openai",
	} {
		if got := providerName(host); got != want {
			t.Errorf("%s: %q, want %q", host, got, want)
		}
	}
}

func TestExplainExportError(t *testing.T) {
	for err, want := range map[error]string{
		&export.StatusError{Code: 401, Body: "{}"}: "rejected the keys",
		&export.StatusError{Code: 403}:             "rejected the keys",
		&export.StatusError{Code: 413}:             "WithMaxAttributeLength",
		&export.ThrottledError{Until: time.Now()}:  "throttled",
		errors.New(`Post "http://127.0.0.1:40147/x": dial tcp 127.0.0.1:40147: connect: connection refused`): "unreachable",
		&export.StatusError{Code: 500}: "litefuse: export:",
		context.DeadlineExceeded:       envTimeout,
	} {
		if got := explainExportError(fmt.Errorf("traces export: %w", err)).Error(); !strings.Contains(got, want) {
			t.Errorf("%v: %q, want it to say %q", err, got, want)
		}
	}
}

func TestOTLPEnvironmentPrecedence(t *testing.T) {
	gw := "http://collector.local:4318/v1/traces"
	c, errs := loadEnv(lookupFrom(map[string]string{envOTLPTracesEndpoint: gw, envOTLPHeaders: "a=1,b=x%20y", envOTLPTracesHeaders: "b=2"}))
	if len(errs) != 0 || c.endpointURL != gw || c.otlpHeaders["a"] != "1" || c.otlpHeaders["b"] != "2" {
		t.Errorf("gateway from env: %q %v %v", c.endpointURL, c.otlpHeaders, errs)
	}
	if got, _, _ := c.endpoint(); got != gw {
		t.Errorf("endpoint = %q", got)
	}
	// A Litefuse URL wins: the OTel variable may be the application's own.
	c, _ = loadEnv(lookupFrom(map[string]string{envOTLPTracesEndpoint: gw, envBaseURL: "https://litefuse.example.com"}))
	if got, _, _ := c.endpoint(); got != "https://litefuse.example.com/api/public/otel/v1/traces" {
		t.Errorf("LANGFUSE_BASE_URL must win: %q", got)
	}
	// An option wins over both.
	c.apply([]Option{WithEndpointURL("http://other:4318/v1/traces")})
	if got, _, _ := c.endpoint(); got != "http://other:4318/v1/traces" {
		t.Errorf("option must win: %q", got)
	}
	// Without keys a gateway still gets spans, and no Authorization.
	c, _ = loadEnv(lookupFrom(map[string]string{envOTLPTracesEndpoint: gw}))
	if _, _, err := newExporter(c); err != nil {
		t.Errorf("a gateway without keys: %v", err)
	}
	if _, ok := c.exportHeaders(true)["Authorization"]; ok {
		t.Error("Authorization sent without keys")
	}
	_, errs = loadEnv(lookupFrom(map[string]string{envOTLPHeaders: "novalue,secret=abc"}))
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), envOTLPHeaders) || strings.Contains(errs[0].Error(), "abc") {
		t.Errorf("bad headers: %v", errs)
	}
}

// Rows: hostile configuration never panics, spins or silently drops:
// every bad value yields one warning naming the variable and the value,
// and the pipeline runs with a clamped value.
func TestHostileConfigClampedWithOneWarning(t *testing.T) {
	for _, tc := range []struct {
		env   map[string]string
		opts  []Option
		name  string // in the one warning
		check func(c config) bool
	}{
		{env: map[string]string{envFlushAt: "99999999999999"}, name: envFlushAt + "=99999999999999",
			check: func(c config) bool { return c.flushAt == c.maxQueueSize }},
		{env: map[string]string{envFlushAt: "5000"}, name: envFlushAt + "=5000",
			check: func(c config) bool { return c.flushAt == DefaultMaxQueueSize }},
		{opts: []Option{WithMaxQueueSize(1 << 40)}, name: "WithMaxQueueSize=1099511627776",
			check: func(c config) bool { return c.maxQueueSize == maxQueueSizeCap }},
		{opts: []Option{WithFlushAt(-3)}, name: "WithFlushAt=-3",
			check: func(c config) bool { return c.flushAt == DefaultFlushAt }},
		{env: map[string]string{envFlushEvery: "1ns"}, name: envFlushEvery + "=1ns",
			check: func(c config) bool { return c.flushInterval == minFlushInterval }},
		{env: map[string]string{envTimeout: "0.000001"}, name: envTimeout + "=1µs",
			check: func(c config) bool { return c.timeout == minTimeout }},
		{env: map[string]string{envMaxQueueBytes: "100"}, name: envMaxQueueBytes + "=100",
			check: func(c config) bool { return c.maxQueueBytes == minQueueBytes }},
		{env: map[string]string{envMaxQueueBytes: "lots"}, name: envMaxQueueBytes + `="lots"`,
			check: func(c config) bool { return c.maxQueueBytes == DefaultMaxQueueBytes }},
		{env: map[string]string{envSampleRate: "NaN"}, name: envSampleRate + `="NaN"`,
			check: func(c config) bool { return c.sampleRate == 1 }},
		{opts: []Option{WithSampleRate(7)}, name: "WithSampleRate=7",
			check: func(c config) bool { return c.sampleRate == 1 }},
		{env: map[string]string{envServiceName: "svc\xff"}, name: envServiceName,
			check: func(c config) bool { return c.serviceName == "svc\uFFFD" }},
		{env: map[string]string{envRelease: "v1\xc3("}, name: envRelease,
			check: func(c config) bool { return c.release == "v1\uFFFD(" }},
		{env: map[string]string{envEnvironment: "Prod EU"}, name: envEnvironment + `="Prod EU"`,
			check: func(c config) bool { return c.environment == "" }},
		{env: map[string]string{envEnvironment: "langfuse-internal"}, name: envEnvironment,
			check: func(c config) bool { return c.environment == "" }},
		{env: map[string]string{envEnvironment: strings.Repeat("a", 41)}, name: envEnvironment,
			check: func(c config) bool { return c.environment == "" }},
		{env: map[string]string{envEnvironment: "prod\xff"}, name: envEnvironment,
			check: func(c config) bool { return c.environment == "" }},
		{env: map[string]string{envDebug: "loud"}, name: envDebug + `="loud"`,
			check: func(c config) bool { return !c.debug }},
		{env: map[string]string{envEnabled: "maybe"}, name: envEnabled + `="maybe"`,
			check: func(c config) bool { return c.enabled }},
	} {
		env := map[string]string{envPublicKey: "pk", envSecretKey: "sk", envBaseURL: "http://127.0.0.1:1"}
		for k, v := range tc.env {
			env[k] = v
		}
		c, errs := loadEnv(lookupFrom(env))
		c.apply(tc.opts)
		errs = append(errs, c.normalize()...)
		if len(errs) != 1 || !strings.Contains(errs[0].Error(), tc.name) || !strings.Contains(errs[0].Error(), "litefuse: ") {
			t.Errorf("%v %v: warnings %v, want one naming %s", tc.env, tc.opts, errs, tc.name)
		}
		if !tc.check(c) {
			t.Errorf("%v %v: not clamped: %+v", tc.env, tc.opts, c)
		}
		// The clamped configuration builds a pipeline (no panic, no
		// out-of-memory) that records.
		c.logger = nopLogger()
		inst, err := newInstance(c)
		if err != nil {
			t.Fatal(err)
		}
		_, s := inst.tracer.Start(context.Background(), "s")
		s.End()
		if st := inst.stats(); st.Ended != 1 && c.sampleRate == 1 {
			t.Errorf("%v: stats %+v", tc.env, st)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		_ = inst.shutdown(ctx)
		cancel()
	}
}

// The usual spellings of a switch; LANGFUSE_TRACING_ENABLED=false warns
// nothing.
func TestBooleanSpellings(t *testing.T) {
	for v, want := range map[string]bool{"true": true, "TRUE": true, "1": true, "yes": true, "on": true, "t": true,
		"false": false, "0": false, "no": false, "Off": false, "f": false} {
		c, errs := loadEnv(lookupFrom(map[string]string{envDebug: v, envEnabled: v}))
		if len(errs) != 0 || c.debug != want || c.enabled != want {
			t.Errorf("%q: debug %v enabled %v %v", v, c.debug, c.enabled, errs)
		}
	}
}

// Row: LANGFUSE_BASE_URL with a query, a fragment or credentials is
// refused, never printing the password; a base ending in /api/public/otel
// or the full traces path is understood.
func TestBaseURLForms(t *testing.T) {
	for base, want := range map[string]string{
		"https://cloud.langfuse.com/api/public/otel":           "https://cloud.langfuse.com/api/public/otel/v1/traces",
		"https://cloud.langfuse.com/api/public/otel/":          "https://cloud.langfuse.com/api/public/otel/v1/traces",
		"https://cloud.langfuse.com/api/public/otel/v1/traces": "https://cloud.langfuse.com/api/public/otel/v1/traces",
		"https://x.example/lf/api/public/otel/v1/traces/":      "https://x.example/lf/api/public/otel/v1/traces",
		"http://localhost:3000":                                "http://localhost:3000/api/public/otel/v1/traces",
	} {
		c := defaultConfig()
		c.baseURL = base
		if got, gw, err := c.endpoint(); err != nil || got != want || gw {
			t.Errorf("%s: %q %v %v; want %q", base, got, gw, err, want)
		}
	}
	for base, what := range map[string]string{
		"https://cloud.langfuse.com/?project=1":                             "query",
		"https://cloud.langfuse.com/#top":                                   "fragment",
		"https://cloud.langfuse.com/?":                                      "query",
		"https://admin:hunter2pass@cloud.langfuse.com":                      "credentials",
		"https://admin:hunter2pass@cloud.langfuse.com/x?token=tok-secret#f": "credentials",
	} {
		c, _ := loadEnv(lookupFrom(map[string]string{envBaseURL: base}))
		_, _, err := c.endpoint()
		if err == nil || !strings.Contains(err.Error(), envBaseURL) || !strings.Contains(err.Error(), what) {
			t.Errorf("%s: %v, want refused naming %s and the %s", base, err, envBaseURL, what)
			continue
		}
		for _, secret := range []string{"hunter2pass", "tok-secret", "project=1"} {
			if strings.Contains(err.Error(), secret) {
				t.Errorf("%s: the error shows %q: %v", base, secret, err)
			}
		}
	}
	c, _ := loadEnv(lookupFrom(map[string]string{envOTLPTracesEndpoint: "http://u:gw-pass@collector:4318/v1/traces"}))
	if _, _, err := c.endpoint(); err == nil || strings.Contains(err.Error(), "gw-pass") || !strings.Contains(err.Error(), envOTLPTracesEndpoint) {
		t.Errorf("gateway with credentials: %v", err)
	}
}

// Row: LANGFUSE_FLUSH_AT above the queue size, healthy receiver: clamped
// with a warning, and nothing is dropped.
func TestFlushAtAboveQueueSizeNoDrops(t *testing.T) {
	recv := otlpreceiver.New()
	defer recv.Close()
	p := newPipeline(t, recv.BaseURL(), WithFlushAt(5000), WithMaxQueueSize(100), WithFlushInterval(5*time.Second), WithTimeout(10*time.Second))
	if p.inst.cfg.flushAt != 100 {
		t.Fatalf("flushAt = %d, want clamped to the queue size", p.inst.cfg.flushAt)
	}
	p.callMany(t, 1000)
	st := p.settle(t)
	if st.Dropped != 0 || st.Exported != 1000 {
		t.Errorf("stats %+v: want 1000 exported, none dropped", st)
	}
}
