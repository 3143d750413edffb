package litefuse

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
)

// The API keys calls were made with, most recent last: a server may echo
// one in an error body, and that text may reach an Observe span through the
// error the client returns. Every recorded value is scrubbed of them.
var secrets struct {
	mu   sync.Mutex
	list []string
}

const (
	maxSecrets   = 32 // distinct keys remembered
	minSecretLen = 8  // shorter values are not taken for keys
)

// rememberSecrets adds keys to the process's list.
func rememberSecrets(keys []string) {
	if len(keys) == 0 {
		return
	}
	secrets.mu.Lock()
	defer secrets.mu.Unlock()
	for _, k := range keys {
		if i := slices.Index(secrets.list, k); i >= 0 {
			if i == len(secrets.list)-1 {
				continue
			}
			secrets.list = slices.Delete(secrets.list, i, i+1)
		}
		secrets.list = append(secrets.list, k)
		if len(secrets.list) > maxSecrets {
			secrets.list = slices.Delete(secrets.list, 0, 1)
		}
	}
}

// knownSecrets returns the keys remembered so far.
func knownSecrets() []string {
	secrets.mu.Lock()
	defer secrets.mu.Unlock()
	return slices.Clone(secrets.list)
}

// requestSecrets are the credentials a request carries: a bearer token,
// the api-key or x-api-key header (Azure, Anthropic-style gateways), and
// query parameters named like keys.
func requestSecrets(req *http.Request) []string {
	var out []string
	add := func(s string) {
		if s = strings.TrimSpace(s); len(s) >= minSecretLen && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	add(bearer(req.Header.Get("Authorization")))
	add(req.Header.Get("api-key"))
	add(req.Header.Get("x-api-key"))
	if req.URL != nil && req.URL.RawQuery != "" {
		q, _ := url.ParseQuery(req.URL.RawQuery)
		for name, vs := range q {
			if keyLike(name) {
				for _, v := range vs {
					add(v)
				}
			}
		}
	}
	return out
}

// keyLike reports whether a query parameter's name says it holds a secret.
func keyLike(name string) bool {
	n := strings.ToLower(name)
	for _, w := range []string{"key", "token", "secret", "sig", "auth", "password", "ak"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}
