package litefuse

import "github.com/litefuse/litefuse-go/internal/record"

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
	table := make(map[string]record.Price, len(prices))
	for name, p := range prices {
		table[name] = record.Price(p)
	}
	t := record.NewPrices(table)
	return optionFunc(func(c *config) { c.prices = t })
}
