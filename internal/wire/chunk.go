package wire

import (
	"bytes"
	"math"
)

// ref is a jstr inside chunk.data, by offset: the hot path keeps no
// pointers in its reused structs (no write barriers, a third of the size).
type ref struct {
	off, n   int32
	esc, set bool
}

// get resolves r in the chunk's data.
func (c *chunk) get(r ref) jstr {
	if !r.set {
		return jstr{}
	}
	return jstr{raw: c.data[r.off : r.off+r.n], esc: r.esc, set: true}
}

// refAt reads a string (or null, or any other value, not kept) at b[i].
func refAt(b []byte, i int) (int, ref) {
	if b[i] != '"' {
		return skipValue(b, i, 1), ref{}
	}
	end, esc := strEnd(b, i)
	return end, ref{off: int32(i + 1), n: int32(end - i - 2), esc: esc, set: end > 0}
}

// choiceDelta is one choice of a chat or completion chunk (delta) or of a
// whole response (message).
type choiceDelta struct {
	index                                           int
	hasIndex                                        bool
	role, content, reasoning, refusal, text, finish ref
	fnName, fnArgs                                  ref
	hasFn                                           bool
	tools                                           int // tool deltas of this choice in chunk.tools
}

// toolDelta is one tool call of a choice's delta or message.
type toolDelta struct {
	choice              int // index in chunk.choices
	index               int
	hasIndex            bool
	id, typ, name, args ref
}

// chunk is a chat or completion chunk, or a whole chat or completion
// response, read by the scanner. Its slices are reused between chunks.
type chunk struct {
	data            []byte // the chunk's JSON, which refs point into
	id, model, tier ref
	usage           []byte // raw usage object; nil when absent or null
	hasChoices      bool
	choices         []choiceDelta
	tools           []toolDelta
	choice0         [1]choiceDelta // choices' first backing array: one choice needs no allocation
	err             []byte         // raw "error" value when not null
	last            tail           // the last chunk's tail
	head            *head          // the last chunk's head; nil until one is cached (a body's size class stays)
	skipped         []byte         // the last object or array a choice's member skipped (skipMemberCached)
	whole           bool           // a whole response, read once: no tail to remember
}

// head is what comes before a chunk's "choices" key. In a stream it
// repeats byte for byte from chunk to chunk ("id", "object", "created",
// "model", …: OpenAI's and Azure's order), so a chunk that starts with the
// last one's head takes what the head set from the cache: the members
// before i are read the same whatever follows them, and the refs, by
// offset from the chunk's start, stay right.
type head struct {
	bytes           []byte
	id, model, tier ref
	ok              bool
}

