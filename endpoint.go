package litefuse

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"

	"golang.org/x/net/http/httpproxy"
)

// endpoint returns the OTLP traces URL and whether it is a Collector
// gateway, or an error naming the bad setting. A URL carrying credentials,
// a query or a fragment is refused; the error never shows them.
func (c *config) endpoint() (string, bool, error) {
	if c.endpointURL != "" {
		u, err := checkURL(c.endpointURL, originOr(c.from.endpointURL, "WithEndpointURL"), true, c.shownSecrets())
		if err != nil {
			return "", true, err
		}
		return u.String(), true, nil
	}
	name := originOr(c.from.baseURL, envBaseURL)
	u, err := checkURL(c.baseURL, name, false, c.shownSecrets())
	if err != nil {
		return "", false, err
	}
	p := strings.TrimRight(u.Path, "/")
	switch {
	case strings.HasSuffix(p, tracesPath):
	case strings.HasSuffix(p, otelPath):
		p += tracesPath[len(otelPath):]
	default:
		p += tracesPath
	}
	u.Path, u.RawPath = p, ""
	return u.String(), false, nil
}

// checkURL parses an absolute http(s) URL without credentials, query or
// fragment. Its errors show the value as typed, minus credentials and
// secrets; gateway says the URL is a Collector's, whose credentials go in
// headers.
func checkURL(raw, name string, gateway bool, secrets []string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		hint := schemeHint(raw, secrets)
		if hint == "" {
			hint = "such as " + DefaultBaseURL + " or http://localhost:3000"
			if gateway {
				hint = "the Collector's full OTLP/HTTP traces URL, such as http://collector:4318/v1/traces"
			}
		}
		return nil, errors.New(hide(fmt.Sprintf("litefuse: %s %q: must be an absolute http(s) URL, %s; tracing is off", name, typedURL(raw, secrets), hint), secrets))
	}
	var what []string
	if u.User != nil {
		what = append(what, "credentials (user:password@)")
	}
	if u.RawQuery != "" || u.ForceQuery {
		what = append(what, "a query (?…)")
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		what = append(what, "a fragment (#…)")
	}
	if len(what) > 0 {
		fix := fmt.Sprintf("give the plain base URL and the keys in %s and %s", envPublicKey, envSecretKey)
		if gateway {
			fix = "give the plain URL and the gateway's credentials as headers in OTEL_EXPORTER_OTLP_HEADERS (or WithHeaders)"
		}
		return nil, errors.New(hide(fmt.Sprintf("litefuse: %s %q has %s: refused, tracing is off; %s",
			name, typedURL(raw, secrets), strings.Join(what, " and "), fix), secrets))
	}
	return u, nil
}

// plainHTTPRemote reports whether the endpoint sends keys unencrypted over
// the network (http to a host that is not this machine).
func plainHTTPRemote(endpoint string) bool {
	u, err := url.Parse(endpoint)
	return err == nil && u.Scheme == "http" && !neverProxied(u.Hostname())
}

// neverProxied reports whether host is "localhost" as written or a
// loopback address: this machine, which Go's proxy rule never proxies.
func neverProxied(host string) bool {
	ip := net.ParseIP(host)
	return host == "localhost" || ip != nil && ip.IsLoopback()
}

// onThisMachine reports whether export requests to endpoint stay on this
// machine: its host is localhost (in any case, a final dot allowed) or a
// loopback address, and no proxy takes it. "localhost" as written and a
// loopback address are never proxied (Go's rule); another spelling
// (LOCALHOST, localhost.) counts only with the library's own transport,
// when the environment's proxy does not take it (review 37: an
// application's client may proxy it). Names under .localhost are not
// counted: Go asks DNS for them, and proxies take them.
func (c *config) onThisMachine(endpoint string) bool {
	u, err := url.Parse(endpoint)
	if err != nil {
		return false
	}
	host := u.Hostname()
	if neverProxied(host) {
		return true
	}
	if strings.TrimSuffix(strings.ToLower(host), ".") != "localhost" {
		return false
	}
	own := c.httpClient == nil || c.ownIdle != nil // the library's own transport (built by now, or to be)
	if !own {
		return false
	}
	if c.proxy != nil {
		if p, err := c.proxy(u); err != nil || p != nil {
			return false
		}
	}
	return true
}

