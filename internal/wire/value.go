package wire

import "unicode/utf8"

// budget bounds the bytes kept for one call's output, across all its
// values (contents, reasonings, tool arguments of every choice), and
// counts what did not fit. Once a value is cut nothing more is kept, so
// every value kept is a prefix of what was sent.
type budget struct {
	left    int
	omitted int64
	entries int
}

// entryCost is charged for each choice or tool call kept, so that a
// stream of a million empty tool calls is bounded too.
const entryCost = 64

// entry charges a new choice or tool call; false when it does not fit,
// except for the first few, so that a tiny MaxValue still records them.
func (b *budget) entry() bool {
	b.entries++
	if b.left < entryCost && b.entries > minEntries {
		return false
	}
	b.left = max(0, b.left-entryCost)
	return true
}

const minEntries = 16

// value is one recorded text, as decoded bytes (UTF-8 repaired when
// written out).
type value struct{ b []byte }

// add appends the decoded string s, within the budget.
func (v *value) add(bud *budget, s jstr, scratch *[]byte) {
	if !s.set || len(s.raw) == 0 {
		return
	}
	data := s.raw
	if s.esc {
		*scratch = appendUnescaped((*scratch)[:0], s.raw)
		data = *scratch
	}
	v.addBytes(bud, data)
}

func (v *value) addBytes(bud *budget, data []byte) {
	if n := len(data); n > 0 && data[n-1] >= utf8.RuneSelf {
		data = repairTail(data)
	}
	if v.b == nil && len(data) < minValueCap && bud.left >= minValueCap {
		// A stream's value grows a few bytes a chunk: start with room for
		// several chunks rather than regrow at 8, 16, 32, 64 bytes.
		v.b = make([]byte, 0, minValueCap)
	}
	if len(data) <= bud.left {
		v.b = append(v.b, data...)
		bud.left -= len(data)
		return
	}
	keep := bud.left
	for keep > 0 && !utf8.RuneStart(data[keep]) {
		keep--
	}
	v.b = append(v.b, data[:keep]...)
	bud.omitted += int64(len(data) - keep)
	bud.left = 0
}

// repairTail returns data with an incomplete UTF-8 sequence at its end
// (the first bytes of a character, cut) replaced by one U+FFFD a byte, as
// encoding/json decodes it: a client decodes each chunk's string on its
// own, so the next piece's bytes must not complete it in the recording.
// Other invalid bytes are kept, as the writers repair them the same way.
// data is returned as it is when its end is whole (the common case); else
// it is copied.
func repairTail(data []byte) []byte {
	n := len(data)
	start := n - 1
	for start > 0 && n-start < utf8.UTFMax && !utf8.RuneStart(data[start]) {
		start--
	}
	if utf8.FullRune(data[start:]) {
		return data
	}
	out := make([]byte, 0, start+3*(n-start))
	out = append(out, data[:start]...)
	for range n - start {
		out = append(out, "\uFFFD"...)
	}
	return out
}

// minValueCap is a value's first capacity when its first piece is small.
const minValueCap = 128

// maxShort bounds the short strings kept outside the budget (role, id,
// type, finish reason): their number is bounded by entryCost.
const maxShort = 256

// setOnce sets a short value (role, id, type, finish reason) once.
func setOnce(dst *string, s jstr) {
	if *dst != "" || !s.set || len(s.raw) == 0 {
		return
	}
	*dst = cleanString(s.raw, s.esc, maxShort)
}
