package litefuse

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/litefuse/litefuse-go/internal/record"
)

// Keys a server may echo in an error body, which may reach an Observe span
// through the error the client returns, are remembered in two places:
//
//   - the observations around the call (its ctx's keyScope, and each
//     enclosing one): every value such an observation records is scrubbed
//     of exactly the keys its calls carried, however many tenants' keys the
//     process uses;
//   - a process-wide list, bounded in count and bytes, for calls made
//     outside the observation's context: what an observation records
//     (input, output, metadata, status message) is scrubbed of every key
//     in it too.
//
// The generation span of a call is scrubbed of the call's own keys, of
// its observations' keys, and of the process-wide list when that holds
// other keys (another provider's error fed to this call as a tool result).
// Well-known placeholders ("ollama", "EMPTY", …) are not remembered.

// Bounds of the process-wide list and of one observation's keys.
const (
	maxSecrets      = 4096    // distinct keys remembered process-wide
	maxSecretsBytes = 1 << 20 // their total length
	maxSecretLen    = 8 << 10 // a longer value is remembered by scopes only
	maxScopeKeys    = 1024    // distinct keys one observation remembers
	maxScopeBytes   = 64 << 10
	minSecretLen    = 8 // shorter values are not taken for keys
	gramsPerKey     = 8 // 8-byte windows of a key indexed, at offsets 0..7: the scan's widest stride
)

// secrets is the process-wide list: a CLOCK (second chance) cache, so that
// a key in use stays while the hot path takes only the read lock, with an
// index by 8-byte windows (grams) for one-pass scrubbing.
//
// Each key is indexed by its grams at offsets 0..n-1, n = min(gramsPerKey,
// len-7); stride is the smallest n over the keys. A key of length L
// found in a text at p covers the windows ending at p+8 … p+L, which hold
// one ending at a multiple of stride past 8 (stride <= L-7), at key
// offset < stride: the scan looks only at every stride-th window (8 times
// fewer with keys of 15 bytes or more).
var secrets struct {
	mu     sync.RWMutex
	at     map[string]*secretEntry
	ring   []*secretEntry // insertion order from hand; eviction looks at hand
	hand   int
	bytes  int
	byGram map[uint64][]gramRef
	lens   map[int]int // keys per length: the shortest sets stride
	stride int
	// seen has the bit gramBit(g) set for every gram g in byGram (and
	// maybe for evicted ones): most windows of a text are passed over
	// without a map lookup.
	seen [1 << 20 / 64]uint64
}

type gramRef struct {
	key string
	off int // where the gram starts in key
}

func gramBit(g uint64) (word int, mask uint64) {
	h := (g * 0x9E3779B97F4A7C15) >> 44
	return int(h >> 6), 1 << (h & 63)
}

// gramsOf is the number of grams of k indexed.
func gramsOf(k string) int { return min(gramsPerKey, len(k)-minSecretLen+1) }

type secretEntry struct {
	key  string
	used atomic.Bool // seen again since the hand last passed
	// pos is where each of the key's grams sits in its byGram list, so
	// that eviction takes it out in O(1): keys sharing a prefix (every
	// "sk-ant-api03-…" key) share grams, whose lists hold every such key.
	pos [gramsPerKey]int32
}

