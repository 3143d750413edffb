package record

import (
	"encoding/json"
	"math"
	"strconv"
	"testing"

	"github.com/litefuse/litefuse-go/internal/wire"
)

func TestBucketsDisjoint(t *testing.T) {
	b := BucketsOf(&wire.Usage{Present: true, Prompt: 20, Completion: 50, Total: 70, CachedPrompt: 4, Reasoning: 12})
	want := Buckets{Input: 16, InputCached: 4, Output: 38, OutputReasoning: 12, Total: 70}
	if b != want {
		t.Errorf("buckets = %+v, want %+v", b, want)
	}
	var m map[string]int64
	if err := json.Unmarshal([]byte(b.usageJSON()), &m); err != nil || m["input"] != 16 || m["input_cached_tokens"] != 4 || m["output_reasoning_tokens"] != 12 || m["total"] != 70 {
		t.Errorf("usage JSON %s: %v", b.usageJSON(), err)
	}
}

func TestBucketsNeverNegativeNorOverflow(t *testing.T) {
	for _, u := range []wire.Usage{
		{Prompt: math.MaxInt64, Completion: math.MaxInt64, CachedPrompt: math.MaxInt64, Reasoning: math.MaxInt64},
		{Prompt: -5, Completion: -1, CachedPrompt: 9, Reasoning: -3},
		{Prompt: 3, Completion: 2, CachedPrompt: 10, Reasoning: 10},
	} {
		b := BucketsOf(&u)
		for name, v := range map[string]int64{"input": b.Input, "cached": b.InputCached, "output": b.Output, "reasoning": b.OutputReasoning, "total": b.Total} {
			if v < 0 {
				t.Errorf("%+v: %s = %d", u, name, v)
			}
		}
		if b.Total < b.Input+b.InputCached && b.Total != math.MaxInt64 {
			t.Errorf("%+v: total %d below its parts", u, b.Total)
		}
	}
}

func TestCostJSON(t *testing.T) {
	p := NewPrices(map[string]Price{"kimi-*": {Input: 1, Output: 2}, "kimi-k2": {Input: 10, Output: 20}, "[bad": {Input: 5}})
	if got, ok := p.Lookup("kimi-k2"); !ok || got.Input != 10 {
		t.Errorf("exact name must win: %+v", got)
	}
	if got, ok := p.Lookup("kimi-x"); !ok || got.Input != 1 {
		t.Errorf("pattern: %+v %v", got, ok)
	}
	if _, ok := p.Lookup("[bad"); ok {
		t.Error("a malformed pattern matched")
	}
	c := Price{Input: 1e6, Output: 2e6}.costJSON(Buckets{Input: 1, Output: 1, Total: 2})
	var m map[string]float64
	if err := json.Unmarshal([]byte(c), &m); err != nil || m["total"] != 3 {
		t.Errorf("cost %s: %v", c, err)
	}
}

// TestUsageJSONOneAllocation: the usage and cost details are each one
// string built in one allocation, whatever the counts (FormatInt and
// FormatFloat made one more for each number, FormatInt from 100 on); the
// text is as before.
func TestUsageJSONOneAllocation(t *testing.T) {
	// The text as the Builder of old wrote it, from each number's text.
	old := func(b Buckets, v [5]string) string {
		s := `{"input":` + v[0]
		if b.InputCached > 0 {
			s += `,"input_cached_tokens":` + v[1]
		}
		s += `,"output":` + v[2]
		if b.OutputReasoning > 0 {
			s += `,"output_reasoning_tokens":` + v[3]
		}
		return s + `,"total":` + v[4] + "}"
	}
	price := Price{Input: 0.8, CachedInput: 0.16, Output: 2, ReasoningOutput: math.MaxFloat64}
	for _, b := range []Buckets{
		{Input: 1200, InputCached: 300, Output: 4500, OutputReasoning: 700, Total: 6700},
		{Input: 12, Output: 7, Total: 19},
		{Input: math.MaxInt64, InputCached: math.MaxInt64, Output: math.MaxInt64, OutputReasoning: math.MaxInt64, Total: math.MaxInt64},
	} {
		i := func(n int64) string { return strconv.FormatInt(n, 10) }
		if got, want := b.usageJSON(), old(b, [5]string{i(b.Input), i(b.InputCached), i(b.Output), i(b.OutputReasoning), i(b.Total)}); got != want {
			t.Errorf("%+v: %s, want %s", b, got, want)
		}
		c := [4]float64{float64(b.Input) * 0.8 / 1e6, float64(b.InputCached) * 0.16 / 1e6, float64(b.Output) * 2 / 1e6, float64(b.OutputReasoning) * math.MaxFloat64 / 1e6}
		f := func(x float64) string {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return "0"
			}
			return strconv.FormatFloat(x, 'g', -1, 64)
		}
		if got, want := price.costJSON(b), old(b, [5]string{f(c[0]), f(c[1]), f(c[2]), f(c[3]), f(c[0] + c[1] + c[2] + c[3])}); got != want {
			t.Errorf("cost of %+v: %s, want %s", b, got, want)
		}
		if n := testing.AllocsPerRun(100, func() { _ = b.usageJSON() }); n != 1 {
			t.Errorf("%+v: %v allocations, want 1", b, n)
		}
		if n := testing.AllocsPerRun(100, func() { _ = price.costJSON(b) }); n != 1 {
			t.Errorf("cost of %+v: %v allocations, want 1", b, n)
		}
	}
}
