package wire

import (
	"bytes"
	"encoding/binary"
	"math"
	"unicode/utf8"
)

// scanner reads JSON from b at i without building values: strings come back
// as the raw bytes between their quotes, everything else can be skipped. It
// is the hot path of stream recording (encoding/json costs ~2 µs a chunk).
// A syntax error sets bad and moves i to the end, so every later call is a
// no-op; callers check bad once, after reading what they need.
type scanner struct {
	b     []byte
	i     int
	bad   bool
	depth int
}

// maxDepth bounds nesting, as encoding/json does.
const maxDepth = 10000

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

// The hot path's primitives work on (b, i) in registers, not through a
// *scanner: each returns the index after what it read, or -1.

// ws skips white space.
func ws(b []byte, i int) int {
	if i < len(b) && b[i] > ' ' {
		return i
	}
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// strEnd reads the string whose opening quote is b[i]; it returns the
// index after the closing quote, and whether the string holds escapes.
func strEnd(b []byte, i int) (int, bool) {
	esc := false
	i++
	for {
		i = quoteOrBackslash(b, i)
		if i >= len(b) {
			return -1, false
		}
		if b[i] == '"' {
			return i + 1, esc
		}
		esc = true
		i += 2 // the escaped byte cannot end the string
	}
}

// skipValue reads any value at b[i] (after white space).
func skipValue(b []byte, i, depth int) int {
	if i >= len(b) {
		return -1
	}
	switch c := b[i]; {
	case c == '"':
		i, _ = strEnd(b, i)
		return i
	case c == '{' || c == '[':
		if depth >= maxDepth {
			return -1
		}
		end := byte('}')
		if c == '[' {
			end = ']'
		}
		i = ws(b, i+1)
		if i < len(b) && b[i] == end {
			return i + 1
		}
		for {
			if c == '{' {
				if i >= len(b) || b[i] != '"' {
					return -1
				}
				if i, _ = strEnd(b, i); i < 0 {
					return -1
				}
				if i = ws(b, i); i >= len(b) || b[i] != ':' {
					return -1
				}
				i = ws(b, i+1)
			}
			if i = skipValue(b, i, depth+1); i < 0 {
				return -1
			}
			if i = ws(b, i); i >= len(b) {
				return -1
			}
			if b[i] == end {
				return i + 1
			}
			if b[i] != ',' {
				return -1
			}
			i = ws(b, i+1)
		}
	case c == 't':
		return literal(b, i, "true")
	case c == 'f':
		return literal(b, i, "false")
	case c == 'n':
		return literal(b, i, "null")
	case c == '-' || c >= '0' && c <= '9':
		return numEnd(b, i)
	}
	return -1
}

func literal(b []byte, i int, lit string) int {
	if len(b)-i >= len(lit) && string(b[i:i+len(lit)]) == lit {
		return i + len(lit)
	}
	return -1
}

// numEnd reads a number's characters.
func numEnd(b []byte, i int) int {
	start, digits := i, 0
	if i < len(b) && b[i] == '-' {
		i++
	}
	for ; i < len(b); i++ {
		c := b[i]
		if c >= '0' && c <= '9' {
			digits++
		} else if c != '.' && c != 'e' && c != 'E' && c != '+' && c != '-' {
			break
		}
	}
	if digits == 0 || i == start {
		return -1
	}
	return i
}

// quoteOrBackslash returns the index of the first '"' or '\\' in b at or
// after i, or len(b). It reads 8 bytes at a time.
func quoteOrBackslash(b []byte, i int) int {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	for ; i+8 <= len(b); i += 8 {
		x := binary.LittleEndian.Uint64(b[i:])
		q := x ^ (lo * '"')
		e := x ^ (lo * '\\')
		if ((q-lo)&^q|(e-lo)&^e)&hi != 0 {
			break
		}
	}
	for ; i < len(b); i++ {
		if c := b[i]; c == '"' || c == '\\' {
			return i
		}
	}
	return len(b)
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

// appendUnescaped appends the string whose raw JSON (between the quotes)
// is raw, decoding escapes; a lone surrogate becomes U+FFFD, as
// encoding/json does. Invalid UTF-8 is kept: the writers repair it.
func appendUnescaped(dst, raw []byte) []byte {
	for len(raw) > 0 {
		j := bytes.IndexByte(raw, '\\')
		if j < 0 {
			return append(dst, raw...)
		}
		dst = append(dst, raw[:j]...)
		raw = raw[j:]
		if len(raw) < 2 {
			return dst
		}
		c := raw[1]
		raw = raw[2:]
		switch c {
		case 'n':
			dst = append(dst, '\n')
		case 't':
			dst = append(dst, '\t')
		case 'r':
			dst = append(dst, '\r')
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'u':
			r, ok := hex4(raw)
			if !ok {
				dst = append(dst, "\uFFFD"...)
				continue
			}
			raw = raw[4:]
			if r >= 0xD800 && r < 0xDC00 {
				if len(raw) >= 6 && raw[0] == '\\' && raw[1] == 'u' {
					if lo, ok := hex4(raw[2:]); ok && lo >= 0xDC00 && lo < 0xE000 {
						raw = raw[6:]
						dst = utf8.AppendRune(dst, (r-0xD800)<<10+(lo-0xDC00)+0x10000)
						continue
					}
				}
				r = utf8.RuneError
			} else if r >= 0xDC00 && r < 0xE000 {
				r = utf8.RuneError
			}
			dst = utf8.AppendRune(dst, r)
		default: // " \ / and anything invalid: the character itself
			dst = append(dst, c)
		}
	}
	return dst
}

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// satInt reads a JSON number as a token count: negative is 0, a fraction
// is dropped, anything past math.MaxInt64 is math.MaxInt64.
func satInt(num []byte) int64 {
	if len(num) == 0 || num[0] == '-' {
		return 0
	}
	var v uint64
	i := 0
	for ; i < len(num) && num[i] >= '0' && num[i] <= '9'; i++ {
		v = satMulAdd(v, uint64(num[i]-'0'))
	}
	for i < len(num) && num[i] != 'e' && num[i] != 'E' { // fraction
		i++
	}
	if i < len(num) { // exponent
		i++
		neg := false
		if i < len(num) && (num[i] == '+' || num[i] == '-') {
			neg = num[i] == '-'
			i++
		}
		e := 0
		for ; i < len(num) && num[i] >= '0' && num[i] <= '9'; i++ {
			e = min(e*10+int(num[i]-'0'), 1000)
		}
		for ; e > 0 && v != 0; e-- {
			if neg {
				v /= 10
			} else {
				v = satMulAdd(v, 0)
			}
		}
	}
	if v > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(v)
}

// satMulAdd is v*10+d, saturating at math.MaxInt64+1 (clamped by satInt).
func satMulAdd(v, d uint64) uint64 {
	const lim = math.MaxInt64
	if v > (lim-d)/10 {
		return lim + 1
	}
	return v*10 + d
}

// satAdd adds non-negative counts without overflow.
func satAdd(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}
