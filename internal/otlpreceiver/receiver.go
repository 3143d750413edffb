// Package otlpreceiver is the library's test receiver: a thin,
// fault-injecting wrapper over the local Litefuse (internal/lfserver). It
// listens on 127.0.0.1, decodes export requests with the server's decoder,
// stores them through the server's mapping (Observations), keeps the raw
// spans and requests for assertions, and can answer with injected statuses,
// hangs and faults. The REST endpoints are the server's, recorded.
package otlpreceiver

import (
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"

	"github.com/litefuse/litefuse-go/internal/lfserver"
	"github.com/litefuse/litefuse-go/internal/store"
)

// TracesPath is where Litefuse takes OTLP traces.
const TracesPath = lfserver.TracesPath

// maxBody bounds what the receiver reads: far above any export, so size
// faults stay the tests' to inject (TooLarge).
const maxBody = 1 << 30

// Span is one decoded span, flattened for assertions.
type Span struct {
	Name                      string
	TraceID, SpanID, ParentID string
	Kind                      string
	Start, End                time.Time
	Attrs                     map[string]any // string, int64, float64, bool, []string, []any
	Resource                  map[string]any
	Scope, ScopeVersion       string
	StatusCode                string // "Unset", "Ok", "Error"
	StatusMessage             string
}

// Str returns a string attribute, or "".
func (s Span) Str(key string) string {
	v, _ := s.Attrs[key].(string)
	return v
}

// Request is one export request as received.
type Request struct {
	Header  http.Header
	RawSize int    // bytes on the wire (compressed when gzip)
	Decoded []byte // the protobuf message, decompressed
	Body    *coltracepb.ExportTraceServiceRequest
}

// Receiver is a local OTLP/HTTP traces endpoint.
type Receiver struct {
	srv   *httptest.Server
	conns atomic.Int64     // open client connections
	lf    *lfserver.Server // the one decoder, mapping, store and REST side

	mu       sync.Mutex
	requests []Request
	spans    []Span
	status   int
	failNext []failure
	hang     chan struct{}
	notify   chan struct{}
	header   http.Header
	platform platformState // prompts, scores, projects, media: platform.go
}

func newReceiver() *Receiver {
	lf := lfserver.New(nil)
	lf.AnyHost = true // tests put reverse proxies in front of it
	return &Receiver{status: http.StatusOK, notify: make(chan struct{}, 1), lf: lf}
}

// New starts a receiver on 127.0.0.1 answering 200.
func New() *Receiver {
	r := newReceiver()
	r.srv = startServer(r, http.HandlerFunc(r.serve))
	return r
}

// startServer starts h on 127.0.0.1, counting r's open connections.
func startServer(r *Receiver, h http.Handler) *httptest.Server {
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		switch st {
		case http.StateNew:
			r.conns.Add(1)
		case http.StateClosed, http.StateHijacked:
			r.conns.Add(-1)
		}
	}
	srv.Start()
	return srv
}

// Conns is the number of client connections open to the receiver now
// (idle ones included).
func (r *Receiver) Conns() int { return int(r.conns.Load()) }

// Store is where the accepted spans are kept as Litefuse observations.
func (r *Receiver) Store() *store.Store { return r.lf.Store }

// Observations returns the accepted spans as Litefuse stores them, newest
// first.
func (r *Receiver) Observations() []store.Observation {
	var out []store.Observation
	for cursor := ""; ; {
		page, next := r.lf.Store.Observations(store.ObservationFilter{Limit: 1000, Cursor: cursor})
		out = append(out, page...)
		if next == "" {
			return out
		}
		cursor = next
	}
}

