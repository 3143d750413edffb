package record

import (
	"encoding/json"
	"math"
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
