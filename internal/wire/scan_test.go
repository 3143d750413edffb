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

func TestQuoteOrBackslash(t *testing.T) {
	for n := range 40 {
		for _, c := range []byte{'"', '\\'} {
			b := bytes.Repeat([]byte{'x'}, n)
			b = append(b, c, 'y')
			if got := quoteOrBackslash(b, 0); got != n {
				t.Errorf("n=%d %c: %d", n, c, got)
			}
		}
		if got := quoteOrBackslash(bytes.Repeat([]byte{'é'}, n), 0); got != n {
			t.Errorf("n=%d no quote: %d", n, got)
		}
	}
}

// FuzzQuoteOrBackslash: the word-at-a-time search finds what a byte loop
// finds, from any start (bytes next to a match, such as '#' after '"' and
// ']' after '\\', are where a borrow could flag a false match).
func FuzzQuoteOrBackslash(f *testing.F) {
	f.Add([]byte("abcdefg\"#xyz\"#"), uint8(0))
	f.Add([]byte("abc\\]\\]\"#\"#\"#\"#"), uint8(1))
	f.Add([]byte("\x00\x01\"\x23\x21\x5c\x5d\x5b\x80\xa2\xdc"), uint8(2))
	f.Fuzz(func(t *testing.T, b []byte, start uint8) {
		i := int(start) % (len(b) + 1)
		want := len(b)
		for k := i; k < len(b); k++ {
			if b[k] == '"' || b[k] == '\\' {
				want = k
				break
			}
		}
		if got := quoteOrBackslash(b, i); got != want {
			t.Fatalf("quoteOrBackslash(%q, %d) = %d, want %d", b, i, got, want)
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
