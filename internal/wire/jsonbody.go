package wire

import (
	"bytes"
	"encoding/base64"
	"strconv"
	"sync"
	"unicode/utf8"
)

// jsonBuf keeps a JSON (non-stream) body as the caller reads it, bounded:
// the first max bytes, then only the last tailSize bytes, where usage sits.
type jsonBuf struct {
	head   []byte
	pooled *headBuf // head's pool holder; nil when head is not from the pool
	tail   []byte
	total  int64
	max    int
}

const tailSize = 16 << 10

func (j *jsonBuf) write(p []byte) {
	j.total += int64(len(p))
	if room := j.max - len(j.head); room > 0 {
		n := min(room, len(p))
		j.head = append(j.head, p[:n]...)
		p = p[n:]
	}
	if len(p) == 0 {
		return
	}
	if len(p) >= tailSize {
		j.tail = append(j.tail[:0], p[len(p)-tailSize:]...)
		return
	}
	j.tail = append(j.tail, p...)
	if len(j.tail) > 2*tailSize {
		n := copy(j.tail, j.tail[len(j.tail)-tailSize:])
		j.tail = j.tail[:n]
	}
}

// cut reports whether part of the body was not kept.
func (j *jsonBuf) cut() bool { return j.total > int64(len(j.head)) }

// usageInTail finds the last usage object in the kept tail.
func (j *jsonBuf) usageInTail() (Usage, bool) {
	i := bytes.LastIndex(j.tail, []byte(`"usage"`))
	if i < 0 {
		return Usage{}, false
	}
	s := scanner{b: j.tail, i: i + len(`"usage"`)}
	s.expect(':')
	if s.peek() != '{' {
		return Usage{}, false
	}
	v := s.value()
	if s.bad {
		return Usage{}, false
	}
	return parseUsage(v), true
}

// jsonResult reads a whole JSON answer into res; ended is false when the
// body is not a whole JSON value (closed early, or cut by the bound).
func (b *body) jsonResult(res *Result) (ended bool) {
	j := &b.jb
	data := j.head
	if b.status < 200 || b.status > 299 {
		if e, ok := parseErrorBody(data); ok {
			res.ErrMessage, res.ErrType, res.ErrCode = e.message, e.typ, e.code
		}
		return validJSON(data)
	}
	switch b.req.Route {
	case Chat, Completion:
		rd := getReading()
		rd.agg.bud.left = b.opt.maxValue()
		rd.agg.reqModel = b.req.Model
		rd.ch.whole = true
		ended = rd.ch.parse(data)
		// The scanner read every byte with validJSON's own primitives; below
		// maxDepth bytes the nesting cannot reach the depth bound either, so
		// validJSON would say the same (FuzzWholeParseImpliesValid).
		b.valid = ended && len(data) < maxDepth
		rd.agg.add(&rd.ch, true) // when cut or closed early: what was read whole before
		b.aggResult(&rd.agg, res)
		res.Omitted = satAdd(res.Omitted, rd.agg.bud.omitted)
		putReading(rd)
	case Embedding:
		ended = b.embeddingResult(data, res)
	case Responses:
		bud := budget{left: b.opt.maxValue()}
		b.resp.readResponse(data, &bud)
		b.resp.result(res)
		res.Omitted = satAdd(res.Omitted, bud.omitted)
		ended = validJSON(data)
	default:
		ended = validJSON(data)
	}
	if j.cut() {
		res.Omitted = satAdd(res.Omitted, j.total-int64(len(j.head)))
		if b.req.Route == Chat {
			// One message too long to read whole: keep its beginning.
			if prefix := partialContent(j.head, b.opt.maxValue()); len(prefix) > len(res.Output) {
				res.Output = append(append([]byte(`{"role":"assistant","content":"`), prefix...), `"}`...)
			}
		}
		if !res.Usage.Present {
			if u, ok := j.usageInTail(); ok {
				res.Usage = u
			}
		}
		ended = true // the bound cut it, not the caller
	}
	return ended
}

