package litefuse

import (
	"path"
	"slices"
	"strings"

	"github.com/litefuse/litefuse-go/internal/jsonw"
	"go.opentelemetry.io/otel/attribute"
)

// Price is what a model costs, in USD per million tokens. Litefuse has no
// built-in prices for Ark's models (doubao, kimi, deepseek …); give them
// with [WithPrices], or define the model in Litefuse instead.
type Price struct {
	// Input is the price of uncached input tokens.
	Input float64
	// CachedInput is the price of cached input tokens; 0 means Input.
	CachedInput float64
	// Output is the price of visible output tokens.
	Output float64
	// ReasoningOutput is the price of reasoning tokens; 0 means Output.
	ReasoningOutput float64
}

// WithPrices fills langfuse.observation.cost_details (input,
// input_cached_tokens, output, output_reasoning_tokens, total, in USD) from
// a price table keyed by model name: an exact name, or a path.Match
// pattern such as "kimi-k2*" or "doubao-seed-1-6-*". The exact name wins,
// then the longest matching pattern. The recorded model name (the
// response's, else the request's) is matched. Default: no cost recorded.
func WithPrices(prices map[string]Price) Option {
	table := newPriceTable(prices)
	return optionFunc(func(c *config) { c.prices = table })
}

type priceEntry struct {
	pattern string
	price   Price
}

// priceTable holds exact names in a map and patterns longest first.
type priceTable struct {
	exact    map[string]Price
	patterns []priceEntry
}

func newPriceTable(prices map[string]Price) *priceTable {
	t := &priceTable{exact: make(map[string]Price, len(prices))}
	for name, p := range prices {
		if strings.ContainsAny(name, "*?[\\\\") {
			if _, err := path.Match(name, ""); err != nil {
				continue // a malformed pattern never matches
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

func (t *priceTable) lookup(model string) (Price, bool) {
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

// costDetails prices usage buckets.
type costDetails struct {
	Input, InputCached, Output, OutputReasoning, Total float64
}

func (p Price) cost(d *usageDetails) costDetails {
	cached, reasoning := p.CachedInput, p.ReasoningOutput
	if cached == 0 {
		cached = p.Input
	}
	if reasoning == 0 {
		reasoning = p.Output
	}
	c := costDetails{
		Input:           float64(d.Input) * p.Input / 1e6,
		InputCached:     float64(d.InputCachedTokens) * cached / 1e6,
		Output:          float64(d.Output) * p.Output / 1e6,
		OutputReasoning: float64(d.OutputReasoningTokens) * reasoning / 1e6,
	}
	c.Total = c.Input + c.InputCached + c.Output + c.OutputReasoning
	return c
}

// costAttr appends cost_details when the model has a price.
func (r *recorder) costAttr(attrs []attribute.KeyValue, model string, d *usageDetails) []attribute.KeyValue {
	p, ok := r.cfg.prices.lookup(model)
	if !ok {
		return attrs
	}
	c := p.cost(d)
	return append(attrs, r.encodedAttr(keyCostDetails, func(b []byte) []byte {
		return appendBuckets(b, d, [5]float64{c.Input, c.InputCached, c.Output, c.OutputReasoning, c.Total}, jsonw.Float64)
	}, nil))
}