// rememberSecrets notes the keys a call carries: in every observation
// around ctx, and in the process-wide list. It reports whether the list
// holds keys other than these: an input (a tool result quoting another
// provider's error) may then carry one, and the call's generation is
// scrubbed of the whole list.
func rememberSecrets(ctx context.Context, keys []string) (others bool) {
	if len(keys) == 0 {
		secrets.mu.RLock()
		others = len(secrets.at) > 0
		secrets.mu.RUnlock()
		return others
	}
	if sc := scopeFrom(ctx); sc != nil {
		sc.add(keys)
	}
	secrets.mu.RLock()
	missing, hits := false, 0
	for _, k := range keys {
		if e := secrets.at[k]; e != nil {
			hits++
			if !e.used.Load() {
				e.used.Store(true)
			}
		} else if len(k) <= maxSecretLen {
			missing = true
		}
	}
	others = len(secrets.at) > hits
	secrets.mu.RUnlock()
	if !missing {
		return others
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
			secrets.byGram = make(map[uint64][]gramRef)
			secrets.lens = make(map[int]int)
		}
		e := &secretEntry{key: k}
		secrets.at[k] = e
		// New keys go just behind the hand: the last to be looked at.
		secrets.ring = slices.Insert(secrets.ring, secrets.hand, e)
		secrets.hand = (secrets.hand + 1) % len(secrets.ring)
		secrets.bytes += len(k)
		for off := range gramsOf(k) {
			g := tailAt(k, off+8)
			e.pos[off] = int32(len(secrets.byGram[g]))
			secrets.byGram[g] = append(secrets.byGram[g], gramRef{k, off})
			w, m := gramBit(g)
			secrets.seen[w] |= m
		}
		secrets.lens[len(k)]++
		if n := gramsOf(k); secrets.stride == 0 || n < secrets.stride {
			secrets.stride = n
		}
	}
	hits = 0
	for _, k := range keys {
		if secrets.at[k] != nil {
			hits++
		}
	}
	return len(secrets.at) > hits
}

// placeholderKeys are well-known stand-ins for a key (local servers take
// any): remembered, one would redact ordinary text everywhere.
var placeholderKeys = []string{"lm-studio", "ollama", "empty", "sk-no-key-required", "not-needed", "none", "dummy",
	"sk-dummy", "no-key", "nokey", "not-used", "unused", "placeholder", "api-key", "your-api-key",
	"sk-xxx", "sk-1234", "changeme", "test", "llamacpp", "llama.cpp", "vllm", "local", "anything"}

// maxPlaceholderLen is the longest placeholder's length: a real key is
// longer, and passes with one comparison.
var maxPlaceholderLen = func() (n int) {
	for _, p := range placeholderKeys {
		n = max(n, len(p))
	}
	return n
}()

// placeholderKey reports whether k is one of placeholderKeys, in any case.
// It runs on every call, so it lower-cases nothing.
func placeholderKey(k string) bool {
	if len(k) > maxPlaceholderLen {
		return false
	}
	for _, p := range placeholderKeys {
		if strings.EqualFold(k, p) {
			return true
		}
	}
	return false
}

// scrubText removes from s the keys of the calls made under ctx's
// observations and every key of the process-wide list: for what the
// library sends that no call's values render (scores, span names).
func scrubText(ctx context.Context, s string) string {
	if len(s) < minSecretLen {
		return s
	}
	v := record.Values{Redact: scopeFrom(ctx).list(), Scrub: scrubKnown}
	return v.Scrubbed(s)
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
		for off := range gramsOf(e.key) {
			g := tailAt(e.key, off+8)
			refs := secrets.byGram[g]
			i, last := int(e.pos[off]), len(refs)-1
			if last == 0 {
				delete(secrets.byGram, g)
				continue
			}
			// Swap-remove: the last ref takes this one's place.
			moved := refs[last]
			refs[i], refs[last] = moved, gramRef{}
			secrets.byGram[g] = refs[:last]
			if i != last {
				owner := e // a key may hold one gram at two offsets
				if moved.key != e.key {
					owner = secrets.at[moved.key]
				}
				if owner != nil {
					owner.pos[moved.off] = int32(i)
				}
			}
		}
		if secrets.lens[len(e.key)]--; secrets.lens[len(e.key)] == 0 {
			delete(secrets.lens, len(e.key))
			secrets.stride = gramsPerKey
			for l := range secrets.lens {
				secrets.stride = min(secrets.stride, min(gramsPerKey, l-minSecretLen+1))
			}
		}
		return
	}
}

// tailAt is the 8 bytes of s ending at i, little-endian.
func tailAt(s string, i int) uint64 {
	t := s[i-8:]
	_ = t[7] // one bounds check; the loads combine into one
	return uint64(t[0]) | uint64(t[1])<<8 | uint64(t[2])<<16 | uint64(t[3])<<24 |
		uint64(t[4])<<32 | uint64(t[5])<<40 | uint64(t[6])<<48 | uint64(t[7])<<56
}

