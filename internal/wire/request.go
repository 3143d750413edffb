package wire

import (
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// DefaultMaxValue is the MaxValue used when Options.MaxValue is not
// positive: 1 MiB, the attribute limit Litefuse itself applies.
const DefaultMaxValue = 1 << 20

func (o *Options) maxValue() int {
	if o.MaxValue <= 0 {
		return DefaultMaxValue
	}
	return min(o.MaxValue, MaxMaxValue)
}

// MaxMaxValue bounds Options.MaxValue (1 TiB): the buffers' bounds are
// small multiples of it, which must not overflow.
const MaxMaxValue = 1 << 40

func (o *Options) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

// notParameters are the request members that are not model parameters:
// the input, the model, the transport of the answer, and identifiers. Any
// other member is a parameter, so one a client adds tomorrow is recorded.
func notParameter(k string) bool {
	switch k {
	case "model", "messages", "prompt", "input", "instructions",
		"stream", "stream_options", "tools", "tool_choice",
		"functions", "function_call", "user", "metadata",
		"previous_response_id", "conversation", "store":
		return true
	}
	return false
}

// span is a member's raw value in the body, as [start, end).
type span struct{ start, end int }

func (p span) ok() bool { return p.end > p.start }

// requestMembers are the spans of the members the request mapping uses.
type requestMembers struct {
	messages, prompt, input, instructions, tools, toolChoice span
	functions, functionCall, streamOptions                   span
	params                                                   []span // key start (its quote) to value end
}

func parseRequest(req *Request, route Route, body []byte, opt Options) (send []byte) {
	defer func() {
		if recover() != nil { // never: but recording code must not panic the caller
			*req, send = Request{Route: route}, nil
		}
	}()
	*req = Request{Route: route}
	var m requestMembers
	var params [16]span // most requests set fewer parameters: no allocation
	m.params = params[:0]
	s := scanner{b: body}
	if !s.open('{') {
		return nil
	}
	for n := 0; s.next('}', &n); {
		s.peek()
		keyStart := s.i
		k, esc := s.key()
		s.peek()
		vs := s.i
		var name string
		if s.bad {
			break
		}
		kb := unescapedKey(k, esc)
		switch string(kb) {
		case "model":
			if s.peek() == '"' {
				raw, e := s.str()
				req.Model = modelString(raw, e, opt.maxValue())
				continue
			}
		case "stream":
			if v, ok := s.boolean(); ok {
				req.Stream = v
				continue
			}
		case "n":
			if c := s.peek(); c >= '0' && c <= '9' {
				req.n = int(min(satInt(s.num()), 1<<16))
				m.params = append(m.params, span{keyStart, s.i}) // still a parameter
				continue
			}
			name = "n"
		default:
			name = string(kb)
		}
		s.skip()
		if s.bad {
			break
		}
		v := span{vs, s.i}
		switch string(kb) {
		case "messages":
			m.messages = v
		case "prompt":
			m.prompt = v
		case "input":
			m.input = v
		case "instructions":
			m.instructions = v
		case "tools":
			m.tools = v
		case "tool_choice":
			m.toolChoice = v
		case "functions":
			m.functions = v
		case "function_call":
			m.functionCall = v
		case "stream_options":
			m.streamOptions = v
		}
		if name != "" && !notParameter(name) {
			m.params = append(m.params, span{keyStart, s.i})
		}
	}
	limit := opt.maxValue()
	// The plain input and the parameters share one allocation: the input
	// first, the parameters in the room after it (each capped to its own).
	pcap := paramsCap(m.params, limit)
	in, room := buildInput(route, body, &m, pcap)
	req.Input, req.InputOmitted = cut(in, limit)
	req.Parameters, req.ParametersOmitted = buildParameters(room, body, m.params, limit)
	if s.bad || !req.Stream || (route != Chat && route != Completion) {
		return nil
	}
	req.UsageAsked = usageAsked(body, m.streamOptions)
	if req.UsageAsked || !opt.InjectUsage {
		return nil
	}
	send = injectUsage(body, m.streamOptions)
	if send == nil {
		return nil
	}
	req.UsageInjected = true
	return send
}

// buildInput is the input recorded for the route, as DESIGN §5 shows it.
// room is spare capacity extra bytes long after the input, when the
// input was copied plainly (nil otherwise).
func buildInput(route Route, body []byte, m *requestMembers, extra int) (in, room []byte) {
	raw := func(p span) []byte { return body[p.start:p.end] }
	member := func(b []byte, key string, p span) []byte {
		if !p.ok() {
			return b
		}
		if b[len(b)-1] != '{' {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, key...)
		b = append(b, '"', ':')
		return append(b, raw(p)...)
	}
	var sp span
	switch route {
	case Chat:
		if !m.tools.ok() && !m.functions.ok() {
			sp = m.messages
			break
		}
		b := append(make([]byte, 0, m.messages.end-m.messages.start+m.tools.end-m.tools.start+64), '{')
		if m.messages.ok() {
			b = member(b, "messages", m.messages)
		} else {
			b = append(b, `"messages":null`...)
		}
		b = member(b, "tools", m.tools)
		b = member(b, "tool_choice", m.toolChoice)
		b = member(b, "functions", m.functions)
		b = member(b, "function_call", m.functionCall)
		return append(b, '}'), nil
	case Completion:
		sp = m.prompt
	case Embedding:
		sp = m.input
	case Responses:
		if !m.instructions.ok() && !m.tools.ok() {
			sp = m.input
			break
		}
		b := append(make([]byte, 0, m.input.end-m.input.start+m.tools.end-m.tools.start+m.instructions.end-m.instructions.start+64), '{')
		b = member(b, "instructions", m.instructions)
		if m.input.ok() {
			b = member(b, "input", m.input)
		} else {
			if b[len(b)-1] != '{' {
				b = append(b, ',')
			}
			b = append(b, `"input":null`...)
		}
		b = member(b, "tools", m.tools)
		b = member(b, "tool_choice", m.toolChoice)
		return append(b, '}'), nil
	}
	if !sp.ok() {
		return nil, nil
	}
	n := sp.end - sp.start
	buf := make([]byte, n, n+extra)
	copy(buf, raw(sp))
	return buf[:n:n], buf[n:n]
}

// buildParameters writes the parameter members as a JSON object, in the
// order sent; a member that does not fit in limit is left out and counted.
func buildParameters(room, body []byte, params []span, limit int) ([]byte, int64) {
	if len(params) == 0 {
		return nil, 0
	}
	b := room[:0]
	if c := paramsCap(params, limit); cap(b) < c {
		b = make([]byte, 0, c)
	}
	b = append(b, '{')
	var omitted int64
	for _, p := range params {
		if len(b)+p.end-p.start+2 > limit {
			omitted += int64(p.end - p.start)
			continue
		}
		if len(b) > 1 {
			b = append(b, ',')
		}
		b = append(b, body[p.start:p.end]...)
	}
	if len(b) == 1 {
		return nil, omitted
	}
	return append(b, '}'), omitted
}

// paramsCap is the room the parameters object needs (0: none).
func paramsCap(params []span, limit int) int {
	if len(params) == 0 {
		return 0
	}
	size := 2
	for _, p := range params {
		size += p.end - p.start + 1
	}
	return min(size, limit)
}

// cut keeps at most limit bytes of v, on a rune boundary, and counts the
// rest.
func cut(v []byte, limit int) ([]byte, int64) {
	if len(v) <= limit {
		return v, 0
	}
	n := limit
	for n > 0 && !utf8.RuneStart(v[n]) {
		n--
	}
	return v[:n:n], int64(len(v) - n)
}

// usageAsked reports whether stream_options.include_usage is true.
func usageAsked(body []byte, so span) bool {
	if !so.ok() {
		return false
	}
	s := scanner{b: body[:so.end], i: so.start}
	if s.peek() != '{' {
		return false
	}
	asked := false
	s.open('{')
	for n := 0; s.next('}', &n); {
		k, esc := s.key()
		if keyIs(k, esc, "include_usage") {
			v, ok := s.boolean()
			if !ok {
				s.skip()
			}
			asked = v // the last one wins, as in encoding/json
			continue
		}
		s.skip()
	}
	return asked && !s.bad
}

// injectUsage returns body with stream_options.include_usage set to true,
// keeping the other stream_options members, or nil when it is already set.
func injectUsage(body []byte, so span) []byte {
	const member = `"include_usage":true`
	if !so.ok() {
		// {"stream_options":{"include_usage":true}, …
		s := scanner{b: body}
		s.expect('{')
		at := s.i
		empty := s.peek() == '}'
		out := make([]byte, 0, len(body)+48)
		out = append(out, body[:at]...)
		out = append(out, `"stream_options":{`+member+`}`...)
		if !empty {
			out = append(out, ',')
		}
		return append(out, body[at:]...)
	}
	obj := append(make([]byte, 0, so.end-so.start+len(member)+2), '{')
	s := scanner{b: body[:so.end], i: so.start}
	if s.peek() == '{' {
		s.open('{')
		for n := 0; s.next('}', &n); {
			s.peek()
			ks := s.i
			k, esc := s.key()
			if keyIs(k, esc, "include_usage") {
				if v, ok := s.boolean(); ok && v {
					return nil // asked for already
				} else if !ok {
					s.skip()
				}
				continue
			}
			s.skip()
			if s.bad {
				break
			}
			obj = append(obj, body[ks:s.i]...)
			obj = append(obj, ',')
		}
	}
	obj = append(obj, member+"}"...)
	out := make([]byte, 0, len(body)-(so.end-so.start)+len(obj))
	out = append(out, body[:so.start]...)
	out = append(out, obj...)
	return append(out, body[so.end:]...)
}

// cleanString is a raw JSON string as valid UTF-8 text of at most limit
// bytes.
func cleanString(raw []byte, esc bool, limit int) string {
	if !esc && len(raw) <= limit {
		if s, ok := common(raw); ok {
			return s
		}
	}
	if esc {
		raw = appendUnescaped(nil, raw)
	}
	if !utf8.Valid(raw) {
		raw = []byte(string(toValid(raw)))
	}
	raw, _ = cut(raw, limit)
	return string(raw)
}

// lastModel is the request model last kept: clients ask for the same
// model call after call, and a request naming it shares the string
// instead of copying it.
var lastModel atomic.Pointer[string]

// modelString is cleanString for a request's model, shared with the last
// request's when the bytes are the same (and need no cleaning).
func modelString(raw []byte, esc bool, limit int) string {
	if esc || len(raw) > limit {
		return cleanString(raw, esc, limit)
	}
	if p := lastModel.Load(); p != nil && *p == string(raw) {
		return *p
	}
	s := cleanString(raw, esc, limit)
	if s == string(raw) {
		lastModel.Store(&s)
	}
	return s
}

// common returns the constant for the short values every answer repeats
// (roles, finish reasons, tool types, service tiers, statuses), so that
// recording them allocates nothing; ok is false for any other value.
func common(raw []byte) (s string, ok bool) {
	switch string(raw) {
	case "assistant":
		return "assistant", true
	case "stop":
		return "stop", true
	case "length":
		return "length", true
	case "tool_calls":
		return "tool_calls", true
	case "content_filter":
		return "content_filter", true
	case "function":
		return "function", true
	case "default":
		return "default", true
	case "auto":
		return "auto", true
	case "flex":
		return "flex", true
	case "priority":
		return "priority", true
	case "scale":
		return "scale", true
	case "completed":
		return "completed", true
	case "incomplete":
		return "incomplete", true
	case "failed":
		return "failed", true
	}
	return "", false
}

// toValid repairs invalid UTF-8 with U+FFFD.
func toValid(b []byte) []byte {
	if utf8.Valid(b) {
		return b
	}
	out := make([]byte, 0, len(b)+8)
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size == 1 {
			out = append(out, "\uFFFD"...)
		} else {
			out = append(out, b[:size]...)
		}
		b = b[size:]
	}
	return out
}