func validJSON(b []byte) bool {
	s := scanner{b: b}
	s.skip()
	s.peek()
	return !s.bad && s.i == len(b)
}

// embeddingResult records an embeddings answer as a summary: how many
// vectors, of what dimension; never the vectors.
func (b *body) embeddingResult(data []byte, res *Result) bool {
	s := scanner{b: data}
	count, dims := 0, 0
	if !s.open('{') {
		return false
	}
	for n := 0; s.next('}', &n); {
		k, esc := s.key()
		switch string(unescapedKey(k, esc)) {
		case "model":
			if v := s.jstr(); v.set {
				res.Model = cleanString(v.raw, v.esc, 1<<10)
			}
		case "id":
			if v := s.jstr(); v.set {
				res.ID = cleanString(v.raw, v.esc, 1<<10)
			}
		case "usage":
			if s.peek() == '{' {
				res.Usage = parseUsage(s.value())
			} else {
				s.skip()
			}
		case "data":
			if s.null() || !s.open('[') {
				continue
			}
			for m := 0; s.next(']', &m); {
				if count == 0 {
					dims = embeddingDims(&s)
				} else {
					s.skip()
				}
				count++
			}
		default:
			s.skip()
		}
	}
	if b.jb.cut() {
		count = b.embeds.count // the body was not kept whole: counted as it passed
	}
	if count > 0 || !s.bad {
		out := append([]byte(`{"count":`), itoa(count)...)
		out = append(out, `,"dimensions":`...)
		out = append(out, itoa(dims)...)
		res.Output = append(out, '}')
	}
	return !s.bad
}

// embeddingDims reads one data item and returns its vector's dimension
// (a list of floats, or base64 of float32s).
func embeddingDims(s *scanner) (dims int) {
	if !s.open('{') {
		return 0
	}
	for n := 0; s.next('}', &n); {
		k, esc := s.key()
		if !keyIs(k, esc, "embedding") {
			s.skip()
			continue
		}
		switch s.peek() {
		case '[':
			s.open('[')
			for m := 0; s.next(']', &m); {
				s.skip()
				dims++
			}
		case '"':
			raw, _ := s.str()
			dims = base64.StdEncoding.DecodedLen(len(bytes.TrimRight(raw, "="))) / 4
			if n := len(raw); n%4 == 0 {
				dims = (n/4*3 - (n - len(bytes.TrimRight(raw, "=")))) / 4
			}
		default:
			s.skip()
		}
	}
	return dims
}

func itoa(n int) []byte { return strconv.AppendInt(nil, int64(n), 10) }

// partialContent returns the beginning of the first message's content in
// a chat answer cut by the bound, as the escaped bytes of a JSON string
// (they are already escaped on the wire), at most max bytes, never cut
// inside an escape or a UTF-8 sequence; nil when there is none.
func partialContent(head []byte, max int) []byte {
	return partialField(head, `"message"`, `"content"`, max)
}

// partialField is partialContent for the first string member field after
// container (a stream chunk's "delta" and "content", say).
func partialField(head []byte, container, field string, max int) []byte {
	i := bytes.Index(head, []byte(container))
	if i < 0 {
		return nil
	}
	j := bytes.Index(head[i:], []byte(field))
	if j < 0 {
		return nil
	}
	p := i + j + len(field)
	for p < len(head) && (head[p] == ' ' || head[p] == ':' || head[p] == '\t' || head[p] == '\n' || head[p] == '\r') {
		p++
	}
	if p >= len(head) || head[p] != '"' {
		return nil
	}
	start := p + 1
	end := start
	for end < len(head) && end-start < max {
		c := head[end]
		if c == '"' {
			break
		}
		if c == '\\' {
			n := 2
			if end+1 < len(head) && head[end+1] == 'u' {
				n = 6
			}
			if end+n > len(head) || end+n-start > max {
				break
			}
			end += n
			continue
		}
		end++
	}
	// Back off to the start of the last rune if it is not whole.
	r := end
	for r > start && end-r < utf8.UTFMax && !utf8.RuneStart(head[r-1]) {
		r--
	}
	if r > start && !utf8.FullRune(head[r-1:end]) {
		end = r - 1
	}
	return head[start:end]
}

