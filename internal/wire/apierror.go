package wire

import "strings"

// apiError is an error as the API sends it:
// {"error":{"code":"InvalidParameter","message":"…","param":"","type":"BadRequest"}}
// (code a string or a number), or {"error":"…"}, or a Responses error
// event's top-level code and message.
type apiError struct{ message, typ, code string }

// maxErrorText bounds an error's message and type as kept (see
// MaxErrorText).
const maxErrorText = MaxErrorText

// MaxErrorText is the longest error message a Result carries: a longer
// one is cut, on a rune boundary, without a marker.
const MaxErrorText = 4 << 10

// parseErrorBody reads an error body; ok is false when it holds no error.
func parseErrorBody(body []byte) (e apiError, ok bool) {
	s := scanner{b: body}
	if !s.open('{') {
		return e, false
	}
	for n := 0; s.next('}', &n); {
		k, esc := s.key()
		switch string(unescapedKey(k, esc)) {
		case "error":
			if s.null() {
				continue
			}
			if sub, sok := parseErrorValue(s.value()); sok {
				e, ok = sub, true
			}
		case "message":
			if m := s.jstr(); m.set && e.message == "" {
				e.message = cleanString(m.raw, m.esc, maxErrorText)
				ok = true
			}
		case "code":
			if c := errorCode(s.value()); c != "" && e.code == "" {
				e.code = c
			}
		case "type":
			if t := s.jstr(); t.set && e.typ == "" && !strings.HasPrefix(string(t.raw), "response.") && string(t.raw) != "error" {
				e.typ = cleanString(t.raw, t.esc, maxErrorText)
			}
		default:
			s.skip()
		}
	}
	return e, ok
}

// parseErrorValue reads the value of "error": an object, or a string.
func parseErrorValue(v []byte) (e apiError, ok bool) {
	s := scanner{b: v}
	switch s.peek() {
	case '"':
		m := s.jstr()
		return apiError{message: cleanString(m.raw, m.esc, maxErrorText)}, true
	case '{':
	default:
		return e, false
	}
	s.open('{')
	for n := 0; s.next('}', &n); {
		k, esc := s.key()
		switch string(unescapedKey(k, esc)) {
		case "message":
			if m := s.jstr(); m.set {
				e.message = cleanString(m.raw, m.esc, maxErrorText)
			}
		case "type":
			if t := s.jstr(); t.set {
				e.typ = cleanString(t.raw, t.esc, maxErrorText)
			}
		case "code":
			e.code = errorCode(s.value())
		default:
			s.skip()
		}
	}
	return e, true
}

// errorCode is a code sent as a string or a number.
func errorCode(v []byte) string {
	s := scanner{b: v}
	switch c := s.peek(); {
	case c == '"':
		m := s.jstr()
		return cleanString(m.raw, m.esc, 256)
	case c == '-' || c >= '0' && c <= '9':
		return string(s.num())
	}
	return ""
}
