package wire

import "testing"

func TestScannerObject(t *testing.T) {
	s := scanner{b: []byte(" { \"a\" : [ 1 , 2 ] , \"b\\u0063\" : \"x\" , \"c\" : null } ")}
	var keys []string
	if !s.open('{') {
		t.Fatal("open")
	}
	for n := 0; s.next('}', &n); {
		k, esc := s.key()
		keys = append(keys, string(unescapedKey(k, esc)))
		s.skip()
	}
	if s.bad || len(keys) != 3 || keys[1] != "bc" || !keyIs([]byte(`b\u0063`), true, "bc") {
		t.Errorf("%v bad=%v", keys, s.bad)
	}
	for _, in := range []string{`{"a":1,}`, `{"a" 1}`, `{"a":1 "b":2}`, `{`} {
		s := scanner{b: []byte(in)}
		s.open('{')
		for n := 0; s.next('}', &n); {
			s.key()
			s.skip()
		}
		if !s.bad {
			t.Errorf("%s: not bad", in)
		}
	}
}
