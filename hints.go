package litefuse

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
)

// Messages that point the right way: the setting the user actually wrote
// (LANGFUSE_HOST when that is the one set), its value as typed with any
// secret removed, and the fix.

// typedURL is a URL setting as the user typed it, minus what may be
// secret: credentials (any text up to the last '@', whether or not the
// value has a "://"), the query, the fragment, and every configured
// secret (see [hide]). It never parses, so "localhost:13000" stays
// "localhost:13000".
func typedURL(raw string, secrets []string) string {
	s, hidden := strings.TrimSpace(raw), false
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		s, hidden = s[:i], true
	}
	if at := strings.LastIndexByte(s, '@'); at >= 0 {
		// Keep a scheme-like prefix ("https://", "http//", "//"); whatever
		// follows it up to the last '@' may be user:password, even in a
		// value url.Parse would not read as having an authority.
		p := schemePrefix(s)
		if p > at {
			p = 0
		}
		s, hidden = s[:p]+s[at+1:], true
	}
	if h := hide(s, secrets); h != s {
		s, hidden = h, true
	}
	s = shown(s)
	if hidden {
		s += " (credentials, query and fragment hidden)"
	}
	return s
}

// schemePrefix is the length of value's leading scheme and slashes
// ("https://", "http//", "https:/", "//"), or 0.
func schemePrefix(s string) int {
	i := 0
	for i < len(s) && (s[i] >= 'a' && s[i] <= 'z' || s[i] >= 'A' && s[i] <= 'Z' || i > 0 && (s[i] >= '0' && s[i] <= '9' || s[i] == '+' || s[i] == '-' || s[i] == '.')) {
		i++
	}
	j := i
	if j > 0 && j < len(s) && s[j] == ':' {
		j++
	}
	k := j
	for k < len(s) && s[k] == '/' {
		k++
	}
	if k == j { // no slash after the letters: not a scheme ("user:pw@…")
		if i == 0 {
			return 0
		}
		k = 0
		for k < len(s) && s[k] == '/' {
			k++
		}
		return k
	}
	return k
}

// minShownSecret is the shortest configured secret hidden from shown
// values: a shorter one would blank out ordinary text.
const minShownSecret = 6

// hide is s with every configured secret (the secret key, a public key
// that is really a secret one, the Authorization value, header values)
// replaced by [REDACTED]: every message that shows a value the user typed
// goes through it.
func hide(s string, secrets []string) string {
	for _, k := range secrets {
		if len(k) >= minShownSecret && strings.Contains(s, k) {
			s = strings.ReplaceAll(s, k, "[REDACTED]")
		}
	}
	return s
}

// maxHintLen bounds the value a scheme suggestion is made for: a real
// base URL is far shorter.
const maxHintLen = 200

// schemeHint suggests the URL meant by a value without a valid scheme,
// only when the fix is plausible: a mistyped "http//" or "https:" becomes
// the right scheme; a bare host[:port][/path] gets http:// for this
// machine (a local Litefuse rarely has TLS) and https:// for any other.
// "" when no fix is plausible, the value is long, or it holds a secret.
// The suggestion is %q-quoted, as the value is.
func schemeHint(raw string, secrets []string) string {
	raw = strings.TrimSpace(raw)
	if raw == "" || len(raw) > maxHintLen || strings.Contains(raw, "://") || strings.ContainsAny(raw, " \t@?#") || hide(raw, secrets) != raw {
		return ""
	}
	lower := strings.ToLower(raw)
	for _, sch := range []string{"https", "http"} {
		if !strings.HasPrefix(lower, sch) {
			continue
		}
		rest := raw[len(sch):]
		if rest == "" || rest[0] != ':' && rest[0] != '/' {
			break // a host that starts with "http", e.g. "httpbin.org"
		}
		rest = strings.TrimLeft(strings.TrimPrefix(rest, ":"), "/")
		if !plausibleHost(rest) {
			return ""
		}
		return fmt.Sprintf("did you mean %q ?", sch+"://"+rest)
	}
	raw = strings.TrimLeft(raw, "/")
	if !plausibleHost(raw) {
		return ""
	}
	if loopbackHost(raw) {
		return fmt.Sprintf("did you mean %q ?", "http://"+raw)
	}
	return fmt.Sprintf("did you mean %q ?", "https://"+raw)
}

// plausibleHost reports whether s is host[:port][/path] with a host name
// or IP address (not empty, no stray characters) and a numeric port.
func plausibleHost(s string) bool {
	hostport := s
	if i := strings.IndexByte(s, '/'); i >= 0 {
		hostport = s[:i]
	}
	host, port := hostport, ""
	if h, p, err := net.SplitHostPort(hostport); err == nil {
		if p == "" {
			return false // "host:" with no port
		}
		host, port = h, p
	} else if strings.Contains(strings.Trim(hostport, "[]"), ":") && !strings.HasPrefix(hostport, "[") {
		return false // "host:" or "a:b:c" that is not a bracketed IPv6 address
	}
	if port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return false
		}
	}
	host = strings.Trim(host, "[]")
	if host == "" {
		return false
	}
	if net.ParseIP(host) != nil {
		return true
	}
	for i := 0; i < len(host); i++ {
		c := host[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_') {
			return false
		}
	}
	return true
}

