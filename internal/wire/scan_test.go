package wire

import (
	"bytes"
	"encoding/json"
	"testing"
)

func TestSkipValue(t *testing.T) {
	valid := []string{`0`, `-1.5e+10`, `"a\"b\\"`, `true`, `false`, `null`, `[]`, `{}`, `[ 1 , {"a" : [null]} ]`, `{"a":{"b":{"c":"\u00e9"}}}`}
	for _, v := range valid {
		if got := skipValue([]byte(v), 0, 0); got != len(v) {
			t.Errorf("%s: %d", v, got)
		}
	}
	invalid := []string{``, `"abc`, `[1,]`, `{"a"}`, `{"a":}`, `tru`, `nul`, `-`, `{1:2}`, `[1 2]`, `"\"`}
	for _, v := range invalid {
		if got := skipValue([]byte(v), 0, 0); got == len(v) {
			t.Errorf("%s accepted", v)
		}
	}
}

func TestStrStop(t *testing.T) {
	for n := range 40 {
		for _, c := range []byte{'"', '\\', 0, '\t', '\n', 0x1f} {
			b := bytes.Repeat([]byte{'x'}, n)
			b = append(b, c, 'y')
			if got := strStop(b, 0); got != n {
				t.Errorf("n=%d %q: %d", n, c, got)
			}
		}
		if got := strStop(bytes.Repeat([]byte{'é', ' ', 0x7f}, n), 0); got != 3*n {
			t.Errorf("n=%d no stop: %d", n, got)
		}
	}
}

// FuzzStrStop (FuzzQuoteOrBackslash before strStop also stopped at
// control bytes): the word-at-a-time search finds what a byte loop finds,
// from any start (bytes next to a match, such as '#' after '"', ']' after
// '\\' and '!' after 0x20, are where a borrow could flag a false match).
func FuzzStrStop(f *testing.F) {
	f.Add([]byte("abcdefg\"#xyz\"#"), uint8(0))
	f.Add([]byte("abc\\]\\]\"#\"#\"#\"#"), uint8(1))
	f.Add([]byte("\x00\x01\"\x23\x21\x5c\x5d\x5b\x80\xa2\xdc"), uint8(2))
	f.Add([]byte("abcdefgh\x1f\x20\x21\x1f\x20 !\xa0\x9f"), uint8(0))
	f.Fuzz(func(t *testing.T, b []byte, start uint8) {
		i := int(start) % (len(b) + 1)
		want := len(b)
		for k := i; k < len(b); k++ {
			if b[k] == '"' || b[k] == '\\' || b[k] < 0x20 {
				want = k
				break
			}
		}
		if got := strStop(b, i); got != want {
			t.Fatalf("strStop(%q, %d) = %d, want %d", b, i, got, want)
		}
	})
}

// TestStringsAsEncodingJSON (F2): a string encoding/json refuses (a bad
// escape, a bad \u, a raw control byte) is a syntax error, so that a
// chunk or an answer holding one is not recorded as read.
func TestStringsAsEncodingJSON(t *testing.T) {
	for _, s := range []string{`"A\uZZZZB"`, `"A\xB"`, "\"A\x01B\"", "\"A\tB\"", "\"A\nB\"", "\"\x00\"", `"\u12"`, `"\u12G4"`, `"\`, `"\u"`, `"abc\'"`} {
		if json.Valid([]byte(s)) {
			t.Fatalf("%q is valid JSON", s)
		}
		if end, _ := strEnd([]byte(s), 0); end >= 0 {
			t.Errorf("strEnd(%q) = %d, want -1", s, end)
		}
		if got := skipValue([]byte(s), 0, 0); got >= 0 {
			t.Errorf("skipValue(%q) = %d, want -1", s, got)
		}
		if validJSON([]byte(`{"a":` + s + `}`)) {
			t.Errorf("validJSON accepts %q", s)
		}
		key := []byte(`{` + s + `:1}`)
		if k, _, v := memberKey(key, 1); v >= 0 {
			t.Errorf("memberKey(%q) = %q", key, k)
		}
	}
	for _, s := range []string{`"\u00e9\uD83D\uDE00\"\\\/\b\f\n\r\t"`, "\"\x7f\xff é\"", `"\u0000"`} {
		if end, _ := strEnd([]byte(s), 0); end != len(s) {
			t.Errorf("strEnd(%q) = %d, want %d", s, end, len(s))
		}
	}
}

// FuzzStrEnd (F2): a string is read exactly when encoding/json accepts
// it: what strEnd reads is a valid JSON string, and a valid JSON string is
// read whole.
func FuzzStrEnd(f *testing.F) {
	for _, s := range []string{`"a\\\"b"`, `"\u00e9\uD83D"`, "\"a\tb\"", `"\x"`, `"\uZZZZ"`, `"\u12"`, "\"\xff\x7f\"", `"abcdefghijklmnop\n"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) == 0 || b[0] != '"' {
			return
		}
		end, _ := strEnd(b, 0)
		if end >= 0 && !json.Valid(b[:end]) {
			t.Fatalf("%q: read to %d, which encoding/json refuses", b, end)
		}
		if json.Valid(b) && end != len(bytes.TrimRight(b, " \t\r\n")) {
			t.Fatalf("%q: valid, read to %d", b, end)
		}
	})
}

// FuzzSkipValue: a value encoding/json accepts is read whole.
func FuzzSkipValue(f *testing.F) {
	for _, s := range []string{`{"a":[1,2,{"b":null}]}`, `"x\\\""`, `[[[]]]`, `-0.5E-3`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		end := skipValue(b, ws(b, 0), 0)
		if !json.Valid(b) {
			return
		}
		if end < 0 || ws(b, end) != len(b) {
			t.Fatalf("%q: valid JSON read to %d", b, end)
		}
	})
}
