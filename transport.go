package litefuse

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/litefuse/litefuse-go/internal/record"
	"github.com/litefuse/litefuse-go/internal/wire"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// NewTransport returns an http.RoundTripper that records every model call
// it carries (chat completions, also Ark's bots/context/batch routes,
// completions, embeddings, the Responses API; plain and streaming) as a
// Litefuse generation, and passes every other request through untouched.
// base does the HTTP work; nil means http.DefaultTransport. Hand it to any
// client that speaks the OpenAI wire format: openai-go
// (option.WithHTTPClient), Ark's arkruntime (arkruntime.WithHTTPClient),
// langchaingo, eino, plain net/http.
//
// The caller gets exactly the server's bytes and errors, with one
// exception: a chat or completion stream that did not ask for usage is
// asked for it, and the usage-only event this causes is removed (see
// [WithStreamUsage]). Each HTTP attempt is its own generation: a client
// that retries records one per attempt, the retries marked with metadata
// "attempt".
func NewTransport(base http.RoundTripper, opts ...Option) http.RoundTripper {
	if t, ok := base.(*transport); ok { // already recording: record once,
		base, opts = t.base, t.rec.with(opts) // with its options and these
	}
	if base == nil {
		base = http.DefaultTransport
	}
	return &transport{base: base, rec: newRecorder(opts)}
}

// NewHTTPClient returns an *http.Client whose transport is
// NewTransport(http.DefaultTransport, opts...).
func NewHTTPClient(opts ...Option) *http.Client {
	return &http.Client{Transport: NewTransport(nil, opts...)}
}

type transport struct {
	base http.RoundTripper
	rec  *recorder
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	return t.rec.roundTrip(req, t.base.RoundTrip)
}

