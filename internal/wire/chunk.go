package wire

import (
	"bytes"
	"math"
)

// jstr is a JSON string as sent: the raw bytes between the quotes. A nil
// raw means absent or null.
type jstr struct {
	raw []byte
	esc bool
	set bool
}

func (s *scanner) jstr() jstr {
	if s.null() {
		return jstr{}
	}
	if s.peek() != '"' {
		s.skip() // not a string: not recorded
		return jstr{}
	}
	raw, esc := s.str()
	return jstr{raw: raw, esc: esc, set: true}
}

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
		key, v := memberKey(b, i)
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
			i = skipKey(b, key, v)
		}
		if i < 0 {
			return false
		}
		var more bool
		if i, more = memberEnd(b, i, '}'); i < 0 {
			return false
		} else if !more {
			return ws(b, i) == len(b)
		}
	}
}

// memberKey reads `"key":` at b[i] and returns the key and the index of
// the value (after white space); -1 on a syntax error. A key with escapes
// is returned as is: it matches no field, as no field name needs them.
func memberKey(b []byte, i int) (key []byte, v int) {
	if i >= len(b) || b[i] != '"' {
		return nil, -1
	}
	end, _ := strEnd(b, i)
	if end < 0 {
		return nil, -1
	}
	key = b[i+1 : end-1]
	if end = ws(b, end); end >= len(b) || b[end] != ':' {
		return nil, -1
	}
	if v = ws(b, end+1); v >= len(b) {
		return nil, -1 // callers may read b[v]
	}
	return key, v
}

// skipKey skips the value of a member whose key is not read; a key with
// escapes that spells a field name is refused, so that the event is not
// recorded wrongly rather than recorded without the field.
func skipKey(b, key []byte, v int) int {
	if len(key) > 0 && bytes.IndexByte(key, '\\') >= 0 {
		return -1
	}
	return skipValue(b, v, 1)
}

// memberEnd reads what follows a member or element: a comma (more is
// true, i is the next one's start) or the closing byte.
func memberEnd(b []byte, i int, end byte) (int, bool) {
	i = ws(b, i)
	if i >= len(b) {
		return -1, false
	}
	if b[i] == ',' {
		return ws(b, i+1), true
	}
	if b[i] == end {
		return i + 1, false
	}
	return -1, false
}

// refAt reads a string (or null, or any other value, not kept) at b[i].
func refAt(b []byte, i int) (int, ref) {
	if i >= len(b) || b[i] != '"' {
		return skipValue(b, i, 1), ref{}
	}
	end, esc := strEnd(b, i)
	if end < 0 {
		return -1, ref{}
	}
	return end, ref{off: int32(i + 1), n: int32(end - i - 2), esc: esc, set: true}
}

// openAt reads the opening byte of an object or array; v is after it,
// empty reports an immediate close (v then after the close). Any other
// value is skipped, as empty: a field of an unexpected type is not read.
func openAt(b []byte, i int, open, close byte) (v int, empty bool) {
	if i >= len(b) || b[i] != open {
		return skipValue(b, i, 1), true
	}
	i = ws(b, i+1)
	if i < len(b) && b[i] == close {
		return i + 1, true
	}
	return i, false
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
		key, v := memberKey(b, i)
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
			i = skipKey(b, key, v)
		}
		if i < 0 {
			return -1
		}
		var more bool
		if i, more = memberEnd(b, i, '}'); i < 0 || !more {
			return i
		}
	}
}

// indexAt reads a non-negative int below 1e9; ok is false for anything
// else (read and ignored).
func indexAt(b []byte, i int) (end, n int, ok bool) {
	end = skipValue(b, i, 1)
	if end < 0 || end-i > 9 {
		return end, 0, false
	}
	for _, d := range b[i:end] {
		if d < '0' || d > '9' {
			return end, 0, false
		}
		n = n*10 + int(d-'0')
	}
	return end, n, true
}

