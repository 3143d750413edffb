// Package lfserver is the local Litefuse: one http.Handler that serves what
// Litefuse serves to the library (OTLP/HTTP traces, protobuf or JSON, gzip
// or not; prompts, scores, media, projects, health) and Langfuse's read API
// (GET /api/public/v2/observations), over an internal/store. cmd/litefuse,
// litefusetest and the library's test receiver (internal/otlpreceiver) all
// use it: there is one receiver.
package lfserver

import (
	"bytes"
	"compress/gzip"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/litefuse/litefuse-go/internal/store"
)

// Paths Litefuse serves.
const (
	TracesPath       = "/api/public/otel/v1/traces"
	PromptsPath      = "/api/public/v2/prompts/"
	ScoresPath       = "/api/public/scores"
	MediaPath        = "/api/public/media"
	ProjectsPath     = "/api/public/projects"
	HealthPath       = "/api/public/health"
	ObservationsPath = "/api/public/v2/observations"
	UploadPrefix     = "/upload/" // the local stand-in for presigned S3 URLs
)

// ProjectID is the id of the local Litefuse's one project.
const ProjectID = "proj-local"

// Server is the local Litefuse's handler. Set the fields before serving.
type Server struct {
	Store *store.Store

	// PublicKey and SecretKey, when set, are the only Basic credentials
	// accepted (401 otherwise); when empty any pair is accepted.
	PublicKey, SecretKey string

	// UI serves "/" and every path not under /api/ (nil: a plain page saying
	// the UI is not built in).
	UI http.Handler

	// MaxBodyBytes bounds one OTLP body (DefaultMaxBodyBytes when 0).
	MaxBodyBytes int64

	// DecodeBudgetBytes bounds the request bytes decoded at once, an
	// OTLP/JSON byte counting 4 (default: twice MaxBodyBytes, 64 MiB). A
	// request over the budget waits up to DecodeWait (DefaultDecodeWait
	// when 0), then is answered 429 with Retry-After.
	DecodeBudgetBytes int64
	DecodeWait        time.Duration

	// BodyTimeout bounds reading one request body (DefaultBodyTimeout
	// when 0): a client sending it slowly gets no longer.
	BodyTimeout time.Duration

	// AllowedHosts are Host values accepted besides the address the request
	// came in on and its localhost forms (DNS rebinding defence).
	AllowedHosts []string

	// AnyHost turns the Host check off (a test receiver behind a test's
	// reverse proxy).
	AnyHost bool

	keysMu   sync.RWMutex // guards PublicKey and SecretKey once serving (SetKeys)
	platform platform

	budgetOnce sync.Once
	bud        *budget
	signOnce   sync.Once
	signKey    []byte // signs the local upload URLs
}

// DefaultBodyTimeout bounds reading one request body.
const DefaultBodyTimeout = time.Minute

// SetKeys changes the accepted key pair while serving ("" and "": any).
func (s *Server) SetKeys(publicKey, secretKey string) {
	s.keysMu.Lock()
	defer s.keysMu.Unlock()
	s.PublicKey, s.SecretKey = publicKey, secretKey
}

// New returns a server over st (a new in-memory store when nil).
func New(st *store.Store) *Server {
	if st == nil {
		st = store.New(0)
	}
	return &Server{Store: st}
}

// ServeHTTP routes a request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.ContentLength != 0 {
		s.bodyDeadline(w) // a body sent slowly does not hold the connection
	}
	if !s.hostAllowed(r) {
		http.Error(w, "litefuse: Host "+r.Host+" refused: this server answers only to the address it listens on (DNS rebinding protection)", http.StatusMisdirectedRequest)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead && r.Method != http.MethodOptions && crossOrigin(r) {
		reply(w, http.StatusForbidden, map[string]any{"message": "litefuse: a write from a web page of another origin (Origin " + strconv.Quote(r.Header.Get("Origin")) + ", Sec-Fetch-Site " + strconv.Quote(r.Header.Get("Sec-Fetch-Site")) + ") is refused: send traces, scores and media from a program, not a browser page"})
		return
	}
	path := r.URL.EscapedPath()
	switch {
	case path == TracesPath:
		s.serveTraces(w, r)
	case strings.HasPrefix(path, UploadPrefix):
		s.serveUpload(w, r, strings.TrimPrefix(path, UploadPrefix))
	case path == HealthPath:
		reply(w, http.StatusOK, map[string]any{"status": "OK", "version": "litefuse-go-local"})
	case strings.HasPrefix(path, "/api/"):
		s.serveAPI(w, r, path)
	case s.UI != nil:
		// With keys set, the UI shows traces to those who hold them only
		// (the browser asks once, then sends them with every request).
		if s.keysSet() && !s.authorized(w, r, true) {
			return
		}
		s.UI.ServeHTTP(w, r)
	default:
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		if path != "/" {
			w.WriteHeader(http.StatusNotFound)
		}
		fmt.Fprintf(w, "Local Litefuse: this build has no web UI built in.\n\nIt takes traces at %s and answers the read API at %s.\n", TracesPath, ObservationsPath)
	}
}