// NewDiscard starts a receiver that only reads and counts what arrives, for
// benchmarks: decoding would charge the receiver's work to the sender.
func NewDiscard() *Receiver {
	r := newReceiver()
	r.srv = startServer(r, http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		n, _ := io.Copy(io.Discard, req.Body)
		r.mu.Lock()
		r.requests = append(r.requests, Request{RawSize: int(n)})
		r.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{}`))
	}))
	return r
}

// BaseURL is the Litefuse base URL to configure (traces go to BaseURL+TracesPath).
func (r *Receiver) BaseURL() string { return r.srv.URL }

// Close stops the receiver and releases a hanging handler.
func (r *Receiver) Close() {
	r.Hang(false)
	r.srv.CloseClientConnections()
	r.srv.Close()
}

// SetStatus makes the receiver answer code (with extra headers, e.g.
// Retry-After) instead of 200. Requests are still decoded and counted.
func (r *Receiver) SetStatus(code int, header http.Header) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.status, r.header = code, header
}

type failure struct {
	code   int
	header http.Header
}

// FailNext makes the next n requests answer code with header (e.g. 429 with
// Retry-After), after which the receiver answers as before.
func (r *Receiver) FailNext(n, code int, header http.Header) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for range n {
		r.failNext = append(r.failNext, failure{code, header})
	}
}

// Hang makes the receiver accept requests and never answer (until Hang(false)).
func (r *Receiver) Hang(on bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case on && r.hang == nil:
		r.hang = make(chan struct{})
	case !on && r.hang != nil:
		close(r.hang)
		r.hang = nil
	}
}

func (r *Receiver) serve(w http.ResponseWriter, req *http.Request) {
	if req.URL.Path != TracesPath || req.Method != http.MethodPost {
		r.servePlatform(w, req)
		return
	}
	raw, err := lfserver.ReadBody(req.Body, maxBody)
	if err != nil {
		return
	}
	body, msg, err := lfserver.DecodeTraces(raw, req.Header.Get("Content-Type"), req.Header.Get("Content-Encoding"), maxBody)
	if err != nil {
		reply(w, http.StatusBadRequest, nil, map[string]any{"message": err.Error()})
		return
	}
	r.mu.Lock()
	status, header, hang := r.status, r.header, r.hang
	if len(r.failNext) > 0 {
		status, header = r.failNext[0].code, r.failNext[0].header
		r.failNext = r.failNext[1:]
	}
	r.requests = append(r.requests, Request{Header: req.Header.Clone(), RawSize: len(raw), Decoded: body, Body: msg})
	if status == http.StatusOK && hang == nil {
		r.accept(msg)
	}
	r.mu.Unlock()
	select {
	case r.notify <- struct{}{}:
	default:
	}
	if hang != nil {
		select {
		case <-hang:
		case <-req.Context().Done():
		}
		return
	}
	for k, v := range header {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if status == http.StatusOK {
		_, _ = w.Write([]byte(`{}`))
		return
	}
	_, _ = fmt.Fprintf(w, `{"message":"status %d"}`, status)
}

// accept keeps an accepted request's spans, flat and as observations.
// Called with r.mu held.
func (r *Receiver) accept(msg *coltracepb.ExportTraceServiceRequest) {
	r.spans = append(r.spans, flatten(msg)...)
	r.lf.Store.PutObservations(lfserver.Observations(msg))
}

// Requests returns the export requests received so far.
func (r *Receiver) Requests() []Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Request(nil), r.requests...)
}

// Spans returns the spans accepted (answered 200) so far.
func (r *Receiver) Spans() []Span {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Span(nil), r.spans...)
}

// WaitSpans waits until at least n spans were accepted, or timeout.
func (r *Receiver) WaitSpans(n int, timeout time.Duration) ([]Span, error) {
	deadline := time.After(timeout)
	for {
		if s := r.Spans(); len(s) >= n {
			return s, nil
		}
		select {
		case <-r.notify:
		case <-time.After(20 * time.Millisecond):
		case <-deadline:
			s := r.Spans()
			return s, fmt.Errorf("otlpreceiver: %d spans after %s, want %d", len(s), timeout, n)
		}
	}
}

func flatten(msg *coltracepb.ExportTraceServiceRequest) []Span {
	var out []Span
	for _, rs := range msg.GetResourceSpans() {
		res := attrs(rs.GetResource().GetAttributes())
		for _, ss := range rs.GetScopeSpans() {
			for _, sp := range ss.GetSpans() {
				out = append(out, Span{
					Name:          sp.GetName(),
					TraceID:       hex.EncodeToString(sp.GetTraceId()),
					SpanID:        hex.EncodeToString(sp.GetSpanId()),
					ParentID:      hex.EncodeToString(sp.GetParentSpanId()),
					Kind:          sp.GetKind().String(),
					Start:         time.Unix(0, int64(sp.GetStartTimeUnixNano())),
					End:           time.Unix(0, int64(sp.GetEndTimeUnixNano())),
					Attrs:         attrs(sp.GetAttributes()),
					Resource:      res,
					Scope:         ss.GetScope().GetName(),
					ScopeVersion:  ss.GetScope().GetVersion(),
					StatusCode:    sp.GetStatus().GetCode().String(),
					StatusMessage: sp.GetStatus().GetMessage(),
				})
			}
		}
	}
	return out
}

func attrs(kvs []*commonpb.KeyValue) map[string]any {
	m := make(map[string]any, len(kvs))
	for _, kv := range kvs {
		m[kv.GetKey()] = value(kv.GetValue())
	}
	return m
}

func value(v *commonpb.AnyValue) any {
	switch x := v.GetValue().(type) {
	case *commonpb.AnyValue_StringValue:
		return x.StringValue
	case *commonpb.AnyValue_IntValue:
		return x.IntValue
	case *commonpb.AnyValue_DoubleValue:
		return x.DoubleValue
	case *commonpb.AnyValue_BoolValue:
		return x.BoolValue
	case *commonpb.AnyValue_ArrayValue:
		vals := x.ArrayValue.GetValues()
		allStrings := true
		out := make([]any, len(vals))
		for i, e := range vals {
			out[i] = value(e)
			if _, ok := out[i].(string); !ok {
				allStrings = false
			}
		}
		if allStrings {
			s := make([]string, len(out))
			for i := range out {
				s[i] = out[i].(string)
			}
			return s
		}
		return out
	case *commonpb.AnyValue_KvlistValue:
		return fmt.Sprintf("kvlist:%v", x.KvlistValue) // Litefuse stringifies these: flag them
	}
	return nil
}
