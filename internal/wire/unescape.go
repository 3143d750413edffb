package wire

import (
	"bytes"
	"unicode/utf8"
)

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