func (c *chunk) parseDelta(b []byte, i, at int) int {
	if i < len(b) && b[i] == 'n' {
		return literal(b, i, "null")
	}
	i, empty := openAt(b, i, '{', '}')
	if i < 0 || empty {
		return i
	}
	for {
		key, v := memberKey(b, i)
		if v < 0 {
			return -1
		}
		ch := &c.choices[at]
		switch string(key) {
		case "role":
			i, ch.role = refAt(b, v)
		case "content":
			i, ch.content = refAt(b, v)
		case "reasoning_content":
			i, ch.reasoning = refAt(b, v)
		case "refusal":
			i, ch.refusal = refAt(b, v)
		case "function_call":
			if b[v] == 'n' {
				i = literal(b, v, "null")
				break
			}
			ch.hasFn = true
			i, ch.fnName, ch.fnArgs = functionAt(b, v)
		case "tool_calls":
			i = c.parseTools(b, v, at)
		default:
			i = skipKey(b, key, v)
		}
		if i < 0 {
			return -1
		}
		var more bool
		if i, more = memberEnd(b, i, '}'); i < 0 || !more {
			return i
		}
	}
}

func (c *chunk) parseTools(b []byte, i, at int) int {
	if i < len(b) && b[i] == 'n' {
		return literal(b, i, "null")
	}
	i, empty := openAt(b, i, '[', ']')
	if i < 0 || empty {
		return i
	}
	for {
		c.tools = append(c.tools, toolDelta{choice: at})
		c.choices[at].tools++
		if i = c.parseTool(b, i, &c.tools[len(c.tools)-1]); i < 0 {
			return -1
		}
		var more bool
		if i, more = memberEnd(b, i, ']'); i < 0 || !more {
			return i
		}
	}
}

func (c *chunk) parseTool(b []byte, i int, t *toolDelta) int {
	i, empty := openAt(b, i, '{', '}')
	if i < 0 || empty {
		return i
	}
	for {
		key, v := memberKey(b, i)
		if v < 0 {
			return -1
		}
		switch string(key) {
		case "index":
			i, t.index, t.hasIndex = indexAt(b, v)
		case "id":
			i, t.id = refAt(b, v)
		case "type":
			i, t.typ = refAt(b, v)
		case "function":
			if b[v] == 'n' {
				i = literal(b, v, "null")
				break
			}
			i, t.name, t.args = functionAt(b, v)
		default:
			i = skipKey(b, key, v)
		}
		if i < 0 {
			return -1
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
		key, v := memberKey(b, i)
		if v < 0 {
			return -1, name, args
		}
		switch string(key) {
		case "name":
			i, name = refAt(b, v)
		case "arguments":
			i, args = refAt(b, v)
		default:
			i = skipKey(b, key, v)
		}
		if i < 0 {
			return -1, name, args
		}
		var more bool
		if i, more = memberEnd(b, i, '}'); i < 0 || !more {
			return i, name, args
		}
	}
}

// parseUsage reads a usage object of the chat, completion, embeddings or
// Responses API.
func parseUsage(raw []byte) (u Usage) {
	s := scanner{b: raw}
	if !s.open('{') {
		return u
	}
	u.Present = true
	for n := 0; s.next('}', &n); {
		k, esc := s.key()
		switch string(unescapedKey(k, esc)) {
		case "prompt_tokens", "input_tokens":
			u.Prompt = s.count()
		case "completion_tokens", "output_tokens":
			u.Completion = s.count()
		case "total_tokens":
			u.Total = s.count()
		case "prompt_tokens_details", "input_tokens_details":
			if v, ok := s.detail("cached_tokens"); ok {
				u.CachedPrompt = v
			}
		case "completion_tokens_details", "output_tokens_details":
			if v, ok := s.detail("reasoning_tokens"); ok {
				u.Reasoning = v
			}
		default:
			s.skip()
		}
	}
	return u
}

// count reads a token count; anything but a number is 0.
func (s *scanner) count() int64 {
	c := s.peek()
	if c != '-' && (c < '0' || c > '9') {
		s.skip()
		return 0
	}
	return satInt(s.num())
}

// detail reads one count out of a details object.
func (s *scanner) detail(name string) (v int64, ok bool) {
	if s.peek() != '{' {
		s.skip()
		return 0, false
	}
	s.open('{')
	for n := 0; s.next('}', &n); {
		k, esc := s.key()
		if keyIs(k, esc, name) {
			v, ok = s.count(), true
			continue
		}
		s.skip()
	}
	return v, ok
}