// exportHeaders are the headers of every export request: WithHeaders, the
// OTEL_EXPORTER_OTLP_*HEADERS for a gateway only, then Litefuse's own.
func (c *config) exportHeaders(gateway bool) map[string]string {
	h := make(map[string]string, len(c.headers)+len(c.otlpHeaders)+5)
	if gateway {
		for k, v := range c.otlpHeaders {
			h[k] = v
		}
	}
	for k, v := range c.headers {
		h[k] = v
	}
	if c.publicKey != "" && c.secretKey != "" {
		h["Authorization"] = c.authorization()
		h["x-langfuse-public-key"] = c.publicKey
	}
	h["x-langfuse-ingestion-version"] = "4"
	h["x-langfuse-sdk-name"] = sdkName
	h["x-langfuse-sdk-version"] = Version
	return h
}

func (c *config) authorization() string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(c.publicKey+":"+c.secretKey))
}

// secrets are the strings no error text or log line may carry.
func (c *config) secrets() []string {
	s := []string{c.secretKey}
	if c.publicKey != "" && c.secretKey != "" {
		s = append(s, strings.TrimPrefix(c.authorization(), "Basic "))
	}
	for _, v := range c.headers {
		if len(v) >= 8 {
			s = append(s, v)
		}
	}
	for _, v := range c.otlpHeaders {
		if len(v) >= 8 {
			s = append(s, v)
		}
	}
	return s
}

// shownSecrets are what a message showing a value the user typed must
// hide (see [hide]): the secrets, and a public key that starts with sk-
// (the secret key in the wrong place).
func (c *config) shownSecrets() []string {
	s := c.secrets()
	if strings.HasPrefix(c.publicKey, "sk-") {
		s = append(s, c.publicKey)
	}
	return s
}

// tlsFiles are the OTel TLS settings: extra trusted CAs and a client
// certificate, as PEM file paths, with the variable each came from.
type tlsFiles struct {
	ca, cert, key             string
	caFrom, certFrom, keyFrom string
}

func loadTLSFiles(get func(string) (string, bool), errs []error) (tlsFiles, []error) {
	var t tlsFiles
	pick := func(dst, from *string, names ...string) {
		for _, n := range names { // the traces-specific one wins
			if v, ok := get(n); ok {
				*dst, *from = v, n
			}
		}
	}
	pick(&t.ca, &t.caFrom, "OTEL_EXPORTER_OTLP_CERTIFICATE", "OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE")
	pick(&t.cert, &t.certFrom, "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE", "OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE")
	pick(&t.key, &t.keyFrom, "OTEL_EXPORTER_OTLP_CLIENT_KEY", "OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY")
	if (t.cert == "") != (t.key == "") {
		errs = append(errs, fmt.Errorf("litefuse: a client certificate needs both OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE and OTEL_EXPORTER_OTLP_CLIENT_KEY (or their TRACES_ forms); only one is set, so none is used"))
		t.cert, t.key = "", ""
	}
	return t, errs
}

// config builds the TLS configuration; nil when no variable is set. A file
// that cannot be used yields an error naming its variable, and is skipped.
func (t tlsFiles) config() (*tls.Config, []error) {
	if t.ca == "" && t.cert == "" {
		return nil, nil
	}
	var errs []error
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if t.ca != "" {
		pem, err := os.ReadFile(t.ca)
		pool, perr := x509.SystemCertPool()
		if perr != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("litefuse: %s=%q: %v; using the system's CAs only", t.caFrom, t.ca, err))
		case !pool.AppendCertsFromPEM(pem):
			errs = append(errs, fmt.Errorf("litefuse: %s=%q: no PEM certificate in the file; using the system's CAs only", t.caFrom, t.ca))
		default:
			cfg.RootCAs = pool
		}
	}
	if t.cert != "" {
		pair, err := tls.LoadX509KeyPair(t.cert, t.key)
		if err != nil {
			errs = append(errs, fmt.Errorf("litefuse: %s=%q with %s: %v; no client certificate is sent", t.certFrom, t.cert, t.keyFrom, err))
		} else {
			cfg.Certificates = []tls.Certificate{pair}
		}
	}
	return cfg, errs
}

// proxyFunc picks the proxy for a request URL.
type proxyFunc func(*url.URL) (*url.URL, error)

