package litefuse

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
)

// Messages that point the right way: the setting the user actually wrote
// (LANGFUSE_HOST when that is the one set), its value as typed with any
// secret removed, and the fix.

// typedURL is a URL setting as the user typed it, minus what may be
// secret: credentials (user:password@), the query and the fragment. It
// never parses, so "localhost:13000" stays "localhost:13000".
func typedURL(raw string) string {
	s, hidden := strings.TrimSpace(raw), false
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		s, hidden = s[:i], true
	}
	start := 0
	if i := strings.Index(s, "://"); i >= 0 {
		start = i + 3
	}
	end := len(s)
	if j := strings.IndexByte(s[start:], '/'); j >= 0 {
		end = start + j
	}
	if at := strings.LastIndexByte(s[start:end], '@'); at >= 0 {
		s, hidden = s[:start]+s[start+at+1:], true
	}
	s = shown(s)
	if hidden {
		s += " (credentials, query and fragment hidden)"
	}
	return s
}

// schemeHint suggests the URL meant by a value without a scheme:
// http:// for this machine (a local Litefuse rarely has TLS), https://
// for any other host; "" when the value is not a bare host.
func schemeHint(raw string) string {
	raw = strings.TrimLeft(strings.TrimSpace(raw), "/")
	if raw == "" || strings.Contains(raw, "://") || strings.ContainsAny(raw, " \t@?#") {
		return ""
	}
	if loopbackHost(raw) {
		return "did you mean http://" + raw + " ?"
	}
	return "did you mean https://" + raw + " ?"
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
}

func targetOf(cfg *config) target {
	if cfg.endpointURL != "" {
		return target{setting: originOr(cfg.from.endpointURL, "WithEndpointURL"), value: typedURL(cfg.endpointURL), gateway: true}
	}
	if cfg.from.baseURL == "" && cfg.baseURL == DefaultBaseURL {
		return target{setting: envBaseURL + " (unset: the default " + DefaultBaseURL + ")"}
	}
	return target{setting: originOr(cfg.from.baseURL, envBaseURL), value: typedURL(cfg.baseURL)}
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
	log.Debug("litefuse: tracing is off: " + disabledBy(cfg) + "; calls pass through and nothing is recorded or sent")
}

// whereLitefuseRuns is the fix for a base URL that is not Litefuse's.
const whereLitefuseRuns = "it must be where Litefuse runs, e.g. " + DefaultBaseURL + " (Litefuse Cloud) or http://localhost:3000 (a local Litefuse)"

// baseURLError is the REST side's refusal of a base URL: the setting, the
// value as typed, why, and the URL probably meant.
func baseURLError(to target, raw string, why error) error {
	msg := fmt.Sprintf("litefuse: %s: %v", to, why)
	if h := schemeHint(raw); h != "" {
		msg += "; " + h
	}
	return errors.New(msg)
}
