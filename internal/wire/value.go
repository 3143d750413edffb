package wire

import "unicode/utf8"

// budget bounds the bytes kept for one call's output, across all its
// values (contents, reasonings, tool arguments of every choice), and
// counts what did not fit. Once a value is cut nothing more is kept, so
// every value kept is a prefix of what was sent.
type budget struct {
	left    int
	omitted int64
}

// entryCost is charged for each choice or tool call kept, so that a
// stream of a million empty tool calls is bounded too.
const entryCost = 64

// take reserves n bytes for bookkeeping; false when they do not fit.
func (b *budget) take(n int) bool {
	if n > b.left {
		b.left = 0
		return false
	}
	b.left -= n
	return true
}

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

// set replaces a short value (role, id, type, finish reason) once.
func setOnce(dst *string, bud *budget, s jstr) {
	if *dst != "" || !s.set || len(s.raw) == 0 {
		return
	}
	if !bud.take(len(s.raw)) {
		bud.omitted += int64(len(s.raw))
		return
	}
	*dst = cleanString(s.raw, s.esc, 1<<30)
}