// hostAllowed accepts a Host naming the address the request came in on,
// or its loopback forms (localhost, 127.0.0.1, [::1]) with the same port,
// or one of AllowedHosts. Anything else is a name pointed at this server
// by someone else's DNS.
func (s *Server) hostAllowed(r *http.Request) bool {
	if s.AnyHost {
		return true
	}
	host := r.Host
	for _, h := range s.AllowedHosts {
		if strings.EqualFold(h, host) {
			return true
		}
	}
	local, _ := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	if local == nil {
		return true // not served by net/http (a handler test)
	}
	lhost, lport, err := net.SplitHostPort(local.String())
	if err != nil {
		return false
	}
	hhost, hport, err := net.SplitHostPort(host)
	if err != nil {
		hhost, hport = host, "80"
	}
	if hport != lport {
		return false
	}
	hhost = strings.Trim(hhost, "[]")
	if strings.EqualFold(hhost, "localhost") || hhost == lhost {
		return true
	}
	ip := net.ParseIP(hhost)
	return ip != nil && ip.IsLoopback() && net.ParseIP(lhost).IsLoopback()
}

// crossOrigin reports whether a browser sent r from a page of another
// origin: without keys, any page could otherwise write traces here (a
// no-cors fetch needs no preflight). Programs send neither header.
func crossOrigin(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
	default: // cross-site, same-site (another port of localhost)
		return true
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return false
	}
	u, err := url.Parse(origin)
	return err != nil || (u.Scheme != "http" && u.Scheme != "https") || !strings.EqualFold(u.Host, r.Host)
}

// keysSet reports whether a key pair is required.
func (s *Server) keysSet() bool {
	s.keysMu.RLock()
	defer s.keysMu.RUnlock()
	return s.PublicKey != "" || s.SecretKey != ""
}

// bodyDeadline bounds reading the rest of r's body (slow-loris clients).
func (s *Server) bodyDeadline(w http.ResponseWriter) {
	d := s.BodyTimeout
	if d <= 0 {
		d = DefaultBodyTimeout
	}
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(d)) // not every writer supports it (handler tests)
}

// authorized checks Basic credentials. Without configured keys any pair is
// accepted; requireAuth also demands that some pair is sent.
func (s *Server) authorized(w http.ResponseWriter, r *http.Request, requireAuth bool) bool {
	user, pass, ok := r.BasicAuth()
	s.keysMu.RLock()
	pk, sk := s.PublicKey, s.SecretKey
	s.keysMu.RUnlock()
	switch {
	case pk == "" && sk == "" && (ok || !requireAuth):
		return true
	case ok && subtle.ConstantTimeCompare([]byte(user), []byte(pk))&subtle.ConstantTimeCompare([]byte(pass), []byte(sk)) == 1:
		return true
	}
	w.Header().Set("WWW-Authenticate", `Basic realm="Litefuse local", charset="UTF-8"`)
	reply(w, http.StatusUnauthorized, map[string]any{"message": "Invalid credentials. Confirm that you've configured the correct host and the public and secret keys this server was started with."})
	return false
}

