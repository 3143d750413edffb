package wire

import (
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
	err             []byte // raw "error" value when not null
}

// parse reads b into c; false when b is not a JSON object as expected.
func (c *chunk) parse(b []byte) bool {
	if len(b) > math.MaxInt32 {
		return false
	}
	c.data = b
	c.id, c.model, c.tier = ref{}, ref{}, ref{}
	c.usage, c.err, c.hasChoices = nil, nil, false
	c.choices, c.tools = c.choices[:0], c.tools[:0]
	i := ws(b, 0)
	if i >= len(b) || b[i] != '{' {
		return false
	}
	i = ws(b, i+1)
	if i < len(b) && b[i] == '}' {
		return ws(b, i+1) == len(b)
	}
	for {
		key, esc, v := memberKey(b, i)
		if v < 0 {
			return false
		}
		switch string(key) {
		case "id":
			i, c.id = refAt(b, v)
		case "model":
			i, c.model = refAt(b, v)
		case "service_tier":
			i, c.tier = refAt(b, v)
		case "usage", "error":
			i = skipValue(b, v, 1)
			if i >= 0 && b[v] != 'n' {
				if key[0] == 'u' {
					if b[v] == '{' {
						c.usage = b[v:i]
					}
				} else {
					c.err = b[v:i]
				}
			} else if i >= 0 && key[0] == 'u' {
				c.usage = nil
			}
		case "choices":
			c.choices, c.tools = c.choices[:0], c.tools[:0]
			if b[v] == 'n' {
				i = literal(b, v, "null")
				break
			}
			c.hasChoices = true
			i = c.parseChoices(b, v)
		default:
			i = skipMember(b, esc, v)
		}
		if uint(i) < uint(len(b)) && b[i] == ',' { // compact JSON: the next member
			i++
			continue
		}
		var more bool
		if i, more = memberEnd(b, i, '}'); i < 0 {
			return false
		} else if !more {
			return ws(b, i) == len(b)
		}
	}
}

func (c *chunk) parseChoices(b []byte, i int) int {
	i, empty := openAt(b, i, '[', ']')
	if i < 0 || empty {
		return i
	}
	for {
		c.choices = append(c.choices, choiceDelta{})
		if i = c.parseChoice(b, i, len(c.choices)-1); i < 0 {
			return -1
		}
		if uint(i) < uint(len(b)) && b[i] == ',' { // compact JSON: the next member
			i++
			continue
		}
		var more bool
		if i, more = memberEnd(b, i, ']'); i < 0 || !more {
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
		switch string(key) {
		case "index":
			i, ch.index, ch.hasIndex = indexAt(b, v)
		case "delta", "message":
			i = c.parseDelta(b, v, at)
		case "text":
			i, ch.text = refAt(b, v)
		case "finish_reason":
			i, ch.finish = refAt(b, v)
		default:
			i = skipMember(b, esc, v)
		}
		if uint(i) < uint(len(b)) && b[i] == ',' { // compact JSON: the next member
			i++
			continue
		}
		var more bool
		if i, more = memberEnd(b, i, '}'); i < 0 || !more {
			return i
		}
	}
}

// functionAt reads {"name":…,"arguments":…}.
func functionAt(b []byte, i int) (end int, name, args ref) {
	i, empty := openAt(b, i, '{', '}')
	if i < 0 || empty {
		return i, name, args
	}
	for {
		key, esc, v := memberKey(b, i)
		if v < 0 {
			return -1, name, args
		}
		switch string(key) {
		case "name":
			i, name = refAt(b, v)
		case "arguments":
			i, args = refAt(b, v)
		default:
			i = skipMember(b, esc, v)
		}
		if uint(i) < uint(len(b)) && b[i] == ',' { // compact JSON: the next member
			i++
			continue
		}
		var more bool
		if i, more = memberEnd(b, i, '}'); i < 0 || !more {
			return i, name, args
		}
	}
}
