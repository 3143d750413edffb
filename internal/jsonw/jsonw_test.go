package jsonw

import (
	"encoding/json"
	"math"
	"testing"
)

func FuzzString(f *testing.F) {
	for _, s := range []string{"", "plain", `quote " and \ backslash`, "nl\n tab\t cr\r bell\x07", "bad \xff utf8 \xc3\x28", "emoji 🙂 and \u2028 \u2029", "<html>&"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := String(nil, s)
		var got string
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("String(%q) = %s: not JSON: %v", s, out, err)
		}
		want, _ := json.Marshal(s)
		var wantS string
		_ = json.Unmarshal(want, &wantS)
		if got != wantS {
			t.Fatalf("String(%q) reads back %q, encoding/json gives %q", s, got, wantS)
		}
	})
}

func TestFloat32(t *testing.T) {
	for f, want := range map[float32]string{0.7: "0.7", 1: "1", 0.1: "0.1", 2.5e-8: "2.5e-08", float32(math.Inf(1)): "null"} {
		if got := string(Float32(nil, f)); got != want {
			t.Errorf("Float32(%v) = %s, want %s", f, got, want)
		}
	}
	if got := string(Float32(nil, float32(math.NaN()))); got != "null" {
		t.Errorf("NaN = %s", got)
	}
}

func TestKeyAndAny(t *testing.T) {
	b := append([]byte{'{'}, Key(nil, "a", true)...)
	b = Int(b, 3)
	b = Key(b, "b", false)
	b = Any(b, map[string]int{"x": 1})
	b = Key(b, "c", false)
	b = Any(b, func() {})
	b = append(b, '}')
	if string(b) != `{"a":3,"b":{"x":1},"c":null}` {
		t.Errorf("got %s", b)
	}
}
