package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Bounds of the wait for the usage event after a Close that came right
// after the finish chunk.
const (
	drainWait  = 200 * time.Millisecond
	drainBytes = 64 << 10
)

// errClosed is what Read returns after Close, as net/http's bodies do.
var errClosed = errors.New("http: read on closed response body")

// body is the Body: it tees the response as the client reads it.
type body struct {
	rc     io.ReadCloser
	req    *Request
	opt    Options
	onEnd  Ender
	status int
	sse    bool
	opaque bool // encoded body: passed on, not read

	mu   sync.Mutex
	done bool
	// *reading is a stream's (SSE) framer, chunk and aggregate, set in
	// wrapBody and never changed; nil for any other body: a JSON answer is
	// read once, at its end, with one from a pool (jsonResult). The body
	// a chat answer's caller holds is half the size so.
	*reading
	resp    *responseAgg // the Responses API only
	sawDone bool         // data: [DONE]
	badJSON bool         // an event whose data is not JSON
	valid   bool         // the JSON answer was read whole as valid JSON (jsonResult)
	dropped bool         // the injected usage event was dropped
	buf     []byte
	outPos  int
	rerr    error // filtering: the error to return once out is drained
	jb      jsonBuf
	embeds  *embedCounter // embeddings only
	res     Result        // the Result, built once (endLocked): no allocation of its own
	fin0    [1]string     // res.FinishReasons' backing array for one choice
	fbufs   *filterBufs   // the pooled holder of buf and the framer's buffers
	// A JSON answer whose reading is left to the Deferrer (endLocked):
	// deliver hands it over, reading it there or at once.
	later, laterClosing bool
	stored              bool // in a BodyStore (WrapBodyIn), whose FinishLater the Deferrer calls

	closeOnce sync.Once
	closeErr  error
	rcOnce    sync.Once // rc is closed once: by Close, or by drain and its timer
	rcErr     error
	closed    atomic.Bool
	inRead    atomic.Int32 // Reads in progress: Close does not read on then
	readMu    sync.Mutex   // Reads one at a time, as net/http serialises its body's: they share buf and record in order
}

func wrapBody(r *Request, status int, header http.Header, rc io.ReadCloser, opt Options, onEnd Ender) Body {
	return wrapBodyIn(new(body), r, status, header, rc, opt, onEnd)
}

// wrapBodyIn is wrapBody in b, which is new (zero) and not used otherwise.
func wrapBodyIn(b *body, r *Request, status int, header http.Header, rc io.ReadCloser, opt Options, onEnd Ender) Body {
	if r == nil {
		r = &Request{}
	}
	if rc == nil {
		rc = http.NoBody
	}
	b.rc, b.req, b.opt, b.onEnd, b.status = rc, r, opt, onEnd, status
	limit := opt.maxValue()
	switch r.Route {
	case Responses:
		b.resp = new(responseAgg)
	case Embedding:
		b.embeds = new(embedCounter)
	}
	ct := strings.ToLower(HeaderValue(header, "Content-Type"))
	ok := status >= 200 && status <= 299
	b.opaque = opt.Opaque
	b.sse = ok && !b.opaque && (strings.Contains(ct, "text/event-stream") || (r.Stream && !strings.Contains(ct, "json")))
	if b.sse {
		b.reading = &reading{}
		b.agg.bud.left = limit
		b.agg.reqModel = r.Model
		b.fr.max = 2*limit + 1<<20
		b.fr.dispatch = b.dispatch
		b.fr.filter = r.UsageInjected && (r.Route == Chat || r.Route == Completion)
	} else {
		b.jb.max = max(8<<20, 4*limit)
		if !b.opaque {
			b.jb.pooled, b.jb.head = getHead(opt.SizeHint, b.jb.max)
		}
	}
	return b
}

