package litefuse

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

// The pipeline's HTTP client follows a redirect within the origin, and
// one of a request without credentials, but never carries the keys or the
// configured headers to another origin (another port of the same host).
func TestRedirectPolicyKeepsCredentialsAtTheOrigin(t *testing.T) {
	var leaked, reached atomic.Int64
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached.Add(1)
		if r.Header.Get("Authorization") != "" || r.Header.Get("X-Api-Key") != "" {
			leaked.Add(1)
		}
	}))
	defer other.Close()
	var origin *httptest.Server
	origin = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/away":
			http.Redirect(w, r, other.URL+"/x", http.StatusTemporaryRedirect)
		case "/here":
			http.Redirect(w, r, origin.URL+"/ok", http.StatusTemporaryRedirect)
		}
	}))
	defer origin.Close()
	for _, tc := range []struct {
		name string
		cfg  config
	}{
		{"library transport", config{headers: map[string]string{"x-api-key": "gateway-secret"}}},
		{"WithHTTPClient", config{otlpHeaders: map[string]string{"x-api-key": "gateway-secret"}, httpClient: &http.Client{}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hc, _, _ := tc.cfg.client()
			for _, h := range []string{"Authorization", "X-Api-Key"} {
				req, _ := http.NewRequest("GET", origin.URL+"/away", nil)
				req.Header.Set(h, "secret")
				_, err := hc.Do(req)
				var coe *crossOriginError
				if !errors.As(err, &coe) {
					t.Errorf("%s: cross-origin redirect: err %v, want it refused", h, err)
				}
			}
			req, _ := http.NewRequest("GET", origin.URL+"/here", nil)
			req.SetBasicAuth("pk", "sk")
			if resp, err := hc.Do(req); err != nil || resp.Request.URL.Path != "/ok" {
				t.Errorf("same-origin redirect not followed: %v", err)
			}
			before := reached.Load()
			req, _ = http.NewRequest("PUT", origin.URL+"/away", nil) // an upload: no credentials
			if _, err := hc.Do(req); err != nil || reached.Load() != before+1 {
				t.Errorf("a request without credentials was not followed: %v", err)
			}
		})
	}
	if leaked.Load() != 0 {
		t.Errorf("%d requests carried credentials to another origin", leaked.Load())
	}
}