// parse reads b into c; false when b is not a JSON object as expected.
func (c *chunk) parse(b []byte) bool {
	if len(b) > math.MaxInt32 {
		return false
	}
	c.data = b
	c.id, c.model, c.tier = ref{}, ref{}, ref{}
	// Pointers are stored only when they change (no write barriers: the
	// chunk lives on the heap).
	if c.usage != nil {
		c.usage = nil
	}
	if c.err != nil {
		c.err = nil
	}
	c.hasChoices = false
	c.choices = c.choices[:0]
	c.tools = c.tools[:0]
	i := ws(b, 0)
	if i >= len(b) || b[i] != '{' {
		return false
	}
	i = ws(b, i+1)
	if i < len(b) && b[i] == '}' {
		return ws(b, i+1) == len(b)
	}
	var t tail // what the members after "choices" set
	t.start = -1
	headHit := false
	if h := c.head; h != nil && h.ok && len(b) > len(h.bytes) && string(b[:len(h.bytes)]) == string(h.bytes) {
		i, headHit = len(h.bytes), true
		c.id, c.model, c.tier = h.id, h.model, h.tier
	}
	for {
		key, esc, v := memberKey(b, i)
		if v < 0 {
			return false
		}
		switch string(unescapedKey(key, esc)) {
		case "id":
			i, c.id = refAt(b, v)
			t.set |= tailID
		case "model":
			i, c.model = refAt(b, v)
			t.set |= tailModel
		case "service_tier":
			i, c.tier = refAt(b, v)
			t.set |= tailTier
		case "usage":
			if i = skipValue(b, v, 1); i >= 0 {
				c.usage, t.usage = nil, span{}
				if b[v] == '{' {
					c.usage, t.usage = b[v:i], span{v, i}
				}
				t.set |= tailUsage
			}
		case "error":
			if i = skipValue(b, v, 1); i >= 0 {
				c.err, t.err = nil, span{}
				if b[v] != 'n' {
					c.err, t.err = b[v:i], span{v, i}
				}
				t.set |= tailErr
			}
		case "choices":
			c.choices = c.choices[:0]
			c.tools = c.tools[:0]
			if b[v] == 'n' {
				i = literal(b, v, "null")
				break
			}
			if !c.hasChoices && t.start == -1 && !headHit {
				c.rememberHead(b, i)
			}
			c.hasChoices = true
			if i = c.parseChoices(b, v); i < 0 || t.start >= 0 {
				t.start = -2 // "choices" twice: no cache
				break
			}
			if c.last.ok && bytes.Equal(b[i:], c.last.bytes) {
				c.restore(b, i)
				return true
			}
			t.start, t.set = i, 0
		default:
			i = skipMember(b, v)
		}
		var more bool
		if i, more = nextMember(b, i, '}'); i < 0 {
			return false
		} else if !more {
			if ws(b, i) != len(b) {
				return false
			}
			c.remember(b, &t)
			return true
		}
	}
}

// tail is what a chunk's members after "choices" set. In a stream they
// repeat byte for byte from chunk to chunk ("created", "id", "model",
// "service_tier", "object", "usage":null), so a chunk whose tail is the
// last one's takes them from the cache instead of reading them again.
type tail struct {
	start      int // where the tail starts; <0: no tail to cache
	bytes      []byte
	set        uint8
	id, model  ref
	tier       ref
	usage, err span
	ok         bool
}

const (
	tailID = 1 << iota
	tailModel
	tailTier
	tailUsage
	tailErr
)

// maxTail bounds the bytes the cache keeps.
const maxTail = 1 << 10

// minHead is the shortest head cached.
const minHead = 16

// remember keeps the tail of a chunk read whole, with its fields relative
// to the tail's start.
func (c *chunk) remember(b []byte, t *tail) {
	if c.whole || t.start < 0 || len(b)-t.start > maxTail {
		c.last.ok = false
		return
	}
	at := int32(t.start)
	rel := func(r ref) ref {
		if r.set {
			r.off -= at
		}
		return r
	}
	relSpan := func(p span) span {
		if p.ok() {
			p.start, p.end = p.start-t.start, p.end-t.start
		}
		return p
	}
	if c.last.bytes == nil {
		c.last.bytes = make([]byte, 0, 256) // one allocation for a stream's tails, which vary a little in length
	}
	c.last = tail{start: 0, bytes: append(c.last.bytes[:0], b[t.start:]...), set: t.set,
		id: rel(c.id), model: rel(c.model), tier: rel(c.tier), usage: relSpan(t.usage), err: relSpan(t.err), ok: true}
}

// rememberHead keeps b[:i], the members before the first "choices" key at
// i, and what they set, when they set no usage or error (which are rare
// there and not cached). A short head (Ark's "{") is not worth a cache.
func (c *chunk) rememberHead(b []byte, i int) {
	if c.whole || c.usage != nil || c.err != nil || i > maxTail || i < minHead {
		if c.head != nil {
			c.head.ok = false
		}
		return
	}
	if c.head == nil {
		c.head = new(head)
	}
	h := c.head
	if cap(h.bytes) < i {
		h.bytes = make([]byte, 0, i+32) // one allocation for a stream's heads, which vary a little in length
	}
	h.bytes = append(h.bytes[:0], b[:i]...)
	h.id, h.model, h.tier, h.ok = c.id, c.model, c.tier, true
}

