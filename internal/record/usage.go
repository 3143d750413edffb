package record

import (
	"math"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/litefuse/litefuse-go/internal/wire"
)

// Buckets are token counts in Litefuse's disjoint usage buckets: input
// excludes cached input, output excludes reasoning output.
type Buckets struct {
	Input, InputCached, Output, OutputReasoning, Total int64
}

// BucketsOf splits the usage a server reported. Counts are clamped to be
// non-negative and sums saturate: absurd counts never overflow.
func BucketsOf(u *wire.Usage) Buckets {
	prompt, completion := max(u.Prompt, 0), max(u.Completion, 0)
	cached := min(max(u.CachedPrompt, 0), prompt)
	reasoning := min(max(u.Reasoning, 0), completion)
	return Buckets{
		Input:           prompt - cached,
		InputCached:     cached,
		Output:          completion - reasoning,
		OutputReasoning: reasoning,
		Total:           addSat(prompt, completion),
	}
}

func addSat(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

// usageJSON renders the buckets, the detail buckets only when non-zero.
// The numbers are written into buffers on the stack: the string is the
// one allocation (FormatInt made one a number from 100 on).
func (b Buckets) usageJSON() string {
	var nums [5][]byte
	var scratch [128]byte // five numbers of 20 bytes at most
	p := scratch[:0]
	for i, n := range [5]int64{b.Input, b.InputCached, b.Output, b.OutputReasoning, b.Total} {
		at := len(p)
		p = strconv.AppendInt(p, n, 10)
		nums[i] = p[at:]
	}
	var buf [192]byte // the longest: 174 bytes
	return string(appendBuckets(buf[:0], b, &nums))
}

// appendBuckets writes the buckets' JSON with the numbers' texts (input,
// cached input, output, reasoning output, total); the detail buckets only
// when non-zero.
func appendBuckets(s []byte, b Buckets, v *[5][]byte) []byte {
	s = append(s, `{"input":`...)
	s = append(s, v[0]...)
	if b.InputCached > 0 {
		s = append(s, `,"input_cached_tokens":`...)
		s = append(s, v[1]...)
	}
	s = append(s, `,"output":`...)
	s = append(s, v[2]...)
	if b.OutputReasoning > 0 {
		s = append(s, `,"output_reasoning_tokens":`...)
		s = append(s, v[3]...)
	}
	s = append(s, `,"total":`...)
	s = append(s, v[4]...)
	return append(s, '}')
}

// Price is what a model costs, in USD per million tokens; zero CachedInput
// and ReasoningOutput mean Input and Output.
type Price struct {
	Input, CachedInput, Output, ReasoningOutput float64
}

type priceEntry struct {
	pattern string
	price   Price
}

// Prices holds exact model names in a map and path.Match patterns longest
// first. The zero of *Prices (nil) prices nothing.
type Prices struct {
	exact    map[string]Price
	patterns []priceEntry
}

// NewPrices builds a table; a malformed pattern never matches.
func NewPrices(prices map[string]Price) *Prices {
	t := &Prices{exact: make(map[string]Price, len(prices))}
	for name, p := range prices {
		if strings.ContainsAny(name, "*?[\\") {
			if _, err := path.Match(name, ""); err != nil {
				continue
			}
			t.patterns = append(t.patterns, priceEntry{name, p})
			continue
		}
		t.exact[name] = p
	}
	slices.SortFunc(t.patterns, func(a, b priceEntry) int {
		if d := len(b.pattern) - len(a.pattern); d != 0 {
			return d
		}
		return strings.Compare(a.pattern, b.pattern)
	})
	return t
}

// Lookup finds model's price: the exact name, then the longest pattern.
func (t *Prices) Lookup(model string) (Price, bool) {
	if t == nil || model == "" {
		return Price{}, false
	}
	if p, ok := t.exact[model]; ok {
		return p, true
	}
	for _, e := range t.patterns {
		if ok, _ := path.Match(e.pattern, model); ok {
			return e.price, true
		}
	}
	return Price{}, false
}

// costJSON prices the buckets, in USD, under the same keys.
func (p Price) costJSON(b Buckets) string {
	cached, reasoning := p.CachedInput, p.ReasoningOutput
	if cached == 0 {
		cached = p.Input
	}
	if reasoning == 0 {
		reasoning = p.Output
	}
	c := [4]float64{
		float64(b.Input) * p.Input / 1e6,
		float64(b.InputCached) * cached / 1e6,
		float64(b.Output) * p.Output / 1e6,
		float64(b.OutputReasoning) * reasoning / 1e6,
	}
	var nums [5][]byte
	var scratch [160]byte // five numbers of 24 bytes at most
	t := scratch[:0]
	for i, x := range [5]float64{c[0], c[1], c[2], c[3], c[0] + c[1] + c[2] + c[3]} {
		at := len(t)
		if math.IsNaN(x) || math.IsInf(x, 0) {
			t = append(t, '0')
		} else {
			t = strconv.AppendFloat(t, x, 'g', -1, 64)
		}
		nums[i] = t[at:]
	}
	var buf [256]byte // the longest: about 230 bytes
	return string(appendBuckets(buf[:0], b, &nums))
}
