package lfserver

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/litefuse/litefuse-go/internal/store"
)

// Review 22, finding 12: the upload URL a media POST returns uses the
// scheme the request came in with: https over TLS, or behind a proxy that
// says X-Forwarded-Proto: https; http otherwise.
func TestUploadURLFollowsScheme(t *testing.T) {
	srv := New(store.New(8 << 20))
	sum := sha256.Sum256([]byte("image bytes"))
	body := `{"traceId":"t1","contentType":"image/png","contentLength":11,"sha256Hash":"` + base64.StdEncoding.EncodeToString(sum[:]) + `","field":"input"}`
	for _, c := range []struct {
		url, proto, want string
	}{
		{"https://lf.example:3443/api/public/media", "", "https://lf.example:3443/"},
		{"http://lf.example:3000/api/public/media", "https", "https://lf.example:3000/"},
		{"http://lf.example:3000/api/public/media", "", "http://lf.example:3000/"},
	} {
		req := httptest.NewRequest(http.MethodPost, c.url, strings.NewReader(body))
		req.SetBasicAuth(srv.PublicKey, srv.SecretKey)
		if c.proto != "" {
			req.Header.Set("X-Forwarded-Proto", c.proto)
		}
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		var out struct{ UploadURL string }
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || rec.Code != 200 {
			t.Fatalf("%s: %d %s", c.url, rec.Code, rec.Body)
		}
		if !strings.HasPrefix(out.UploadURL, c.want) {
			t.Errorf("%s (X-Forwarded-Proto %q): uploadUrl %s, want it to start %s", c.url, c.proto, out.UploadURL, c.want)
		}
	}
}