// restore sets the fields of a tail equal to the cached one, at i.
func (c *chunk) restore(b []byte, i int) {
	t := &c.last
	abs := func(r ref) ref {
		if r.set {
			r.off += int32(i)
		}
		return r
	}
	if t.set&tailID != 0 {
		c.id = abs(t.id)
	}
	if t.set&tailModel != 0 {
		c.model = abs(t.model)
	}
	if t.set&tailTier != 0 {
		c.tier = abs(t.tier)
	}
	if t.set&tailUsage != 0 {
		c.usage = nil
		if t.usage.ok() {
			c.usage = b[i+t.usage.start : i+t.usage.end]
		}
	}
	if t.set&tailErr != 0 {
		c.err = nil
		if t.err.ok() {
			c.err = b[i+t.err.start : i+t.err.end]
		}
	}
}

func (c *chunk) parseChoices(b []byte, i int) int {
	i, empty := openAt(b, i, '[', ']')
	if i < 0 || empty {
		return i
	}
	for {
		if c.choices == nil {
			c.choices = c.choice0[:0]
		}
		c.choices = append(c.choices, choiceDelta{})
		if i = c.parseChoice(b, i, len(c.choices)-1); i < 0 {
			return -1
		}
		var more bool
		if i, more = nextMember(b, i, ']'); i < 0 || !more {
			return i
		}
	}
}

func (c *chunk) parseChoice(b []byte, i, at int) int {
	i, empty := openAt(b, i, '{', '}')
	if i < 0 || empty {
		return i
	}
	for {
		key, esc, v := memberKey(b, i)
		if v < 0 {
			return -1
		}
		ch := &c.choices[at]
		switch string(unescapedKey(key, esc)) {
		case "index":
			i, ch.index, ch.hasIndex = indexAt(b, v)
		case "delta", "message":
			i = c.parseDelta(b, v, at)
		case "text":
			i, ch.text = refAt(b, v)
		case "finish_reason":
			i, ch.finish = refAt(b, v)
		default:
			i = c.skipMemberCached(b, v)
		}
		var more bool
		if i, more = nextMember(b, i, '}'); i < 0 || !more {
			return i
		}
	}
}

// maxSkipped bounds the bytes of the skipped value kept.
const maxSkipped = 1 << 10

// skipMemberCached is skipMember for a choice's members, which in a stream
// repeat byte for byte from chunk to chunk (Azure's content_filter_results,
// logprobs:null): an object or array equal to the last one skipped is
// compared, not read again. Equal bytes from its opening byte to its
// closing one are read the same (the closing byte, not what follows, ends
// it), and it was read at the same depth.
func (c *chunk) skipMemberCached(b []byte, v int) int {
	if b[v] != '{' && b[v] != '[' {
		return skipMember(b, v)
	}
	if n := len(c.skipped); n > 0 && len(b)-v >= n && string(b[v:v+n]) == string(c.skipped) {
		return v + n
	}
	i := skipMember(b, v)
	if i > 0 && i-v <= maxSkipped && !c.whole {
		c.skipped = append(c.skipped[:0], b[v:i]...)
	}
	return i
}

// functionAt reads {"name":…,"arguments":…}.
func (c *chunk) functionAt(b []byte, i int) (end int, name, args ref) {
	i, empty := openAt(b, i, '{', '}')
	if i < 0 || empty {
		return i, name, args
	}
	for {
		key, esc, v := memberKey(b, i)
		if v < 0 {
			return -1, name, args
		}
		switch string(unescapedKey(key, esc)) {
		case "name":
			i, name = refAt(b, v)
		case "arguments":
			i, args = refAt(b, v)
		default:
			i = skipMember(b, v)
		}
		var more bool
		if i, more = nextMember(b, i, '}'); i < 0 || !more {
			return i, name, args
		}
	}
}