// Read reads the server's bytes: straight through, or, when the injected
// usage event must be dropped, one whole event at a time.
func (b *body) Read(p []byte) (int, error) {
	b.inRead.Add(1) // before the closed check: Close sees one or the other
	defer b.inRead.Add(-1)
	if b.closed.Load() {
		return 0, errClosed
	}
	if b.reading != nil && b.fr.filter {
		return b.readFiltered(p)
	}
	// One at a time, as net/http's body: concurrent Reads would record
	// their bytes out of order.
	b.readMu.Lock()
	defer b.readMu.Unlock()
	n, err := b.rc.Read(p)
	if n > 0 || err != nil {
		b.observe(p[:n], err)
	}
	return n, err
}

func (b *body) readFiltered(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	b.readMu.Lock()
	defer b.readMu.Unlock()
	b.mu.Lock()
	for {
		if n := b.take(p); n > 0 {
			b.mu.Unlock()
			return n, nil
		}
		if err := b.rerr; err != nil {
			b.mu.Unlock()
			return 0, err
		}
		if b.closed.Load() {
			b.mu.Unlock()
			return 0, errClosed
		}
		if b.buf == nil {
			// Room for a whole read's events at once: out never regrows.
			b.fbufs, b.buf = getFilterBufs(min(max(len(p), 4<<10), 32<<10), &b.fr)
		}
		buf := b.buf
		b.mu.Unlock()
		n, err := b.rc.Read(buf)
		b.mu.Lock()
		res := b.observeFiltered(buf[:n], err)
		if res != nil {
			b.mu.Unlock()
			b.deliver(res)
			b.mu.Lock()
		}
	}
}

// take copies released bytes to p; b.mu is held.
func (b *body) take(p []byte) int {
	if b.outPos >= len(b.fr.out) {
		return 0
	}
	n := copy(p, b.fr.out[b.outPos:])
	b.outPos += n
	if b.outPos == len(b.fr.out) {
		b.fr.out, b.outPos = b.fr.out[:0], 0
	}
	return n
}

// observe takes bytes the server sent and the error that came with them.
func (b *body) observe(p []byte, err error) {
	var res *Result
	func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		defer b.recoverLocked(&res)
		res = b.observeLocked(p, err)
	}()
	b.deliver(res)
}

// recoverLocked, deferred by the code that records under b.mu, stops a
// recording bug from reaching the caller as a panic, or as b.mu left
// locked for Close: the body records no more, passes the server's bytes
// on as they come, and sets *res to the Result that ends the span (the
// call recorded as cut short). Never reached.
func (b *body) recoverLocked(res **Result) {
	if recover() == nil {
		return
	}
	if !b.done {
		b.res = Result{Status: b.status, CutShort: true, Malformed: "litefuse could not record this answer (an internal error; please report it)"}
		*res = &b.res
	}
	b.sse, b.opaque, b.done = false, true, true
}

// syntaxError reports whether encoding/json, reading data as far as it
// goes, stops at a byte it refuses rather than at the end of the data:
// an answer closed early is then one the client failed on, not one cut
// short. Only reached for a 2xx JSON answer closed before it was valid.
func syntaxError(data []byte) bool {
	var v json.RawMessage
	var se *json.SyntaxError
	return errors.As(json.NewDecoder(bytes.NewReader(data)).Decode(&v), &se)
}

// errFilterFault ends a filtered stream whose filtering failed (never
// reached): what it released so far is the caller's, the rest cannot be
// told apart from what it held.
var errFilterFault = errors.New("litefuse: internal error while reading the stream (please report it); the stream cannot go on")

// observeFiltered is observeLocked for a filtered read of p; b.mu is held.
// A recording bug ends the stream with errFilterFault after the bytes
// released by earlier reads.
func (b *body) observeFiltered(p []byte, err error) (res *Result) {
	released := len(b.fr.out)
	defer func() {
		if recover() != nil {
			b.fr.out, b.fr.held = b.fr.out[:released], nil
			b.rerr = errFilterFault // what every later Read returns
			if !b.done {
				b.res = Result{Status: b.status, CutShort: true, ReadErr: errFilterFault}
				res = &b.res
			}
			b.done = true
		}
	}()
	return b.observeLocked(p, err)
}