// loopbackHost reports whether a bare "host[:port][/path]" names this
// machine.
func loopbackHost(hostport string) bool {
	if i := strings.IndexByte(hostport, '/'); i >= 0 {
		hostport = hostport[:i]
	}
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// target is where a pipeline sends, as messages name it: the setting
// that chose it and its value as typed.
type target struct {
	setting string // LANGFUSE_BASE_URL, LANGFUSE_HOST, WithBaseURL, …
	value   string // typedURL of it; "" for the default
	gateway bool   // a Collector gateway, not Litefuse itself
	keys    keyNames
	swapped bool     // the keys' prefixes say they are in each other's place
	secrets []string // what no message may show
	noGzip  bool     // export requests go without gzip
	gzipBy  string   // the setting that chose gzip or not (gzipChoice)
}

// targetOf is where spans go: the Collector gateway when one is set, else
// Litefuse's base URL.
func targetOf(cfg *config) target {
	t := baseTargetOf(cfg)
	if cfg.endpointURL != "" {
		t.setting, t.value, t.gateway = originOr(cfg.from.endpointURL, "WithEndpointURL"), typedURL(cfg.endpointURL, t.secrets), true
	}
	t.noGzip, t.gzipBy = cfg.gzipChoice()
	return t
}

// baseTargetOf is Litefuse's base URL, where the REST API (prompts,
// scores, AuthCheck, TraceURL) goes even when spans go to a gateway.
func baseTargetOf(cfg *config) target {
	t := target{keys: keyNamesOf(cfg), swapped: keysSwapped(cfg), secrets: cfg.shownSecrets()}
	if cfg.from.baseURL == "" && cfg.baseURL == DefaultBaseURL {
		t.setting = envBaseURL + " (unset: the default " + DefaultBaseURL + ")"
		return t
	}
	t.setting, t.value = originOr(cfg.from.baseURL, envBaseURL), typedURL(cfg.baseURL, t.secrets)
	return t
}

// keyNames name the settings the keys came from.
type keyNames struct{ public, secret string }

func keyNamesOf(cfg *config) keyNames {
	if cfg.from.keys != "" {
		return keyNames{cfg.from.keys + "'s publicKey", cfg.from.keys + "'s secretKey"}
	}
	return keyNames{envPublicKey, envSecretKey}
}

// keysSwapped reports keys whose prefixes say they are in each other's
// place (Litefuse's public keys start with pk-lf-, secret keys with sk-lf-).
func keysSwapped(cfg *config) bool {
	return strings.HasPrefix(cfg.publicKey, "sk-") && strings.HasPrefix(cfg.secretKey, "pk-")
}

// rejectedKeysHint is the fix for keys Litefuse answered 401 to.
func (t target) rejectedKeysHint() string {
	if t.swapped {
		return fmt.Sprintf("the keys look swapped: %s starts with sk- and %s with pk-; exchange them", t.keys.public, t.keys.secret)
	}
	return fmt.Sprintf("check %s (pk-lf-…) and %s (sk-lf-…): they must be a pair from one Litefuse project, and %s must be the host (region) that project lives on", t.keys.public, t.keys.secret, t)
}

// String is "LANGFUSE_HOST=\"http://…\"", or the setting alone.
func (t target) String() string {
	if t.value == "" {
		return t.setting
	}
	if strings.HasPrefix(t.setting, "With") {
		return fmt.Sprintf("%s(%q)", t.setting, t.value)
	}
	return fmt.Sprintf("%s=%q", t.setting, t.value)
}

// exportError is an export's error with where the spans were going, so
// explainExportError names the setting the user wrote. Its text is the
// error's own.
type exportError struct {
	err error
	to  target
}

func (e *exportError) Error() string { return e.err.Error() }
func (e *exportError) Unwrap() error { return e.err }

// tracingOffReason is why the default pipeline records nothing, or "" when
// it records.
func tracingOffReason() string {
	inst := defaultInstance()
	switch {
	case inst.tp != nil || inst.cfg.tracerProvider != nil:
		return ""
	case inst.offBecause != nil:
		return strings.TrimPrefix(inst.offBecause.Error(), "litefuse: ")
	}
	return disabledBy(&inst.cfg) + " turned tracing off"
}

// disabledBy names the setting that turned tracing off.
func disabledBy(cfg *config) string {
	if v, ok := os.LookupEnv(envEnabled); ok {
		if b, ok := parseBool(v); ok && !b {
			return envEnabled + "=" + strings.TrimSpace(v)
		}
	}
	return "WithEnabled(false)"
}

// logTracingOff is the one debug line, with LANGFUSE_DEBUG, saying that a
// setting turned tracing off and which.
func logTracingOff(cfg *config) {
	if !cfg.debug {
		return
	}
	log := cfg.logger
	if log == nil {
		log = slog.New(debugHandler{}) // debug asked for explicitly: shown whatever the level
	}
	log = laterLog(log) // defaultMu is held: emitted by the caller
	log.Debug("litefuse: tracing is off: " + disabledBy(cfg) + "; calls pass through and nothing is recorded or sent")
}

// whereLitefuseRuns is the fix for a base URL that is not Litefuse's.
const whereLitefuseRuns = "it must be where Litefuse runs, e.g. " + DefaultBaseURL + " (Litefuse Cloud) or http://localhost:3000 (a local Litefuse)"

// baseURLError is the REST side's refusal of a base URL: the setting, the
// value as typed, why, and the URL probably meant.
func baseURLError(to target, raw string, why error) error {
	msg := fmt.Sprintf("litefuse: %s: %v", to, why)
	if h := schemeHint(raw, to.secrets); h != "" {
		msg += "; " + h
	}
	return errors.New(hide(msg, to.secrets))
}