// CloseIdleConnections closes the base transport's idle connections, as
// http.Client.CloseIdleConnections expects of a transport.
func (t *transport) CloseIdleConnections() {
	if c, ok := t.base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// roundTrip records one HTTP exchange around send: the one recording core
// every entry point reaches.
func (r *recorder) roundTrip(req *http.Request, send func(*http.Request) (*http.Response, error)) (*http.Response, error) {
	// The server may echo the request's keys in an error that an
	// observation around it records, whether or not this call is recorded.
	keys := requestSecrets(req)
	others := rememberSecrets(req.Context(), keys)
	route := wire.Match(req.Method, req.URL.Path)
	if route == wire.None {
		return send(req)
	}
	r.resolve()
	if r.off {
		return send(req)
	}
	ctx := req.Context()
	id := generationTraceID(ctx)
	drop, newTrace := r.unsampled(ctx, id)
	if drop { // sampled out: no span to start
		return send(req)
	}
	// Nothing starts under the call's span: no context is made for it.
	var span trace.Span
	if newTrace.IsValid() { // a new trace, its id drawn and kept
		_, span = r.begin(ctx, newTrace, record.Operation(route), trace.SpanKindClient, false)
	} else {
		_, span = r.beginIn(ctx, id, "Generation.TraceID", record.Operation(route), trace.SpanKindClient, false)
	}
	if !span.IsRecording() {
		return send(req)
	}
	c := &call{rec: r, ctx: ctx, span: span, route: route, keys: keys, others: others, live: !isShutDown()}
	return c.run(req, send)
}

// call is one model call being recorded.
type call struct {
	rec      *recorder
	ctx      context.Context // the caller's: WithGeneration, PropagateAttributes
	span     trace.Span
	route    wire.Route
	req      *wire.Request
	wreq     wire.Request // req's storage once the request is read: no allocation of its own
	host     string
	keys     []string  // the credentials the call carries, to redact where echoed
	others   bool      // the process-wide list held other keys when the call began
	live     bool      // begun before Shutdown
	encoding string    // the answer's Content-Encoding, when the client decodes it
	try      int       // the client's retry attempt, when it says
	pre      *called   // the Generation as the call began, when it has a prompt or metadata
	deferred bool      // its end runs in the pipeline's queue (Later)
	endAt    time.Time // when the answer ended, for an end run later

	mu   sync.Mutex
	stop func() bool // releases the ctx watch

	body wire.BodyStore // the answer's body: one allocation with the call
}

func (c *call) run(req *http.Request, send func(*http.Request) (*http.Response, error)) (resp *http.Response, err error) {
	if gen := generationFrom(c.ctx); gen != nil && (len(gen.Metadata) > 0 || gen.Prompt != nil) {
		c.pre = c.asCalled(gen)
	}
	body, out, pooled, err := readBody(req)
	if pooled != nil {
		// The request keeps copies of what it records (wire.ParseRequest
		// copies input, parameters and model): the buffer goes back once read.
		defer putReqBuf(pooled)
	}
	if err != nil {
		// The body cannot be read twice: send what the client gave.
		c.finish(nil, err)
		return send(out)
	}
	opt := c.options()
	if wire.HeaderValue(req.Header, "Accept-Encoding") != "" {
		// The client decodes the answer itself: the library could not
		// remove an event from an encoded stream, so it asks for nothing.
		opt.InjectUsage = false
	}
	var alt []byte
	func() {
		defer guard()
		// The request is in memory already: keep its input whole, so media
		// data URIs are replaced before the value is bounded.
		whole := opt
		whole.MaxValue = math.MaxInt
		c.wreq = wire.Request{Route: c.route} // what stays if parsing faults
		alt = wire.ParseRequestInto(&c.wreq, c.route, body, whole)
	}()
	c.req = &c.wreq
	if alt != nil {
		out = withBody(out, alt)
	}
	c.host = req.URL.Hostname()
	c.try = attempt(req.Header)

	resp, err = send(out)
	if err != nil {
		c.finish(nil, err)
		return resp, err
	}
	if resp == nil || resp.Body == nil {
		c.finish(&wire.Result{}, nil)
		return resp, err
	}
	if ce := wire.HeaderValue(resp.Header, "Content-Encoding"); ce != "" && !strings.EqualFold(ce, "identity") {
		opt.Opaque, c.encoding = true, ce // passed on as it is; its output is not read
	}
	opt.SizeHint = resp.ContentLength
	b := c.req.WrapBodyIn(&c.body, resp.StatusCode, resp.Header, resp.Body, opt, c)
	if b == nil { // cannot happen; never lose the caller's body over it
		c.finish(&wire.Result{Status: resp.StatusCode}, nil)
		return resp, nil
	}
	if resp.Body == http.NoBody {
		// Nothing to read, and the caller may test for NoBody: the
		// recording reads it now and the body stays as it is.
		_, _ = io.Copy(io.Discard, b)
		_ = b.Close()
		return resp, nil
	}
	if b.Filters() {
		// The hidden usage event shortens the body: its length is unknown,
		// and a Content-Length the server sent no longer holds.
		resp.ContentLength = -1
		if _, ok := resp.Header["Content-Length"]; ok {
			// A copy: the base transport may share its Header map (a cache, a
			// canned answer), which is not the library's to write.
			resp.Header = resp.Header.Clone()
			delete(resp.Header, "Content-Length")
		}
	}
	resp.Body = b
	if c.ctx.Done() != nil { // a context that never ends needs no watch
		c.mu.Lock()
		c.stop = context.AfterFunc(c.ctx, func() { b.Abort(context.Cause(c.ctx)) })
		c.mu.Unlock()
	}
	return resp, nil
}

func (c *call) options() wire.Options {
	return wire.Options{
		InjectUsage: c.rec.cfg.streamUsage,
		MaxValue:    c.rec.cfg.maxAttrLen,
	}
}

// Ended is told the answer's Result by the wire body (wire.Ender).
func (c *call) Ended(res *wire.Result) { c.finish(res, nil) }

// Later takes the end of a JSON answer's recording (reading the answer,
// the attributes, the span's end) off the caller's goroutine
// (wire.Deferrer), into the pipeline's queue of later renders, which
// Flush and Shutdown run and wait for. The span ends at the time the
// answer ended, taken here. Only the library's own pipelines take it:
// an application's provider's ForceFlush would not wait for it.
func (c *call) Later(size int) bool {
	inst := c.rec.inst
	if inst == nil || c.req == nil || c.deferred { // deferred: read on after Close, off the caller already
		return false
	}
	if c.rec.values.Mask != nil {
		// The application's mask runs where it ran: on the caller, once
		// per call, never queued behind other calls' masks.
		return false
	}
	c.endAt, c.deferred = time.Now(), true
	if !inst.renders.later(size+len(c.req.Input), c) { // what the queue holds
		c.endAt, c.deferred = time.Time{}, false
		return false
	}
	return true
}

// Draining counts the call as a render while its body reads on after
// Close (wire.Deferrer): Flush and Shutdown wait for it, within their
// deadline, as for a call rendered beside the caller.
func (c *call) Draining() {
	c.rec.renders().add()
	c.deferred = true
}

// finishLater is the queue running the call's end (renders.later).
func (c *call) finishLater() { c.body.FinishLater() }

// dropLater is the queue letting go of a call Shutdown gave up on (it is
// counted Dropped already): its answer is not read, no mask runs, its
// context watch is released.
func (c *call) dropLater() {
	c.body.DropLater()
	c.unwatch()
	c.rec.renders().ending() // false after Shutdown gave up: it counts the call out
}

// unwatch releases the ctx watch (context.AfterFunc), if any.
func (c *call) unwatch() {
	c.mu.Lock()
	if c.stop != nil {
		c.stop()
	}
	c.mu.Unlock()
}

// finish sets every attribute in one call and ends the span. It runs once:
// the wire body calls it exactly once, and no other path reaches it after a
// body was wrapped.
func (c *call) finish(res *wire.Result, err error) {
	end := c.endAt
	if end.IsZero() {
		end = time.Now()
	}
	c.unwatch()
	if c.req == nil {
		c.req = &wire.Request{Route: c.route}
	}
	// Rendering a large input or output (a vision request's images are
	// decoded and hashed for upload) would hold up the caller's last Read:
	// then it happens beside the call. The span keeps the end time taken
	// here.
	// Flush and Shutdown wait for it.
	if c.deferred { // beside the caller already, and counted (Later, Draining)
		c.complete(res, err, end, c.rec.renders())
		return
	}
	if len(c.req.Input)+outputLen(res) > asyncRecordBytes {
		p := c.rec.renders()
		p.add()
		go c.complete(res, err, end, p)
		return
	}
	c.complete(res, err, end, nil)
}

// called is what a call records of its Generation ([WithGeneration]),
// read and rendered on the caller's goroutine as the call begins. A
// call's recording may end on another goroutine, after the call returned
// (a large call rendered beside the caller, a stream read on for its
// usage after Close, a cancelled context): by then the Generation's
// Metadata map (and what its values point to) and its Prompt are the
// caller's again, to change for the next call. Reading them then was a
// data race, and recorded values the call never had.
type called struct {
	prompt []attribute.KeyValue // the prompt link
	meta   []attribute.KeyValue // the Generation's metadata, masked
}

// asCalled reads gen now.
func (c *call) asCalled(gen *Generation) *called {
	defer guard()
	v := c.values()
	pre := &called{prompt: promptAttrs(nil, gen, &v)}
	pre.meta = record.ObservationMetadata(nil, gen.Metadata, &v)
	return pre
}

// asyncRecordBytes is the size of input and output above which a call's
// attributes are rendered off the caller's goroutine.
const asyncRecordBytes = 256 << 10

func outputLen(res *wire.Result) int {
	if res == nil {
		return 0
	}
	return len(res.Output)
}

// values are the call's: the recorder's, with the call's media upload and
// the keys to redact.
func (c *call) values() record.Values {
	r := c.rec
	v := r.values
	if r.cfg.mediaUpload {
		v = withMedia(v, c.span)
	}
	// The call's own keys, its observations' (a key may reach its input
	// in an error fed back to the model), and, when it holds other keys,
	// the process-wide list.
	v.Redact = c.keys
	if sc := scopeFrom(c.ctx); sc != nil {
		v.Redact = append(slices.Clip(c.keys), sc.list()...)
	}
	if c.others {
		v.Scrub = scrubKnown
	}
	return v
}

// promptAttrs appends the prompt link of gen, when it names one.
func promptAttrs(attrs []attribute.KeyValue, gen *Generation, v *record.Values) []attribute.KeyValue {
	if gen != nil && gen.Prompt != nil && gen.Prompt.Name != "" && gen.Prompt.Version > 0 {
		attrs = append(attrs,
			attribute.String(record.KeyPromptName, v.String(gen.Prompt.Name)),
			attribute.Int(record.KeyPromptVersion, gen.Prompt.Version))
	}
	return attrs
}

// complete sets every attribute in one call and ends the span at end.
// p, when not nil, is told the render is done (see renders).
func (c *call) complete(res *wire.Result, err error, end time.Time, p *renders) {
	defer c.end(end, p)
	defer guard()
	r := c.rec
	v := c.values()
	pre := c.pre
	rc := record.Call{Provider: r.cfg.providerName, Server: c.host, Attempt: c.try, Err: err}
	if rc.Provider == "" {
		rc.Provider = record.ProviderName(c.host)
	}
	if err != nil {
		rc.ErrType = errorType(err)
	} else if res != nil && res.ReadErr != nil {
		rc.ErrType = errorType(res.ReadErr)
	}
	ab := getAttrs()
	defer putAttrs(ab)
	attrs, outcome := record.Generation(ab.s[:0], &rc, c.req, res, &v, r.cfg.prices)
	gen := generationFrom(c.ctx)
	if pre != nil {
		attrs = append(attrs, pre.prompt...)
	}
	tv := r.values // the trace's values: scrubbed, without this span's media
	tv.Redact, tv.Scrub = v.Redact, v.Scrub
	attrs = r.traceAttrs(attrs, c.ctx, &tv)
	if c.encoding != "" {
		attrs = append(attrs, attribute.String(record.KeyObservationMetadata+record.MetaOutputNotRecorded,
			"the answer is encoded ("+v.String(c.encoding)+") and decoded by the client"))
	}
	if pre != nil { // after the library's own keys, which it renames a caller's key away from
		attrs = append(attrs, pre.meta...)
	}
	c.span.SetName(c.name(gen, res, &v))
	c.span.SetAttributes(attrs...)
	ab.s = attrs // the grown list, if it grew, is the one kept
	if outcome.Failed {
		fail(c.span, outcome.Message)
	}
}

// end ends the span at t, unless Shutdown gave up on this render (it is
// counted Dropped then).
func (c *call) end(t time.Time, p *renders) {
	if p == nil {
		c.rec.inst.endSpan(c.span, c.live, t)
		return
	}
	if p.ending() {
		c.rec.inst.endSpan(c.span, c.live, t)
		p.done()
	}
}

// name is the span name: the WithGeneration name, else "{operation}
// {model}" as the OTel GenAI conventions name it, with the model the server
// answered (Ark's real model for an ep-… endpoint id).
func (c *call) name(gen *Generation, res *wire.Result, v *record.Values) string {
	if gen != nil && gen.Name != "" {
		return spanName(v.String(gen.Name)) // scrubbed: a name may quote an error
	}
	model := c.req.Model
	if res != nil && res.Model != "" {
		model = res.Model
	}
	op := record.Operation(c.route)
	if model == "" {
		return op
	}
	if m := v.Scrubbed(model); m != model { // a key pasted where the model goes
		return spanName(op + " " + m)
	}
	// A client calls the same model again and again: the last name built
	// is reused rather than built (and allocated) on every call.
	if n := c.rec.lastName.Load(); n != nil && n.route == c.route && n.model == model {
		return n.name
	}
	n := &spanNameEntry{route: c.route, model: model, name: spanName(op + " " + model)}
	c.rec.lastName.Store(n)
	return n.name
}

// spanNameEntry is the span name last built for a route and model.
type spanNameEntry struct {
	route       wire.Route
	model, name string
}

// readBody returns the request body's bytes and the request to send. With
// GetBody (every client that builds its request from bytes) the original
// body is left for the send; otherwise it is read here and replayed.
//
// With GetBody the bytes are read into a pooled buffer, returned as
// pooled: the caller gives it back (putReqBuf) once it has parsed them.
func readBody(req *http.Request) ([]byte, *http.Request, *bytes.Buffer, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return nil, req, nil, nil
	}
	if req.GetBody != nil {
		rc, err := req.GetBody()
		if err == nil {
			rb := getReqBuf()
			_, err := rb.ReadFrom(rc)
			rc.Close()
			if err == nil {
				return rb.Bytes(), req, rb, nil
			}
			putReqBuf(rb)
		}
	}
	b, err := io.ReadAll(req.Body)
	req.Body.Close()
	out := req.WithContext(req.Context())
	if err != nil {
		out.Body = io.NopCloser(io.MultiReader(bytes.NewReader(b), errReader{err}))
		out.GetBody = nil
		return nil, out, nil, err
	}
	return b, withBody(out, b), nil, nil
}

