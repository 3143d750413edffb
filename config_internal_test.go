package litefuse

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/litefuse/litefuse-go/internal/export"
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