// proxyFromEnv reads HTTPS_PROXY, HTTP_PROXY and NO_PROXY (either case) as
// http.ProxyFromEnvironment does, but from lookup, when the pipeline is
// built.
func proxyFromEnv(lookup func(string) (string, bool)) proxyFunc {
	get := func(names ...string) string {
		for _, n := range names {
			if v, ok := lookup(n); ok && v != "" {
				return v
			}
		}
		return ""
	}
	pc := httpproxy.Config{
		HTTPProxy:  get("HTTP_PROXY", "http_proxy"),
		HTTPSProxy: get("HTTPS_PROXY", "https_proxy"),
		NoProxy:    get("NO_PROXY", "no_proxy"),
	}
	if pc.HTTPProxy == "" && pc.HTTPSProxy == "" {
		return nil
	}
	return pc.ProxyFunc()
}

// transport is the library's own HTTP transport for export: the standard
// one's settings, the environment's proxy and TLS.
func (c *config) transport() (*http.Transport, []error) {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = nil
	if c.proxy != nil {
		p := c.proxy
		t.Proxy = func(r *http.Request) (*url.URL, error) { return p(r.URL) }
	}
	tc, errs := c.tls.config()
	if tc != nil {
		t.TLSClientConfig = tc
	}
	return t, errs
}

// client returns the HTTP client every request of a pipeline goes
// through, export and REST alike, and the transport to close at Shutdown
// (nil when the application owns it). Without WithHTTPClient it is the
// library's own transport (proxy and TLS from the environment). Either way
// credentials never follow a redirect to another origin.
func (c *config) client() (*http.Client, interface{ CloseIdleConnections() }, []error) {
	if c.ownIdle != nil && c.httpClient != nil { // built already for this pipeline
		return c.httpClient, c.ownIdle, nil
	}
	sensitive := []string{"Authorization"}
	for _, h := range []map[string]string{c.headers, c.otlpHeaders} {
		for k := range h {
			sensitive = append(sensitive, k)
		}
	}
	if c.httpClient != nil {
		hc := *c.httpClient // the application's transport, jar and timeout
		hc.CheckRedirect = sameOrigin(c.httpClient.CheckRedirect, sensitive)
		var errs []error
		for _, v := range []string{c.tls.caFrom, c.tls.certFrom, c.tls.keyFrom} {
			if v != "" {
				errs = append(errs, fmt.Errorf("litefuse: %s is set but not used: WithHTTPClient was given, and its client's own transport decides TLS; configure the CA or client certificate in that client's Transport (TLSClientConfig), or leave WithHTTPClient out", v))
			}
		}
		return &hc, nil, errs
	}
	t, errs := c.transport()
	return &http.Client{Transport: t, CheckRedirect: sameOrigin(nil, sensitive)}, t, errs
}

// sameOrigin is a redirect policy that refuses to carry credentials to
// another origin (scheme, host and port): Go's own rule compares host
// names only, so a redirect to another port of the same host would get
// the keys, and it forwards every other header (WithHeaders, a gateway's
// OTEL_EXPORTER_OTLP_HEADERS) anywhere. A request carrying one of the
// sensitive headers is not followed to another origin. A redirect within
// the origin, or of a request without them (a media upload to its
// presigned URL), is left to next, or to Go's default.
func sameOrigin(next func(*http.Request, []*http.Request) error, sensitive []string) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		first := via[0]
		if origin(first.URL) != origin(req.URL) {
			for _, h := range sensitive {
				if first.Header.Get(h) != "" {
					return &crossOriginError{from: origin(first.URL), to: origin(req.URL)}
				}
			}
		}
		if next != nil {
			return next(req, via)
		}
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}
}

// origin is scheme://host:port, the port always written.
func origin(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = "80"
		if strings.EqualFold(u.Scheme, "https") {
			port = "443"
		}
	}
	return strings.ToLower(u.Scheme) + "://" + net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}

// crossOriginError is a redirect refused because it would carry the keys
// to another origin. It is permanent: retrying cannot help.
type crossOriginError struct{ from, to string }

func (e *crossOriginError) Error() string {
	return fmt.Sprintf("Litefuse at %s redirected to %s, another origin: refused, the keys go only to the configured origin; set %s to the URL Litefuse really answers at", e.from, e.to, envBaseURL)
}

// Permanent tells the retry loops not to retry.
func (e *crossOriginError) Permanent() bool { return true }
