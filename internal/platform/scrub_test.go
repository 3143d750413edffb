package platform

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// leakOf is the longest part (6 bytes or more) of any secret found in s.
func leakOf(s string, secrets ...string) string {
	best := ""
	for _, secret := range secrets {
		for n := len(secret); n >= 6 && n > len(best); n-- {
			for i := 0; i+n <= len(secret); i++ {
				if strings.Contains(s, secret[i:i+n]) {
					best = secret[i : i+n]
					break
				}
			}
		}
	}
	return best
}

// TestStatusErrorQuotesNoPartOfASecret: a server echoing the secret key or
// the Authorization value anywhere in a long error body, after any amount
// of spacing: the error text keeps no part of either (the body was cut at
// its read bound, then the secret looked for whole, which let the part
// before the cut through).
func TestStatusErrorQuotesNoPartOfASecret(t *testing.T) {
	const pub, secret = "pk-lf-pub", "sk-lf-Zq9XwT4bN7cR2mK8vL5pJ3hD6fG1sA0e"
	auth := base64.StdEncoding.EncodeToString([]byte(pub + ":" + secret))
	var body string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(body))
	}))
	defer srv.Close()
	c := &Client{Base: srv.URL, PublicKey: pub, SecretKey: secret}
	for _, echo := range []string{secret, auth} {
		for _, pad := range []string{" ", "x", "\n"} {
			for at := 200; at < 1100; at += 3 {
				body = strings.Repeat(pad, at) + echo + strings.Repeat(" more", 300)
				err := c.Do(context.Background(), "GET", "/api/public/projects", nil, nil)
				var se *StatusError
				if !errors.As(err, &se) {
					t.Fatalf("%T %v", err, err)
				}
				if l := leakOf(err.Error(), secret, auth); l != "" {
					t.Fatalf("echo at %d after %q: %q left in %q", at, pad, l, err.Error())
				}
			}
		}
	}
}