// observeLocked records p and err; it returns the Result to deliver when
// err ended the body. b.mu is held.
func (b *body) observeLocked(p []byte, err error) (res *Result) {
	if b.sse {
		b.fr.feed(p)
		// The answer ends at [DONE], an error event or the Responses API's last event, not
		// at the body's EOF, which a client that stops reading there (and
		// never closes) would never reach.
		if !b.done && b.over() {
			res = b.endLocked(nil, false)
		}
	} else if !b.done && !b.opaque {
		b.jb.write(p)
		if b.embeds != nil {
			b.embeds.feed(p)
		}
	}
	if err == nil {
		return res
	}
	b.rerr = err
	if b.sse {
		b.fr.close()
	}
	if b.done {
		return res
	}
	var readErr error
	if err != io.EOF {
		readErr = err
	}
	return b.endLocked(readErr, false)
}

// dispatch records one SSE event; it reports whether the event is the
// usage event the injection caused, which the caller must not see.
func (b *body) dispatch(name, data []byte, over bool) (drop bool) {
	if over {
		if b.recording() {
			b.overflowed(data)
		}
		return false
	}
	rec := b.recording()
	if !rec && !b.fr.filter {
		return false
	}
	defer func() {
		if recover() != nil {
			drop = false // never reached: recording code must not panic the caller
		}
	}()
	// As go-openai and arkruntime read it: white space around it allowed
	// (openai-go, which takes any data starting with [DONE], agrees but
	// for white space before it).
	if string(bytes.TrimSpace(data)) == "[DONE]" {
		b.sawDone = true
		return false
	}
	if b.sawDone { // the clients stop reading at [DONE]: what follows is not theirs
		return false
	}
	if b.req.Route == Responses {
		if rec {
			token, _, read := b.resp.event(name, data, &b.agg.bud, &b.agg.scratch)
			b.noteToken(token)
			if !read && !validJSON(data) { // fails the client's decoding too, as for chat
				b.badJSON = true
			}
		}
		return false
	}
	if !b.ch.parse(data) {
		if b.fr.filter && !b.dropped && b.agg.anyFinished() && looksLikeUsageEvent(data) {
			// The usage event the library asked for, unreadable: hidden
			// all the same, so the caller reads what it would have.
			b.dropped = true
			return true
		}
		// Passed on, not recorded. Data that is not JSON at all fails the
		// client's decoding too: the call is then recorded as failed.
		if rec && !validJSON(data) {
			b.badJSON = true
		}
		return false
	}
	if b.fr.filter && !b.dropped && len(b.ch.choices) == 0 && b.ch.usage != nil {
		drop, b.dropped = true, true
	}
	if rec {
		b.noteToken(b.agg.add(&b.ch, false))
	}
	return drop
}

// over reports whether the stream's answer has ended at an event: [DONE],
// an error event, or the Responses API's final event. The recording ends
// there, even before the read that carried the event is fed whole: what
// follows it in the same read is no more recorded than what follows in the
// next one.
func (b *body) over() bool {
	if b.req.Route == Responses {
		return b.ended()
	}
	return b.sawDone || b.agg.errRaw != nil
}

// recording reports whether the stream's events are still recorded.
func (b *body) recording() bool { return !b.done && !b.over() }

// looksLikeUsageEvent reports whether data, which could not be read, has
// the shape of the usage-only event: a usage member and no delta (every
// chunk with content has one), however its choices are spelled.
func looksLikeUsageEvent(data []byte) bool {
	return bytes.Contains(data, []byte(`"usage"`)) && !bytes.Contains(data, []byte(`"delta"`))
}

