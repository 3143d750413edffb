package litefuse

import (
	"net/http"
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

// OTEL_EXPORTER_OTLP_(TRACES_)COMPRESSION: gzip or none, in any case, the
// traces-specific one winning; anything else is gzip, with a warning
// naming the variable, the value and the choices (review 31: a bad traces
// value over a generic none said gzip and sent none). They are a
// gateway's, like the headers; unset, a gateway gets the default: gzip,
// but for a loopback endpoint.
func TestLoadEnvCompression(t *testing.T) {
	for _, tc := range []struct {
		env                    map[string]string
		remote, loopback, unit bool // noGzip to a remote gateway, a loopback one
		warn                   string
	}{
		{nil, false, true, false, ""},
		{map[string]string{envOTLPCompression: "none"}, true, true, false, ""},
		{map[string]string{envOTLPCompression: " NONE "}, true, true, false, ""},
		{map[string]string{envOTLPCompression: "gzip"}, false, false, false, ""},
		{map[string]string{envOTLPCompression: "gzip", envOTLPTracesCompr: "none"}, true, true, false, ""},
		{map[string]string{envOTLPCompression: "none", envOTLPTracesCompr: "gzip"}, false, false, false, ""},
		{map[string]string{envOTLPTracesCompr: "zstd"}, false, false, false, envOTLPTracesCompr + `="zstd": want gzip or none`},
		{map[string]string{envOTLPCompression: "none", envOTLPTracesCompr: "zstd"}, false, false, false, envOTLPTracesCompr + `="zstd": want gzip or none; using gzip`},
	} {
		c, errs := loadEnv(lookupFrom(tc.env))
		for _, to := range []struct {
			endpoint string
			want     bool
		}{{"http://collector:4318/v1/traces", tc.remote}, {"http://127.0.0.1:4318/v1/traces", tc.loopback}} {
			g := c
			g.endpointURL = to.endpoint
			if g.noGzip() != to.want {
				t.Errorf("%v: to a gateway at %s, noGzip %v, want %v", tc.env, to.endpoint, g.noGzip(), to.want)
			}
		}
		// Litefuse's own endpoint: the OTel variables are a gateway's.
		for base, want := range map[string]bool{"https://litefuse.example": false, "http://localhost:3000": true} {
			l := c
			l.baseURL = base
			if l.noGzip() != want {
				t.Errorf("%v: to Litefuse at %s, noGzip %v, want %v", tc.env, base, l.noGzip(), want)
			}
		}
		if tc.warn == "" && len(errs) != 0 || tc.warn != "" && (len(errs) != 1 || !strings.Contains(errs[0].Error(), tc.warn)) {
			t.Errorf("%v: warnings %v, want %q", tc.env, errs, tc.warn)
		}
	}
}

// A loopback endpoint (this machine by name or address) gets no gzip by
// default; any other host, or a name that may resolve anywhere (review 34:
// names under .localhost go to DNS and to proxies), gets gzip. So does a
// loopback name that the environment's proxy takes (Go's proxy rule leaves
// out only "localhost" and loopback addresses as written).
func TestGzipDefaultFollowsTheEndpoint(t *testing.T) {
	for _, proxy := range []string{"", "http://proxy.example:8080"} {
		for base, noGzip := range map[string]bool{
			"http://localhost:3000":         true,
			"http://127.0.0.1:3000":         true,
			"http://127.8.9.10:3000":        true,
			"http://[::1]:3000":             true,
			"http://LOCALHOST:3000":         proxy == "",
			"http://localhost.:3000":        proxy == "",
			"http://litefuse.localhost":     false,
			"https://litefuse.cloud":        false,
			"http://10.0.0.5:3000":          false,
			"http://litefuse:3000":          false,
			"http://localhost.example:3000": false,
			"not a url":                     false,
		} {
			c, _ := loadEnv(lookupFrom(map[string]string{"HTTP_PROXY": proxy}))
			c.apply([]Option{WithBaseURL(base)})
			if c.noGzip() != noGzip {
				t.Errorf("HTTP_PROXY=%q, %s: noGzip %v, want %v", proxy, base, c.noGzip(), noGzip)
			}
		}
	}
}

// WithGzip wins over the OTel variables and the default, wherever spans go.
func TestWithGzipWins(t *testing.T) {
	for _, on := range []bool{false, true} {
		for _, env := range []string{"none", "gzip"} {
			for _, endpoint := range []string{"http://collector:4318/v1/traces", "http://127.0.0.1:4318/v1/traces"} {
				c, _ := loadEnv(lookupFrom(map[string]string{envOTLPCompression: env}))
				c.apply([]Option{WithGzip(on)})
				l := c
				l.baseURL = "http://localhost:3000"
				c.endpointURL = endpoint
				if c.noGzip() == on || l.noGzip() == on {
					t.Errorf("WithGzip(%v), %s=%s: noGzip to a gateway at %s %v, to Litefuse on localhost %v", on, envOTLPCompression, env, endpoint, c.noGzip(), l.noGzip())
				}
			}
		}
	}
}

// Review 37: the gzip default follows the pipeline as built. The pipeline
// holds the library's own client by the time its exporter is made: a
// spelling of localhost the environment's proxy takes still gets gzip
// there; an application's client may proxy such a spelling, so it gets
// gzip too; "localhost" as written and loopback addresses are never
// proxied, and get none either way.
func TestGzipDefaultWithTheClientBuilt(t *testing.T) {
	for _, tc := range []struct {
		base       string
		proxy      string
		appClient  bool
		wantNoGzip bool
	}{
		{"http://LOCALHOST:3000", "http://proxy.example:8080", false, false},
		{"http://localhost.:3000", "http://proxy.example:8080", false, false},
		{"http://LOCALHOST:3000", "", false, true},
		{"http://LOCALHOST:3000", "", true, false},
		{"http://localhost:3000", "http://proxy.example:8080", true, true},
		{"http://127.0.0.1:3000", "http://proxy.example:8080", false, true},
	} {
		c, _ := loadEnv(lookupFrom(map[string]string{"HTTP_PROXY": tc.proxy, envPublicKey: "pk-lf-1", envSecretKey: "sk-lf-1"}))
		c.apply([]Option{WithBaseURL(tc.base)})
		if tc.appClient {
			c.apply([]Option{WithHTTPClient(&http.Client{})})
		}
		before := c.noGzip()
		// As newInstance does before it makes the exporter.
		hc, idle, _ := c.client()
		c.httpClient, c.ownIdle = hc, idle
		if got := c.noGzip(); got != tc.wantNoGzip || got != before {
			t.Errorf("%s, HTTP_PROXY=%q, app client %v: noGzip %v before the client, %v with it; want %v", tc.base, tc.proxy, tc.appClient, before, got, tc.wantNoGzip)
		}
	}
}
