package wire

import (
	"testing"
	"unicode/utf8"
)

func TestValueCutsOnRuneBoundary(t *testing.T) {
	bud := budget{left: 5}
	var v value
	v.addBytes(&bud, []byte("ab"))
	v.addBytes(&bud, []byte("日本")) // 3 bytes left: 日 fits, 本 does not
	v.addBytes(&bud, []byte("x"))  // after a cut nothing more is kept
	if string(v.b) != "ab日" || bud.omitted != 4 || !utf8.Valid(v.b) {
		t.Errorf("%q omitted %d", v.b, bud.omitted)
	}
}

func TestBudgetEntries(t *testing.T) {
	bud := budget{left: 100}
	n := 0
	for bud.entry() {
		n++
		if n > 1000 {
			break
		}
	}
	if n != minEntries {
		t.Errorf("%d entries for 100 bytes", n)
	}
}