// overflowed records an event too long to read whole, of which the
// framer kept the beginning: a chat or completion chunk keeps the
// beginning of its content (up to the budget); its other bytes are
// counted as omitted, and nothing after it is kept, so the output stays a
// prefix of what was sent. A comment line is not output.
func (b *body) overflowed(head []byte) {
	if len(head) > 0 && head[0] == ':' {
		return
	}
	lost := int64(b.fr.lost)
	var esc []byte
	switch b.req.Route {
	case Chat:
		esc = partialField(head, `"delta"`, `"content"`, len(head))
	case Completion:
		esc = partialField(head, `"choices"`, `"text"`, len(head))
	}
	if len(esc) > 0 {
		index := 0
		if b.agg.last != nil {
			index = b.agg.last.index
		}
		if c := b.agg.choice(index); c != nil {
			b.agg.scratch = appendUnescaped(b.agg.scratch[:0], esc)
			c.content.addBytes(&b.agg.bud, b.agg.scratch)
			lost -= int64(len(esc))
			b.noteToken(true)
		}
	}
	b.agg.bud.omitted = satAdd(b.agg.bud.omitted, max(lost, 0))
	b.agg.bud.left = 0
}

func (b *body) noteToken(token bool) {
	if token && b.agg.first.IsZero() {
		b.agg.first = b.opt.now()
	}
}

// ended reports whether the answer is whole, so far as the stream says.
func (b *body) ended() bool {
	if b.req.Route == Responses {
		return b.sawDone || b.resp.final || b.resp.hasErr
	}
	return b.sawDone || b.agg.allFinished(b.req.n) || b.agg.errRaw != nil
}

// Close closes the body. Right after the finish chunk of a stream whose
// usage was asked for (by the library or the client), it lets the usage
// arrive: it returns at once and reads on in the background for a bounded
// time.
func (b *body) Close() error {
	b.closeOnce.Do(func() {
		b.closed.Store(true)
		b.mu.Lock()
		if !b.done && b.sse && (b.req.UsageInjected || b.req.UsageAsked) && b.req.Route != Responses &&
			!b.agg.usage.Present && !b.sawDone && b.agg.anyFinished() && b.rerr == nil && b.inRead.Load() == 0 {
			b.fr.filter, b.fr.out, b.fr.held = false, nil, nil // nobody reads on
			// Told before Unlock: an Abort (a cancelled context) then ends
			// what was counted.
			b.draining()
			b.mu.Unlock()
			closeGap()
			go b.drain()
			return
		}
		// An error answer closed unread (openai-go does so before it
		// retries): read the small error body first, so the attempt is
		// recorded with the server's message. Close still returns at once.
		if !b.done && !b.sse && !b.opaque && (b.status < 200 || b.status > 299) && b.rerr == nil && b.inRead.Load() == 0 {
			b.draining()
			b.mu.Unlock()
			closeGap()
			go b.drainError()
			return
		}
		var res *Result
		if !b.done {
			res = b.endLocked(nil, true)
		}
		// Closed first, then no Read in progress: every later Read sees
		// closed and returns before touching the buffers.
		if b.buf != nil && b.inRead.Load() == 0 {
			putFilterBufs(b.fbufs, b.buf, &b.fr)
			b.fbufs, b.buf, b.outPos = nil, nil, 0
		}
		b.mu.Unlock()
		b.closeErr = b.rcClose()
		b.deliver(res)
	})
	return b.closeErr
}

// drainError reads an unread error body after Close, for drainWait and
// drainBytes at most, then closes it and ends the recording.
func (b *body) drainError() {
	t := time.AfterFunc(drainWait, func() { b.rcClose() })
	buf := make([]byte, 4<<10)
	for read := 0; read < drainBytes; {
		n, err := b.rc.Read(buf)
		read += n
		b.observe(buf[:n], err) // ends the recording at EOF
		if err != nil {
			break
		}
	}
	t.Stop()
	b.rcClose()
	b.mu.Lock()
	var res *Result
	if !b.done {
		res = b.endLocked(nil, false)
	}
	b.mu.Unlock()
	b.deliver(res)
}

