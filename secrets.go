package litefuse

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// Keys a server may echo in an error body, which may reach an Observe span
// through the error the client returns, are remembered in two places:
//
//   - the observations around the call (its ctx's keyScope, and each
//     enclosing one): every value such an observation records is scrubbed
//     of exactly the keys its calls carried, however many tenants' keys the
//     process uses;
//   - a process-wide list, bounded in count and bytes, for calls made
//     outside the observation's context: status messages (SetError) are
//     scrubbed of every key in it.
//
// The generation span of a call is scrubbed of the call's own keys.

// Bounds of the process-wide list and of one observation's keys.
const (
	maxSecrets      = 4096    // distinct keys remembered process-wide
	maxSecretsBytes = 1 << 20 // their total length
	maxSecretLen    = 8 << 10 // a longer value is remembered by scopes only
	maxScopeKeys    = 64      // distinct keys one observation remembers
	minSecretLen    = 8       // shorter values are not taken for keys
)

// secrets is the process-wide list: a CLOCK (second chance) cache, so that
// a key in use stays while the hot path takes only the read lock, with an
// index by each key's last 8 bytes for one-pass scrubbing.
var secrets struct {
	mu     sync.RWMutex
	at     map[string]*secretEntry
	ring   []*secretEntry // insertion order from hand; eviction looks at hand
	hand   int
	bytes  int
	byTail map[uint64][]string
	// seen has the bit tailBit(t) set for every tail t in byTail (and
	// maybe for evicted ones): most bytes of a text are passed over
	// without a map lookup.
	seen [1 << 16 / 64]uint64
}

func tailBit(t uint64) (word int, mask uint64) {
	h := (t * 0x9E3779B97F4A7C15) >> 48
	return int(h >> 6), 1 << (h & 63)
}

type secretEntry struct {
	key  string
	used atomic.Bool // seen again since the hand last passed
}

// rememberSecrets notes the keys a call carries: in every observation
// around ctx, and in the process-wide list.
func rememberSecrets(ctx context.Context, keys []string) {
	if len(keys) == 0 {
		return
	}
	if sc := scopeFrom(ctx); sc != nil {
		sc.add(keys)
	}
	secrets.mu.RLock()
	missing := false
	for _, k := range keys {
		if e := secrets.at[k]; e != nil {
			if !e.used.Load() {
				e.used.Store(true)
			}
		} else if len(k) <= maxSecretLen {
			missing = true
		}
	}
	secrets.mu.RUnlock()
	if !missing {
		return
	}
	secrets.mu.Lock()
	defer secrets.mu.Unlock()
	for _, k := range keys {
		if len(k) < minSecretLen || len(k) > maxSecretLen || secrets.at[k] != nil {
			continue
		}
		for len(secrets.ring) > 0 && (len(secrets.ring) >= maxSecrets || secrets.bytes+len(k) > maxSecretsBytes) {
			evictSecret()
		}
		if secrets.at == nil {
			secrets.at = make(map[string]*secretEntry)
			secrets.byTail = make(map[uint64][]string)
		}
		e := &secretEntry{key: k}
		secrets.at[k] = e
		// New keys go just behind the hand: the last to be looked at.
		secrets.ring = slices.Insert(secrets.ring, secrets.hand, e)
		secrets.hand = (secrets.hand + 1) % len(secrets.ring)
		secrets.bytes += len(k)
		t := tailOf(k)
		secrets.byTail[t] = append(secrets.byTail[t], k)
		w, m := tailBit(t)
		secrets.seen[w] |= m
	}
}

// evictSecret drops the first key at or after the hand not used since the
// hand last passed it; secrets.mu is held.
func evictSecret() {
	for {
		e := secrets.ring[secrets.hand]
		if e.used.Load() {
			e.used.Store(false)
			secrets.hand = (secrets.hand + 1) % len(secrets.ring)
			continue
		}
		secrets.ring = slices.Delete(secrets.ring, secrets.hand, secrets.hand+1)
		if secrets.hand >= len(secrets.ring) {
			secrets.hand = 0
		}
		delete(secrets.at, e.key)
		secrets.bytes -= len(e.key)
		t := tailOf(e.key)
		rest := slices.DeleteFunc(secrets.byTail[t], func(k string) bool { return k == e.key })
		if len(rest) == 0 {
			delete(secrets.byTail, t)
		} else {
			secrets.byTail[t] = rest
		}
		return
	}
}

// tailOf is the last 8 bytes of a key (at least minSecretLen long).
func tailOf(k string) uint64 { return tailAt(k, len(k)) }

// tailAt is the 8 bytes of s ending at i, little-endian.
func tailAt(s string, i int) uint64 {
	_ = s[i-8 : i]
	return uint64(s[i-8]) | uint64(s[i-7])<<8 | uint64(s[i-6])<<16 | uint64(s[i-5])<<24 |
		uint64(s[i-4])<<32 | uint64(s[i-3])<<40 | uint64(s[i-2])<<48 | uint64(s[i-1])<<56
}

// scrubKnown replaces every key of the process-wide list found in s, in one
// pass over s whatever the number of keys.
func scrubKnown(s string) string {
	if len(s) < minSecretLen {
		return s
	}
	secrets.mu.RLock()
	defer secrets.mu.RUnlock()
	if len(secrets.byTail) == 0 {
		return s
	}
	var found []string
	for i := minSecretLen; i <= len(s); i++ {
		t := tailAt(s, i)
		if w, m := tailBit(t); secrets.seen[w]&m == 0 {
			continue
		}
		for _, k := range secrets.byTail[t] {
			if len(k) <= i && s[i-len(k):i] == k && !slices.Contains(found, k) {
				found = append(found, k)
			}
		}
	}
	// Longest first, so that a key containing another goes whole.
	slices.SortFunc(found, func(a, b string) int { return len(b) - len(a) })
	for _, k := range found {
		s = strings.ReplaceAll(s, k, "[REDACTED]")
	}
	return s
}

// keyScope holds the keys of the calls made under one observation.
type keyScope struct {
	parent *keyScope
	mu     sync.Mutex
	keys   []string
}

type keyScopeKey struct{}

func scopeFrom(ctx context.Context) *keyScope {
	if ctx == nil {
		return nil
	}
	sc, _ := ctx.Value(keyScopeKey{}).(*keyScope)
	return sc
}

// withKeyScope returns a context whose calls note their keys in a new
// scope, a child of ctx's, and that scope.
func withKeyScope(ctx context.Context) (context.Context, *keyScope) {
	sc := &keyScope{parent: scopeFrom(ctx)}
	return context.WithValue(ctx, keyScopeKey{}, sc), sc
}

// add notes keys in sc and every enclosing scope (the error may be
// returned through each of them), up to maxScopeKeys each.
func (sc *keyScope) add(keys []string) {
	for s := sc; s != nil; s = s.parent {
		s.mu.Lock()
		for _, k := range keys {
			if len(s.keys) < maxScopeKeys && !slices.Contains(s.keys, k) {
				s.keys = append(s.keys, k)
			}
		}
		s.mu.Unlock()
	}
}

// list returns the keys of sc and of the scopes around it (a call made
// before a nested observation may have its error recorded there).
func (sc *keyScope) list() []string {
	var out []string
	for s := sc; s != nil; s = s.parent {
		s.mu.Lock()
		out = append(out, s.keys...)
		s.mu.Unlock()
	}
	return out
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
	add(req.Header.Get("Api-Key")) // canonical already: Get then allocates nothing
	add(req.Header.Get("X-Api-Key"))
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