func reply(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func (s *Server) serveTraces(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		reply(w, http.StatusMethodNotAllowed, map[string]any{"message": "POST OTLP traces here"})
		return
	}
	if !s.authorized(w, r, false) {
		return
	}
	// The type first: nothing is read from a body that is refused anyway.
	ct := r.Header.Get("Content-Type")
	if err := checkTraceType(ct); err != nil {
		replyError(w, err)
		return
	}
	enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding")))
	if enc != "" && enc != "identity" && enc != "gzip" {
		replyError(w, &BodyError{http.StatusUnsupportedMediaType, fmt.Sprintf("Content-Encoding %q not supported: send gzip or none", enc)})
		return
	}
	// Every byte held for this request (the body, its inflated form, the
	// decoding) is taken from the budget before it is read.
	limit := s.maxBody()
	res := s.reserve(r)
	defer res.release()
	raw, err := s.readBody(r, res, limit)
	if err != nil {
		replyBodyError(w, err)
		return
	}
	body := raw
	if enc == "gzip" {
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			replyError(w, &BodyError{http.StatusBadRequest, "Content-Encoding is gzip but the body is not gzip: " + err.Error()})
			return
		}
		body, err = readReserved(zr, res, int64(cap(raw)), -1, limit, "decompressed body")
		if err != nil {
			if be, ok := err.(*BodyError); ok && be.Status == http.StatusBadRequest {
				err = &BodyError{http.StatusBadRequest, "the gzip body is damaged or truncated: " + err.Error()}
			}
			replyBodyError(w, err)
			return
		}
		raw = nil
		res.shrinkTo(int64(cap(body)))
	}
	// Decoding takes several times the body: the decoded message, its
	// mapping and (for JSON) the trees.
	weight := int64(cap(body))
	if isJSON(ct) {
		weight *= jsonWeight
	}
	if !res.growTo(weight) {
		replyBodyError(w, res.busyError())
		return
	}
	msg, err := decodeBody(body, ct)
	if err == nil {
		err = Validate(msg)
	}
	if err != nil {
		replyError(w, err)
		return
	}
	s.Store.PutObservations(Observations(msg))
	if strings.Contains(r.Header.Get("Content-Type"), "json") {
		reply(w, http.StatusOK, map[string]any{})
		return
	}
	b, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(b)
}

func replyError(w http.ResponseWriter, err error) {
	code := http.StatusBadRequest
	if be, ok := err.(*BodyError); ok {
		code = be.Status
	}
	reply(w, code, map[string]any{"message": "litefuse: " + err.Error() + "; nothing from this request was stored"})
}

// Validate checks every span has a 16-byte trace id and an 8-byte span id
// (and a parent id of 0 or 8 bytes), before anything is stored.
func Validate(msg *coltracepb.ExportTraceServiceRequest) error {
	for _, rs := range msg.GetResourceSpans() {
		for _, ss := range rs.GetScopeSpans() {
			for i, sp := range ss.GetSpans() {
				if len(sp.GetTraceId()) != 16 || len(sp.GetSpanId()) != 8 || (len(sp.GetParentSpanId()) != 0 && len(sp.GetParentSpanId()) != 8) {
					return &BodyError{http.StatusBadRequest, fmt.Sprintf("span %d (%q) needs a 16-byte traceId and an 8-byte spanId", i, sp.GetName())}
				}
			}
		}
	}
	return nil
}

// platform is the REST side's state that is not in the store: prompts
// and announced media.
type platform struct {
	mu        sync.Mutex
	prompts   map[string][]Prompt
	mediaMeta map[string]mediaMeta // announced media, at most maxMediaMeta
	mediaQ    []string             // mediaMeta's ids, oldest first
}

// maxMediaMeta bounds the media announcements kept (POST
// /api/public/media): the oldest are forgotten first. The bytes are the
// store's (GET /api/public/media/{id} answers from them).
const maxMediaMeta = 10000

type mediaMeta struct {
	contentType string
	length      int64
	uploadedAt  string // from PATCH; the rest of its body is not kept
}

func (p *platform) init() {
	if p.prompts == nil {
		p.prompts = map[string][]Prompt{}
		p.mediaMeta = map[string]mediaMeta{}
	}
}

// announce records an announced media payload, forgetting the oldest
// announcement past maxMediaMeta.
func (p *platform) announce(id string, m mediaMeta) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.init()
	if _, ok := p.mediaMeta[id]; !ok {
		p.mediaQ = append(p.mediaQ, id)
	}
	p.mediaMeta[id] = m
	for len(p.mediaQ) > maxMediaMeta {
		delete(p.mediaMeta, p.mediaQ[0])
		p.mediaQ = p.mediaQ[1:]
	}
}