// reqBufPool holds buffers for request bodies' bytes; one grown past
// maxReqBuf is not kept.
const maxReqBuf = 64 << 10

var reqBufPool = sync.Pool{New: func() any { return bytes.NewBuffer(make([]byte, 0, 4<<10)) }}

func getReqBuf() *bytes.Buffer { return reqBufPool.Get().(*bytes.Buffer) }

func putReqBuf(b *bytes.Buffer) {
	if b.Cap() > maxReqBuf {
		return
	}
	b.Reset()
	reqBufPool.Put(b)
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// withBody is req with body b (the original body, if any, is the
// caller's to have been read or closed already).
func withBody(req *http.Request, b []byte) *http.Request {
	if req.Body != nil && req.Body != http.NoBody && req.GetBody != nil {
		req.Body.Close() // the transport owns the original body
	}
	out := req.WithContext(req.Context())
	out.Body = io.NopCloser(bytes.NewReader(b))
	out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	out.ContentLength = int64(len(b))
	return out
}

// attempt reads the retry attempt the client announces (openai-go's
// X-Stainless-Retry-Count); -1 when it does not.
func attempt(h http.Header) int {
	if v := wire.HeaderValue(h, "X-Stainless-Retry-Count"); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n >= 0 {
			return n
		}
	}
	return -1
}

// errorType is error.type for a call that got no answer.
func errorType(err error) string {
	switch {
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, ErrNilClient):
		return "nil_client"
	}
	var netErr net.Error
	if errors.As(err, &netErr) {
		return "network"
	}
	return "error"
}

// attrBuf is a pooled attribute list, held by pointer so that putting it
// back allocates nothing.
type attrBuf struct{ s []attribute.KeyValue }

// attrPool recycles attribute lists: the SDK copies them in SetAttributes.
var attrPool = sync.Pool{New: func() any { return &attrBuf{s: make([]attribute.KeyValue, 0, 32)} }}

func getAttrs() *attrBuf { return attrPool.Get().(*attrBuf) }

func putAttrs(b *attrBuf) {
	if cap(b.s) > 128 {
		return
	}
	clear(b.s) // drop references to the strings (past len: cleared before, or never set)
	b.s = b.s[:0]
	attrPool.Put(b)
}