// A JSON answer's copy is taken from a pool of a few size classes and
// given back once the Result is built (endLocked): every value the Result
// carries is a copy (cleanString, value.addBytes, appendValue, the
// output's own buffer), never a view of the copy. Buffers over the largest
// class are not pooled, so the pool holds at most maxPooledHead a buffer.
const (
	minPooledHead = 4 << 10
	maxPooledHead = 64 << 10
)

// headClasses are the pooled capacities: 4, 16 and 64 KiB.
var headClasses = [...]int{minPooledHead, 16 << 10, maxPooledHead}

var headPools [len(headClasses)]sync.Pool

// headBuf holds a pooled buffer, so that putting it back allocates nothing.
type headBuf struct{ b []byte }

// getHead returns an empty buffer for a JSON answer of hint bytes (0 or
// less: unknown), bounded by limit, and its pool holder (nil: not pooled).
func getHead(hint int64, limit int) (*headBuf, []byte) {
	if hint > int64(maxPooledHead) {
		return nil, make([]byte, 0, min(hint, int64(limit)))
	}
	for i, c := range headClasses {
		if hint <= int64(c) {
			if p, ok := headPools[i].Get().(*headBuf); ok {
				return p, p.b[:0]
			}
			return new(headBuf), make([]byte, 0, c)
		}
	}
	return nil, nil // not reached
}

// releaseHeadHook, when set (tests), sees each buffer given back to the
// pool, before it is reused.
var releaseHeadHook func([]byte)

// releaseHead gives the JSON answer's copy back to its pool; b.mu is
// held and the recording has ended (b.done): nothing reads it again.
func (b *body) releaseHead() {
	h, hb := b.jb.head, b.jb.pooled
	if h == nil {
		return
	}
	b.jb.head, b.jb.pooled = nil, nil
	if hb == nil {
		hb = new(headBuf) // grown from nothing: a chunked answer
	}
	for i := len(headClasses) - 1; i >= 0; i-- {
		if c := cap(h); c >= headClasses[i] {
			if c > 2*headClasses[i] && i == len(headClasses)-1 {
				return // grown past the largest class: not kept
			}
			if releaseHeadHook != nil {
				releaseHeadHook(h[:cap(h)])
			}
			hb.b = h[:0]
			headPools[i].Put(hb)
			return
		}
	}
}

// reading is what reading an answer's events or JSON takes: the SSE
// framer, the chunk the scanner fills and the aggregate it folds into.
type reading struct {
	fr  framer
	ch  chunk
	agg aggregate
}

// readingPool holds the readings of JSON answers, each used for one
// jsonResult: every value its Result carries is a copy (cleanString, the
// output's own buffer, the request's model), so nothing of it is left in
// use once the Result is built.
var readingPool = sync.Pool{New: func() any { return new(reading) }}

// maxPooledArena bounds the arena and scratch buffers a pooled reading
// keeps for the next answer.
const maxPooledArena = 16 << 10

// releaseReadingHook, when set (tests), sees the arena and scratch
// buffer of each reading given back to the pool, before they are reused.
var releaseReadingHook func(arena, scratch []byte)

func getReading() *reading { return readingPool.Get().(*reading) }

// putReading clears rd, keeping its arena's and scratch buffer's storage
// (only chatOutput and completionOutput read the values there, into
// buffers of their own), and gives it back.
func putReading(rd *reading) {
	arena, scratch := rd.agg.arena[:0], rd.agg.scratch[:0]
	if releaseReadingHook != nil {
		releaseReadingHook(arena[:cap(arena)], scratch[:cap(scratch)])
	}
	// The framer is never used by a JSON answer: it is zero still.
	rd.ch, rd.agg = chunk{}, aggregate{}
	if cap(arena) <= maxPooledArena {
		rd.agg.arena = arena
	}
	if cap(scratch) <= maxPooledArena {
		rd.agg.scratch = scratch
	}
	readingPool.Put(rd)
}
