package wire

import "bytes"

// scanner reads JSON from b at i without building values: strings come back
// as the raw bytes between their quotes, everything else can be skipped. It
// reads what comes once a call or once an event (the request, usage,
// errors, Responses events); the per-chunk path of chat streams uses the
// primitives of scan.go directly. A syntax error sets bad and moves i to
// the end, so every later call is a no-op; callers check bad once, after
// reading what they need.
type scanner struct {
	b     []byte
	i     int
	bad   bool
	depth int
}

func (s *scanner) fail() { s.bad = true; s.i = len(s.b) }

// peek returns the next byte after white space, 0 at the end.
func (s *scanner) peek() byte {
	if s.i < len(s.b) && s.b[s.i] > ' ' {
		return s.b[s.i] // the common case: servers send compact JSON
	}
	return s.peekSpace()
}

func (s *scanner) peekSpace() byte {
	for s.i < len(s.b) {
		switch c := s.b[s.i]; c {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return c
		}
	}
	return 0
}

// expect reads c, or fails.
func (s *scanner) expect(c byte) {
	if s.peek() != c {
		s.fail()
		return
	}
	s.i++
}

// str reads a string: the raw bytes between the quotes, and whether they
// hold escapes.
func (s *scanner) str() (raw []byte, esc bool) {
	if s.peek() != '"' {
		s.fail()
		return nil, false
	}
	end, esc := strEnd(s.b, s.i)
	if end < 0 {
		s.fail()
		return nil, false
	}
	raw = s.b[s.i+1 : end-1]
	s.i = end
	return raw, esc
}

// null reads null if it comes next.
func (s *scanner) null() bool {
	if s.peek() == 'n' && bytes.HasPrefix(s.b[s.i:], []byte("null")) {
		s.i += 4
		return true
	}
	return false
}

// literal reads true or false; ok is false for anything else (not read).
func (s *scanner) boolean() (v, ok bool) {
	switch s.peek() {
	case 't':
		if bytes.HasPrefix(s.b[s.i:], []byte("true")) {
			s.i += 4
			return true, true
		}
	case 'f':
		if bytes.HasPrefix(s.b[s.i:], []byte("false")) {
			s.i += 5
			return false, true
		}
	}
	return false, false
}

// num reads a number and returns its text.
func (s *scanner) num() []byte {
	s.peek()
	start := s.i
	i := numEnd(s.b, s.i)
	if i < 0 {
		s.fail()
		return nil
	}
	s.i = i
	return s.b[start:i]
}

// next steps through the members of an object or array opened by open:
// it reports whether another member follows, reading the comma before it.
// n counts the members read.
func (s *scanner) next(end byte, n *int) bool {
	c := s.peek()
	if c == end {
		s.i++
		s.depth--
		return false
	}
	if *n > 0 {
		if c != ',' {
			s.fail()
			return false
		}
		s.i++
	}
	*n++
	return !s.bad
}

// open reads the { or [ that starts a container; false (and bad) otherwise.
func (s *scanner) open(c byte) bool {
	if s.peek() != c || s.depth >= maxDepth {
		s.fail()
		return false
	}
	s.i++
	s.depth++
	return true
}

// key reads a member's key and the colon after it.
func (s *scanner) key() (k []byte, esc bool) {
	k, esc = s.str()
	s.expect(':')
	return k, esc
}

// skip reads any value.
func (s *scanner) skip() {
	s.peek()
	if i := skipValue(s.b, s.i, s.depth); i < 0 {
		s.fail()
	} else {
		s.i = i
	}
}

// value reads any value and returns its raw JSON.
func (s *scanner) value() []byte {
	s.peek()
	start := s.i
	s.skip()
	if s.bad {
		return nil
	}
	return s.b[start:s.i]
}

// keyIs compares a key, unescaping it first when it holds escapes.
func keyIs(k []byte, esc bool, name string) bool {
	if !esc {
		return string(k) == name
	}
	var buf [64]byte
	return string(appendUnescaped(buf[:0], k)) == name
}

// unescapedKey is k as a plain string key for a switch; keys with escapes
// are rare and cost an allocation.
func unescapedKey(k []byte, esc bool) []byte {
	if !esc {
		return k
	}
	return appendUnescaped(nil, k)
}

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
