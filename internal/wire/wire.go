// Package wire records one model call from what goes over the wire: it
// recognises the model-call routes, reads the request JSON, and tees the
// response body (JSON or SSE) as the client reads it, aggregating a stream per
// choice and per tool-call index into one plain [Result]. It knows nothing of
// spans or attributes: the caller maps a Request and a Result to those.
package wire

import (
	"io"
	"net/http"
	"time"
)

// Route is a model-call route the library records.
type Route uint8

// The recorded routes. Anything else is None and passes through unrecorded.
const (
	None       Route = iota
	Chat             // POST …/chat/completions, also Ark's …/bots/, …/context/, …/batch/ chat completions
	Completion       // POST …/completions (not chat)
	Embedding        // POST …/embeddings
	Responses        // POST …/responses (exactly; not …/responses/{id}/…)
)

// Options bound and shape the recording of one call.
type Options struct {
	// InjectUsage: for a chat or completion stream whose request did not set
	// stream_options.include_usage, set it in the body sent, and remove the
	// usage-only event (empty choices) it causes from what the client reads.
	InjectUsage bool
	// MaxValue bounds, in bytes, each value kept for recording (input, each
	// choice's content, reasoning and tool arguments, the output). What is
	// beyond it is counted, not kept, so memory per call is bounded. The
	// output's values share one MaxValue (choices and tool calls included),
	// so a stream's output is bounded as a whole. Zero or less means
	// DefaultMaxValue.
	MaxValue int
	// Opaque: the body is encoded (Content-Encoding the client decodes
	// itself): pass it on and end the recording with the status alone.
	Opaque bool
	// SizeHint is the answer's length when the server said it
	// (Content-Length); a JSON answer's copy is then allocated once at its
	// size instead of grown as the client reads. Zero or less: unknown.
	SizeHint int64
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Request is what the client asked for, read from the request body. Its
// byte slices are its own copies, never written once ParseRequest returns
// (the recording shares them as strings).
type Request struct {
	Route      Route
	Model      string // "model"; "" when absent
	Stream     bool   // "stream": true
	Input      []byte // JSON: see DESIGN §5 (messages; {messages,tools,tool_choice} when tools are given; prompt; input); nil when absent
	Parameters []byte // JSON object of the parameters the caller set (temperature, max_tokens, …); nil when none
	// UsageInjected is true when the body to send differs from the client's
	// because InjectUsage added stream_options.include_usage.
	UsageInjected bool
	// UsageAsked is true when the client itself set
	// stream_options.include_usage on a chat or completion stream: the
	// usage event will come, and is passed on.
	UsageAsked bool
	// InputOmitted counts the bytes of Input cut off at MaxValue (Input is
	// then a prefix of the JSON, not valid JSON: mark it when recording).
	InputOmitted int64
	// ParametersOmitted counts the bytes of parameters left out of
	// Parameters because they did not fit in MaxValue (it stays valid JSON).
	ParametersOmitted int64

	n int // "n": choices asked for; 0 when not given
}

// Usage is the token usage the server reported, as it reported it
// (saturated at math.MaxInt64, never negative).
type Usage struct {
	Present                   bool
	Prompt, Completion, Total int64
	CachedPrompt, Reasoning   int64 // prompt_tokens_details.cached_tokens, completion_tokens_details.reasoning_tokens
}

// Result is what the server answered, aggregated. Its byte slices are its
// own copies, never written once it is delivered (the recording shares
// them as strings).
type Result struct {
	Status        int    // HTTP status
	Model         string // response "model"
	ID            string // response "id"
	IDInOutput    bool   // ID shares Output's allocation (a whole chat answer's): whoever keeps ID without Output as it is must copy it
	Output        []byte // JSON assistant message {"role","content","reasoning_content","tool_calls"}, a list when n>1; text for completions; for embeddings a summary (count, dimensions); nil when none
	FinishReasons []string
	Usage         Usage
	ServiceTier   string
	FirstToken    time.Time // streams: first content, reasoning or tool-call delta
	// ErrMessage, ErrType, ErrCode are the API error the server sent: a
	// non-2xx body, an SSE error event, or a failed Responses answer.
	ErrMessage, ErrType, ErrCode string
	// Warning is set for an answer that is incomplete without being an error
	// (Responses "incomplete": its reason).
	Warning string
	// Malformed says why a successful answer could not be read as the
	// client expects (a body or an event that is not JSON): the client's
	// own decoding fails on it too.
	Malformed string
	// ReadErr is the error reading the body returned, other than io.EOF.
	ReadErr error
	// CutShort: the body was closed or aborted before the answer ended.
	CutShort bool
	// Omitted counts bytes of output not kept because of MaxValue.
	Omitted int64
}

// Match reports which recorded route method and path are, or None.
func Match(method, path string) Route { return match(method, path) }

// ParseRequest reads the request body the client built. It never changes
// body; send is the body to send instead, or nil to send body unchanged.
// A body that is not JSON still yields a Request (with what could be read).
func ParseRequest(route Route, body []byte, opt Options) (req *Request, send []byte) {
	req = new(Request)
	return req, parseRequest(req, route, body, opt)
}

// ParseRequestInto is ParseRequest into req (overwritten), for a caller
// that holds the Request in a struct of its own: no allocation for it.
func ParseRequestInto(req *Request, route Route, body []byte, opt Options) (send []byte) {
	return parseRequest(req, route, body, opt)
}

// Body is the response body the client reads: exactly the server's bytes,
// minus the usage-only event when req.UsageInjected. It calls onEnd exactly
// once, with the final Result, when the body reaches EOF, fails, is closed,
// or is aborted.
type Body interface {
	io.ReadCloser
	// Abort ends the recording now with what was read so far (CutShort,
	// ReadErr = err). Safe to call concurrently with Read and Close. It
	// does not close the underlying body.
	Abort(err error)
	// Filters reports whether the body hides an event of a stream (the
	// usage event the injection caused): it is then shorter than sent.
	Filters() bool
}

// WrapBody wraps a response body. header is the response's (Content-Type
// tells JSON from SSE).
func (r *Request) WrapBody(status int, header http.Header, body io.ReadCloser, opt Options, onEnd func(*Result)) Body {
	var e Ender
	if onEnd != nil {
		e = endFunc(onEnd)
	}
	return wrapBody(r, status, header, body, opt, e)
}

// BodyStore is the memory of a wrapped body, for a caller that holds it in
// a struct of its own (WrapBodyIn): no allocation for the body.
type BodyStore struct{ b body }

// WrapBodyIn is WrapBody with the body in st, which must be zero and
// used for nothing else (it lives as long as the body), and onEnd a method
// of the caller's own: no allocation for the body, nor a closure for
// onEnd.
func (r *Request) WrapBodyIn(st *BodyStore, status int, header http.Header, body io.ReadCloser, opt Options, onEnd Ender) Body {
	st.b.stored = true
	return wrapBodyIn(&st.b, r, status, header, body, opt, onEnd)
}

// Ender is told the final Result of a wrapped body, once.
type Ender interface{ Ended(*Result) }

// A Deferrer is an Ender that can take the end of a JSON answer's
// recording off the reader's goroutine. When the answer has been read
// (or closed, or aborted), a body in a BodyStore calls Later with the
// answer's size: true means the Deferrer calls the store's FinishLater
// beside the reader, which reads the answer and then calls Ended; false,
// that the body does so at once.
//
// Draining tells the Deferrer that Close returned while the body reads on
// in the background (a stream's usage event after its finish chunk, an
// error answer closed unread): Ended follows from there, within a bounded
// time.
type Deferrer interface {
	Ender
	Later(size int) bool
	Draining()
}

// FinishLater reads the answer its body left to the Deferrer and tells
// the Deferrer the Result: once, after Later returned true. The body's
// Result and buffers are no one else's by then.
func (st *BodyStore) FinishLater() {
	b := &st.b
	b.finishJSON(&b.res)
	b.tell(&b.res)
}

// DropLater lets go of the answer its body left to the Deferrer, unread,
// instead of FinishLater: Ended is not called.
func (st *BodyStore) DropLater() { st.b.releaseHead() }

type endFunc func(*Result)

func (f endFunc) Ended(res *Result) { f(res) }

// HeaderValue is h.Get(key) for a key already in canonical form ("Content-Type",
// "Api-Key"): the same answer, without Get's check and canonicalization of
// the key, which cost about 100 ns a lookup and the recording makes several
// a call. Get finds only canonical keys too: net/http stores them so, and a
// key put into the map by hand in another form is found by neither.
func HeaderValue(h http.Header, key string) string {
	if v := h[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}