// drain reads what follows the finish chunk until the usage arrives, the
// stream ends, drainWait passes or drainBytes are read; then closes.
func (b *body) drain() {
	t := time.AfterFunc(drainWait, func() { b.rcClose() })
	buf := make([]byte, 4<<10)
	for read := 0; read < drainBytes; {
		n, err := b.rc.Read(buf)
		read += n
		b.mu.Lock()
		b.fr.feed(buf[:n])
		if err == io.EOF {
			b.fr.close()
		}
		stop := err != nil || b.done || b.agg.usage.Present || b.sawDone
		b.mu.Unlock()
		if stop {
			break
		}
	}
	t.Stop()
	b.rcClose()
	b.mu.Lock()
	var res *Result
	if !b.done {
		res = b.endLocked(nil, false)
		res.CutShort = false // the answer had ended; only its usage was awaited
	}
	b.mu.Unlock()
	b.deliver(res)
}

// Filters reports whether the body hides an event of the stream (the
// usage event the injection caused), so that it is shorter than sent.
func (b *body) Filters() bool { return b.reading != nil && b.fr.filter }

// Abort ends the recording now with what was read so far.
func (b *body) Abort(err error) {
	b.mu.Lock()
	var res *Result
	if !b.done {
		res = b.endLocked(err, true)
	}
	b.mu.Unlock()
	b.deliver(res)
}

// endLocked builds the Result, once; b.mu is held. closing is true for
// Close and Abort: the answer is cut short unless it had ended.
func (b *body) endLocked(readErr error, closing bool) (res *Result) {
	b.done = true
	if b.sse && b.ended() {
		// The answer had ended (every choice finished, or its final
		// event); only its usage or [DONE] was awaited: a read that fails
		// then, or a context cancelled then (Abort), fails nothing, as
		// when Close comes first.
		readErr = nil
	}
	res = &b.res
	*res = Result{Status: b.status, ReadErr: readErr}
	if !b.sse && !b.opaque {
		if _, ok := b.onEnd.(Deferrer); ok {
			// Read when deliver hands it over (finishJSON): the Result and
			// the buffers are no one else's once done is set.
			b.later, b.laterClosing = true, closing
			return res
		}
	}
	defer func() {
		if recover() != nil { // never: but a recording bug must not panic the caller
			*res = Result{Status: b.status, ReadErr: readErr, CutShort: closing}
		}
		b.releaseHead()
	}()
	ended := true
	switch {
	case b.opaque:
		ended = readErr == nil && !closing
	case !b.sse:
		ended = b.jsonEnd(res, closing)
	case b.req.Route == Responses:
		b.resp.result(res)
		ended = b.ended()
	default:
		b.aggResult(&b.agg, res)
		ended = b.ended()
	}
	if b.badJSON {
		res.Malformed = "the server sent an event that is not valid JSON"
	}
	if b.reading != nil {
		res.FirstToken = b.agg.first
		res.Omitted = satAdd(res.Omitted, b.agg.bud.omitted)
	}
	res.CutShort = closing && !ended
	return res
}

// jsonEnd reads the JSON answer into res; it reports whether the answer
// had ended.
func (b *body) jsonEnd(res *Result, closing bool) (ended bool) {
	ended = b.jsonResult(res)
	if b.status >= 200 && b.status <= 299 && !b.jb.cut() && !b.valid {
		// Read to its end and not valid; or closed before its end
		// (go-openai closes as soon as its decoder fails) where the
		// answer could not be read whole and encoding/json stops at a
		// byte it refuses, not at the end of what came.
		if closing && !ended && syntaxError(b.jb.head) || !closing && !validJSON(b.jb.head) {
			res.Malformed = "the response body is not valid JSON"
		}
	}
	return ended
}

// finishJSON is endLocked's reading of a JSON answer, left to the
// Deferrer: on its goroutine, or at once when it declined. Nothing else
// touches res or the answer's buffers once the body is done.
func (b *body) finishJSON(res *Result) {
	closing, readErr := b.laterClosing, res.ReadErr
	defer func() {
		if recover() != nil { // never: but a recording bug must not panic the caller
			*res = Result{Status: b.status, ReadErr: readErr, CutShort: closing}
		}
		b.releaseHead()
	}()
	ended := b.jsonEnd(res, closing)
	res.CutShort = closing && !ended
}