// scrubKnown replaces every key of the process-wide list found in s, in one
// pass over s whatever the number of keys.
func scrubKnown(s string) string {
	if len(s) < minSecretLen {
		return s
	}
	secrets.mu.RLock()
	defer secrets.mu.RUnlock()
	if len(secrets.byGram) == 0 {
		return s
	}
	var found []string
	for i := minSecretLen; i <= len(s); i += secrets.stride {
		g := tailAt(s, i)
		if w, m := gramBit(g); secrets.seen[w]&m == 0 {
			continue
		}
		for _, r := range secrets.byGram[g] {
			if p := i - 8 - r.off; p >= 0 && p+len(r.key) <= len(s) && s[p:p+len(r.key)] == r.key && !slices.Contains(found, r.key) {
				found = append(found, r.key)
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
	bytes  int // their total length
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
// returned through each of them), up to maxScopeKeys and maxScopeBytes
// each: past that, its keys are scrubbed while the process-wide list
// holds them (4096 keys).
func (sc *keyScope) add(keys []string) {
	for s := sc; s != nil; s = s.parent {
		s.mu.Lock()
		for _, k := range keys {
			if len(s.keys) < maxScopeKeys && s.bytes+len(k) <= maxScopeBytes && !slices.Contains(s.keys, k) {
				s.keys = append(s.keys, k)
				s.bytes += len(k)
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

// requestSecrets are the credentials a request carries: the Authorization
// value's credential (after any scheme, or the whole value), the api-key,
// x-api-key, x-goog-api-key and ocp-apim-subscription-key headers (Azure,
// Anthropic-style and Google gateways, API Management), and query
// parameters named like keys.
//
// A client sends the same key call after call: a list equal to the last
// one returned is that list again (nobody writes to it), so the common
// call allocates nothing for it.
func requestSecrets(req *http.Request) []string {
	var buf [2]string // on the stack: the list returned is a copy, or the last one
	out := buf[:0]
	add := func(s string) {
		if s = strings.TrimSpace(s); len(s) >= minSecretLen && !placeholderKey(s) && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	// Every value of these headers, however the name is spelled: a client
	// that puts "api-key" into the map by hand sends it as it is, and a
	// server may echo it (review 31). One pass over the few headers.
	for name, vs := range req.Header {
		if headerIs(name, "Authorization") {
			for _, v := range vs {
				add(credential(v))
			}
		} else if keyHeader(name) {
			for _, v := range vs {
				add(v)
			}
		}
	}
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
	if len(out) == 0 {
		return nil
	}
	if last := lastSecrets.Load(); last != nil && slices.Equal(*last, out) {
		return *last
	}
	keys := slices.Clone(out)
	lastSecrets.Store(&keys)
	return keys
}

// lastSecrets is the list requestSecrets returned last.
var lastSecrets atomic.Pointer[[]string]

// keyHeaders are the headers whose whole value is a key.
var keyHeaders = []string{"Api-Key", "X-Api-Key", "X-Goog-Api-Key", "Ocp-Apim-Subscription-Key"}

// keyHeader reports whether name is one of keyHeaders, in any case.
func keyHeader(name string) bool {
	for _, h := range keyHeaders {
		if headerIs(name, h) {
			return true
		}
	}
	return false
}

// headerIs reports whether name is h in any case. It runs for every header
// of every call: the length is compared first, as EqualFold does not.
func headerIs(name, h string) bool { return len(name) == len(h) && strings.EqualFold(name, h) }

// credential is the secret an Authorization value carries: what follows
// its scheme ("Bearer", "Token", "Basic", any), or the whole value when it
// has none (a raw key, as some gateways take it).
func credential(h string) string {
	h = strings.TrimSpace(h)
	if i := strings.IndexAny(h, " \t"); i > 0 {
		return strings.TrimSpace(h[i+1:])
	}
	return h
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
