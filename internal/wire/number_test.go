package wire

import (
	"math"
	"testing"
)

func TestSatInt(t *testing.T) {
	cases := map[string]int64{
		"0": 0, "42": 42, "-5": 0, "12.9": 12, "1e3": 1000, "1E+2": 100, "15e-1": 1,
		"9223372036854775807": math.MaxInt64, "9223372036854775808": math.MaxInt64,
		"99999999999999999999999999": math.MaxInt64, "1e400": math.MaxInt64, "": 0,
	}
	for in, want := range cases {
		if got := satInt([]byte(in)); got != want {
			t.Errorf("satInt(%q) = %d, want %d", in, got, want)
		}
	}
	if satAdd(math.MaxInt64, 1) != math.MaxInt64 || satAdd(2, 3) != 5 {
		t.Error("satAdd")
	}
}
