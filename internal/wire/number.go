package wire

import (
	"math"
)

// satInt reads a JSON number as a token count: negative is 0, a fraction
// is dropped, anything past math.MaxInt64 is math.MaxInt64.
func satInt(num []byte) int64 {
	if len(num) == 0 || num[0] == '-' {
		return 0
	}
	var v uint64
	i := 0
	for ; i < len(num) && num[i] >= '0' && num[i] <= '9'; i++ {
		v = satMulAdd(v, uint64(num[i]-'0'))
	}
	for i < len(num) && num[i] != 'e' && num[i] != 'E' { // fraction
		i++
	}
	if i < len(num) { // exponent
		i++
		neg := false
		if i < len(num) && (num[i] == '+' || num[i] == '-') {
			neg = num[i] == '-'
			i++
		}
		e := 0
		for ; i < len(num) && num[i] >= '0' && num[i] <= '9'; i++ {
			e = min(e*10+int(num[i]-'0'), 1000)
		}
		for ; e > 0 && v != 0; e-- {
			if neg {
				v /= 10
			} else {
				v = satMulAdd(v, 0)
			}
		}
	}
	if v > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(v)
}

// satMulAdd is v*10+d, saturating at math.MaxInt64+1 (clamped by satInt).
func satMulAdd(v, d uint64) uint64 {
	const lim = math.MaxInt64
	if v > (lim-d)/10 {
		return lim + 1
	}
	return v*10 + d
}

// satAdd adds non-negative counts without overflow.
func satAdd(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}
