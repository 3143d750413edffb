package wire

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

// choiceDelta is one choice of a chat or completion chunk (delta) or of a
// whole response (message).
type choiceDelta struct {
	index                                           int
	hasIndex                                        bool
	role, content, reasoning, refusal, text, finish jstr
	fnName, fnArgs                                  jstr
	hasFn                                           bool
	tools                                           int // tool deltas of this choice in chunk.tools
}

// toolDelta is one tool call of a choice's delta or message.
type toolDelta struct {
	choice              int // index in chunk.choices
	index               int
	hasIndex            bool
	id, typ, name, args jstr
}

// chunk is a chat or completion chunk, or a whole chat or completion
// response, read by the scanner. Its slices are reused between chunks.
type chunk struct {
	id, model, tier jstr
	usage           []byte // raw usage object; nil when absent or null
	hasChoices      bool
	choices         []choiceDelta
	tools           []toolDelta
	err             []byte // raw "error" value when not null
}

// parse reads b into c; false when b is not a JSON object as expected.
func (c *chunk) parse(b []byte) bool {
	c.id, c.model, c.tier = jstr{}, jstr{}, jstr{}
	c.usage, c.err, c.hasChoices = nil, nil, false
	c.choices, c.tools = c.choices[:0], c.tools[:0]
	s := scanner{b: b}
	if !s.open('{') {
		return false
	}
	for n := 0; s.next('}', &n); {
		k, esc := s.key()
		switch string(unescapedKey(k, esc)) {
		case "id":
			c.id = s.jstr()
		case "model":
			c.model = s.jstr()
		case "service_tier":
			c.tier = s.jstr()
		case "usage":
			if s.null() {
				c.usage = nil
			} else if s.peek() == '{' {
				c.usage = s.value()
			} else {
				s.skip()
			}
		case "error":
			if s.null() {
				c.err = nil
			} else {
				c.err = s.value()
			}
		case "choices":
			if s.null() {
				continue
			}
			c.hasChoices = true
			c.choices, c.tools = c.choices[:0], c.tools[:0]
			if !s.open('[') {
				break
			}
			for m := 0; s.next(']', &m); {
				c.choices = append(c.choices, choiceDelta{})
				c.parseChoice(&s, len(c.choices)-1)
			}
		default:
			s.skip()
		}
	}
	s.peek()
	if s.i != len(b) {
		return false // trailing data
	}
	return !s.bad
}

func (c *chunk) parseChoice(s *scanner, at int) {
	if !s.open('{') {
		return
	}
	for n := 0; s.next('}', &n); {
		k, esc := s.key()
		switch string(unescapedKey(k, esc)) {
		case "index":
			c.choices[at].index, c.choices[at].hasIndex = s.index()
		case "delta", "message":
			if s.null() {
				continue
			}
			c.parseDelta(s, at)
		case "text":
			c.choices[at].text = s.jstr()
		case "finish_reason":
			c.choices[at].finish = s.jstr()
		default:
			s.skip()
		}
	}
}

// index reads a non-negative int; ok is false for anything else (skipped).
func (s *scanner) index() (int, bool) {
	c := s.peek()
	if c < '0' || c > '9' {
		s.skip()
		return 0, false
	}
	num := s.num()
	for _, d := range num {
		if d < '0' || d > '9' {
			return 0, false
		}
	}
	if len(num) > 9 {
		return 0, false
	}
	return int(satInt(num)), true
}

func (c *chunk) parseDelta(s *scanner, at int) {
	if !s.open('{') {
		return
	}
	for n := 0; s.next('}', &n); {
		k, esc := s.key()
		ch := &c.choices[at]
		switch string(unescapedKey(k, esc)) {
		case "role":
			ch.role = s.jstr()
		case "content":
			ch.content = s.jstr()
		case "reasoning_content":
			ch.reasoning = s.jstr()
		case "refusal":
			ch.refusal = s.jstr()
		case "function_call":
			if s.null() {
				continue
			}
			ch.hasFn = true
			ch.fnName, ch.fnArgs = s.function()
		case "tool_calls":
			if s.null() {
				continue
			}
			if !s.open('[') {
				break
			}
			for m := 0; s.next(']', &m); {
				c.tools = append(c.tools, toolDelta{choice: at})
				c.choices[at].tools++
				c.parseTool(s, &c.tools[len(c.tools)-1])
			}
		default:
			s.skip()
		}
	}
}

func (c *chunk) parseTool(s *scanner, t *toolDelta) {
	if !s.open('{') {
		return
	}
	for n := 0; s.next('}', &n); {
		k, esc := s.key()
		switch string(unescapedKey(k, esc)) {
		case "index":
			t.index, t.hasIndex = s.index()
		case "id":
			t.id = s.jstr()
		case "type":
			t.typ = s.jstr()
		case "function":
			if s.null() {
				continue
			}
			t.name, t.args = s.function()
		default:
			s.skip()
		}
	}
}

// function reads {"name":…,"arguments":…}.
func (s *scanner) function() (name, args jstr) {
	if !s.open('{') {
		return
	}
	for n := 0; s.next('}', &n); {
		k, esc := s.key()
		switch string(unescapedKey(k, esc)) {
		case "name":
			name = s.jstr()
		case "arguments":
			args = s.jstr()
		default:
			s.skip()
		}
	}
	return name, args
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
