package litefuse

import (
	"strings"
	"testing"
	"time"
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

func TestLoadEnvMediaUpload(t *testing.T) {
	if c, _ := loadEnv(lookupFrom(nil)); !c.mediaUpload {
		t.Error("media uploads are on by default")
	}
	if c, errs := loadEnv(lookupFrom(map[string]string{envMediaUpload: "false"})); c.mediaUpload || len(errs) != 0 {
		t.Errorf("%s=false: %v %v", envMediaUpload, c.mediaUpload, errs)
	}
	c, errs := loadEnv(lookupFrom(map[string]string{envMediaUpload: "nope"}))
	if !c.mediaUpload || len(errs) != 1 || !strings.Contains(errs[0].Error(), envMediaUpload) {
		t.Errorf("a bad value keeps the default with a warning naming the variable: %v %v", c.mediaUpload, errs)
	}
}

// OTEL_EXPORTER_OTLP_(TRACES_)COMPRESSION: gzip (the default) or none, in
// any case, the traces-specific one winning; anything else is gzip, with a
// warning naming the variable, the value and the choices (review 31: a bad
// traces value over a generic none said gzip and sent none).
func TestLoadEnvCompression(t *testing.T) {
	for _, tc := range []struct {
		env    map[string]string
		noGzip bool
		warn   string
	}{
		{nil, false, ""},
		{map[string]string{envOTLPCompression: "none"}, true, ""},
		{map[string]string{envOTLPCompression: " NONE "}, true, ""},
		{map[string]string{envOTLPCompression: "gzip"}, false, ""},
		{map[string]string{envOTLPCompression: "gzip", envOTLPTracesCompr: "none"}, true, ""},
		{map[string]string{envOTLPCompression: "none", envOTLPTracesCompr: "gzip"}, false, ""},
		{map[string]string{envOTLPTracesCompr: "zstd"}, false, envOTLPTracesCompr + `="zstd": want gzip or none`},
		{map[string]string{envOTLPCompression: "none", envOTLPTracesCompr: "zstd"}, false, envOTLPTracesCompr + `="zstd": want gzip or none; using gzip`},
	} {
		c, errs := loadEnv(lookupFrom(tc.env))
		if c.noGzip(true) != tc.noGzip {
			t.Errorf("%v: to a gateway, noGzip %v, want %v", tc.env, c.noGzip(true), tc.noGzip)
		}
		if c.noGzip(false) {
			t.Errorf("%v: Litefuse's own endpoint goes without gzip; the OTel variables are for a gateway", tc.env)
		}
		if tc.warn == "" && len(errs) != 0 || tc.warn != "" && (len(errs) != 1 || !strings.Contains(errs[0].Error(), tc.warn)) {
			t.Errorf("%v: warnings %v, want %q", tc.env, errs, tc.warn)
		}
	}
}

// WithGzip wins over the OTel variables, wherever spans go.
func TestWithGzipWins(t *testing.T) {
	for _, on := range []bool{false, true} {
		c, _ := loadEnv(lookupFrom(map[string]string{envOTLPCompression: "none"}))
		c.apply([]Option{WithGzip(on)})
		if c.noGzip(true) == on || c.noGzip(false) == on {
			t.Errorf("WithGzip(%v): noGzip to a gateway %v, to Litefuse %v", on, c.noGzip(true), c.noGzip(false))
		}
	}
}
