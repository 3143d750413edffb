package wire

import (
	"encoding/binary"
	"math/bits"
)

// The JSON primitives of the hot path. They work on (b, i) in registers,
// not through a pointer: each returns the index after what it read, or -1
// on a syntax error. encoding/json costs ~2 µs a chunk; these read only
// what is recorded and skip the rest.

// maxDepth bounds nesting, as encoding/json does.
const maxDepth = 10000

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

// quoteOrBackslash returns the index of the first '"' or '\\' in b at or
// after i, or len(b). It reads 8 bytes at a time.
func quoteOrBackslash(b []byte, i int) int {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	for ; i+8 <= len(b); i += 8 {
		x := binary.LittleEndian.Uint64(b[i:])
		q := x ^ (lo * '"')
		e := x ^ (lo * '\\')
		if m := ((q-lo)&^q | (e-lo)&^e) & hi; m != 0 {
			// The lowest flagged byte is a match: a false flag (from a
			// borrow) only follows a true one.
			return i + bits.TrailingZeros64(m)>>3
		}
	}
	for ; i < len(b); i++ {
		if c := b[i]; c == '"' || c == '\\' {
			return i
		}
	}
	return len(b)
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

// memberKey reads `"key":` at b[i] and returns the key, whether it holds
// escapes, and the index of the value (after white space); -1 on a syntax
// error. A key with escapes is returned raw: it matches no field name.
func memberKey(b []byte, i int) (key []byte, esc bool, v int) {
	if i < len(b) && b[i] != '"' {
		i = ws(b, i)
	}
	if i >= len(b) || b[i] != '"' {
		return nil, false, -1
	}
	end := quoteOrBackslash(b, i+1)
	if end < len(b) && b[end] == '\\' {
		if end, esc = strEnd(b, i); end < 0 {
			return nil, false, -1
		}
		end--
	}
	if end >= len(b) {
		return nil, false, -1
	}
	key = b[i+1 : end]
	if v = end + 1; v < len(b) && b[v] != ':' {
		v = ws(b, v)
	}
	if v >= len(b) || b[v] != ':' {
		return nil, false, -1
	}
	if v = ws(b, v+1); v >= len(b) {
		return nil, false, -1 // callers may read b[v]
	}
	return key, esc, v
}

// skipMember skips the value of a member whose key is not read; a key
// with escapes (which might spell a field name) is refused, so that the
// event is not recorded rather than recorded without the field.
func skipMember(b []byte, esc bool, v int) int {
	if esc {
		return -1
	}
	if b[v] == '"' {
		v, _ = strEnd(b, v)
		return v
	}
	return skipValue(b, v, 1)
}

// nextMember steps from the end of a member to the next member (more) or
// past the closing end byte; compact JSON's comma is the fast path.
func nextMember(b []byte, i int, end byte) (int, bool) {
	if uint(i) < uint(len(b)) && b[i] == ',' {
		return i + 1, true
	}
	return memberEnd(b, i, end)
}

// memberEnd reads what follows a member or element: a comma (more is
// true, i is the next one's start) or the closing byte end.
func memberEnd(b []byte, i int, end byte) (int, bool) {
	if i < 0 {
		return -1, false
	}
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

// openAt reads the opening byte of an object or array; v is after it,
// empty reports an immediate close (v then after the close). Any other
// value is skipped, as empty: a field of an unexpected type is not read.
func openAt(b []byte, i int, open, close byte) (v int, empty bool) {
	if i < len(b) && b[i] != open {
		i = ws(b, i)
	}
	if i >= len(b) || b[i] != open {
		return skipValue(b, i, 1), true
	}
	i = ws(b, i+1)
	if i < len(b) && b[i] == close {
		return i + 1, true
	}
	return i, false
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