// aggResult sets the Result's fields from the chat or completion aggregate.
func (b *body) aggResult(a *aggregate, res *Result) {
	if b.req.Route == Completion {
		res.Output = a.completionOutput()
		if a.idRaw != nil {
			a.id = string(a.idRaw)
		}
	} else {
		var id string
		res.Output, id, res.IDInOutput = a.chatOutput(a.idRaw)
		if a.idRaw != nil {
			a.id = id
		}
	}
	a.idRaw = nil
	res.ID, res.Model, res.ServiceTier, res.Usage = a.id, a.model, a.tier, a.usage
	res.FinishReasons = a.finishReasons(b.fin0[:0])
	if a.errRaw != nil {
		if e, ok := parseErrorValue(a.errRaw); ok {
			res.ErrMessage, res.ErrType, res.ErrCode = e.message, e.typ, e.code
		}
	}
}

// rcClose closes the underlying body once.
func (b *body) rcClose() error {
	b.rcOnce.Do(func() { b.rcErr = b.rc.Close() })
	return b.rcErr
}

// deliver calls onEnd; a panic in it does not reach the caller. A JSON
// answer left to the Deferrer (endLocked) is read first: beside the
// reader when the Deferrer takes it, else now.
func (b *body) deliver(res *Result) {
	if res == nil || b.onEnd == nil {
		return
	}
	if b.later {
		if d, ok := b.onEnd.(Deferrer); ok && b.stored && laterOK(d, len(b.jb.head)) {
			return // FinishLater
		}
		b.finishJSON(res)
	}
	b.tell(res)
}

// closeGapHook, when set (tests), runs in Close between its decision to
// read on in the background and the start of that reading.
var closeGapHook func()

func closeGap() {
	if closeGapHook != nil {
		closeGapHook()
	}
}

// draining tells the Deferrer that the body reads on after Close; b.mu is
// held, so that an Abort (a cancelled context) cannot end the recording
// in between, before it was counted.
func (b *body) draining() {
	defer func() { _ = recover() }()
	if d, ok := b.onEnd.(Deferrer); ok {
		d.Draining()
	}
}

// laterOK asks d to finish later; a panic in d is a no.
func laterOK(d Deferrer, size int) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	return d.Later(size)
}

// tell calls onEnd; a panic in it does not reach the caller.
func (b *body) tell(res *Result) {
	defer func() { _ = recover() }()
	b.onEnd.Ended(res)
}

// filterBufs are a filtered stream's read buffer and its framer's
// buffers (output, the line carried over reads, the event's data and held
// bytes), reused across calls: 12 KiB and three more allocations a stream
// otherwise.
type filterBufs struct{ buf, out, line, data, held []byte }

var filterPool sync.Pool

// getFilterBufs returns the read buffer and the holder, which
// putFilterBufs takes back (so that putting them back allocates nothing),
// and gives fr its buffers (fr has none yet: it is new and has read
// nothing).
func getFilterBufs(n int, fr *framer) (*filterBufs, []byte) {
	if f, ok := filterPool.Get().(*filterBufs); ok && len(f.buf) >= n {
		fr.out, fr.line, fr.data, fr.held = f.out[:0], f.line[:0], f.data[:0], f.held[:0]
		return f, f.buf[:n]
	}
	fr.out = make([]byte, 0, 2*n)
	return new(filterBufs), make([]byte, n)
}

// putFilterBufs takes back the buffers of a stream that nobody reads on,
// and takes them from fr. Big ones are left to the collector.
func putFilterBufs(f *filterBufs, buf []byte, fr *framer) {
	out, line, data, held := fr.out, fr.line, fr.data, fr.held
	fr.out, fr.line, fr.data, fr.held, fr.borrow = nil, nil, nil, nil, nil
	if f == nil || cap(buf) > 32<<10 || cap(out) > 256<<10 || cap(line)+cap(data)+cap(held) > 256<<10 {
		return
	}
	f.buf, f.out, f.line, f.data, f.held = buf[:cap(buf)], out[:0], line[:0], data[:0], held[:0]
	filterPool.Put(f)
}
