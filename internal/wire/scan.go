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
// index after the closing quote, and whether the string holds escapes. A
// string encoding/json refuses (a byte below 0x20, an escape other than
// \" \\ \/ \b \f \n \r \t \uXXXX) is a syntax error (-1): the client's
// decoding fails on it, so it is not read as a value.
func strEnd(b []byte, i int) (int, bool) {
	esc := false
	i++
	for {
		i = strStop(b, i)
		if i >= len(b) {
			return -1, false
		}
		switch b[i] {
		case '"':
			return i + 1, esc
		case '\\':
			if i+1 >= len(b) {
				return -1, false
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if _, ok := hex4(b[min(i+2, len(b)):]); !ok {
					return -1, false
				}
				i += 6
			default:
				return -1, false
			}
			esc = true
		default: // a control byte
			return -1, false
		}
	}
}

// strStop returns the index of the first byte in b at or after i that
// does not stand for itself in a JSON string ('"', '\\', or a control byte
// below 0x20), or len(b). It reads 8 bytes at a time.
func strStop(b []byte, i int) int {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	for ; i+8 <= len(b); i += 8 {
		x := binary.LittleEndian.Uint64(b[i:])
		q := x ^ (lo * '"')
		e := x ^ (lo * '\\')
		// (x-lo*0x20)&^x flags the bytes below 0x20, as (q-lo)&^q flags
		// the zero bytes of q.
		if m := ((q-lo)&^q | (e-lo)&^e | (x-lo*0x20)&^x) & hi; m != 0 {
			// The lowest flagged byte is a match: a false flag (from a
			// borrow) only follows a true one.
			return i + bits.TrailingZeros64(m)>>3
		}
	}
	for ; i < len(b); i++ {
		if c := b[i]; c == '"' || c == '\\' || c < 0x20 {
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
// error. A key with escapes is returned raw: callers unescape it
// (unescapedKey) before matching field names, as encoding/json does.
func memberKey(b []byte, i int) (key []byte, esc bool, v int) {
	if i < len(b) && b[i] != '"' {
		i = ws(b, i)
	}
	if i >= len(b) || b[i] != '"' {
		return nil, false, -1
	}
	end := strStop(b, i+1)
	if end < len(b) && b[end] != '"' {
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

// skipMember skips the value of a member whose key is not read.
func skipMember(b []byte, v int) int {
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
