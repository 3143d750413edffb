package litefuse

import (
	"strings"
	"testing"
)

func TestEndpoint(t *testing.T) {
	for base, want := range map[string]string{
		"https://litefuse.cloud":       "https://litefuse.cloud/api/public/otel/v1/traces",
		"http://localhost:3000/":       "http://localhost:3000/api/public/otel/v1/traces",
		"https://example.com/litefuse": "https://example.com/litefuse/api/public/otel/v1/traces",
	} {
		c := defaultConfig()
		c.baseURL = base
		if got, _, err := c.endpoint(); err != nil || got != want {
			t.Errorf("%s: %q, %v; want %q", base, got, err, want)
		}
	}
	for _, bad := range []string{"litefuse.cloud", "ftp://x", "://", "http://"} {
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
		"https://litefuse.cloud/x": false, "http://litefuse.internal/x": true, "http://10.0.0.5/x": true,
	} {
		if got := plainHTTPRemote(u); got != want {
			t.Errorf("%s: %v, want %v", u, got, want)
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

// Row: LANGFUSE_BASE_URL with a query, a fragment or credentials is
// refused, never printing the password; a base ending in /api/public/otel
// or the full traces path is understood.
func TestBaseURLForms(t *testing.T) {
	for base, want := range map[string]string{
		"https://litefuse.cloud/api/public/otel":           "https://litefuse.cloud/api/public/otel/v1/traces",
		"https://litefuse.cloud/api/public/otel/":          "https://litefuse.cloud/api/public/otel/v1/traces",
		"https://litefuse.cloud/api/public/otel/v1/traces": "https://litefuse.cloud/api/public/otel/v1/traces",
		"https://x.example/lf/api/public/otel/v1/traces/":  "https://x.example/lf/api/public/otel/v1/traces",
		"http://localhost:3000":                            "http://localhost:3000/api/public/otel/v1/traces",
	} {
		c := defaultConfig()
		c.baseURL = base
		if got, gw, err := c.endpoint(); err != nil || got != want || gw {
			t.Errorf("%s: %q %v %v; want %q", base, got, gw, err, want)
		}
	}
	for base, what := range map[string]string{
		"https://litefuse.cloud/?project=1":                             "query",
		"https://litefuse.cloud/#top":                                   "fragment",
		"https://litefuse.cloud/?":                                      "query",
		"https://admin:hunter2pass@litefuse.cloud":                      "credentials",
		"https://admin:hunter2pass@litefuse.cloud/x?token=tok-secret#f": "credentials",
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
