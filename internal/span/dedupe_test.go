package span

import (
	"fmt"
	"testing"

	"go.opentelemetry.io/otel/attribute"
)

// generationKeys are the keys of a recorded chat call's span.
var generationKeys = []string{
	"langfuse.observation.type", "langfuse.observation.model.name", "langfuse.observation.input",
	"langfuse.observation.output", "langfuse.observation.usage_details", "gen_ai.usage.input_tokens",
	"gen_ai.usage.output_tokens", "langfuse.observation.model.parameters", "gen_ai.operation.name",
	"gen_ai.provider.name", "gen_ai.request.model", "server.address", "gen_ai.response.model",
	"gen_ai.response.id", "gen_ai.response.finish_reasons", "langfuse.observation.metadata.service_tier",
	"langfuse.environment", "langfuse.release",
}

// BenchmarkDedupe is the end of a recorded chat call's span: its 18
// attributes, set in one call, kept once each.
func BenchmarkDedupe(b *testing.B) {
	src := make([]attribute.KeyValue, len(generationKeys))
	for i, k := range generationKeys {
		src[i] = attribute.String(k, "v")
	}
	kvs := make([]attribute.KeyValue, len(src))
	b.ReportAllocs()
	for b.Loop() {
		copy(kvs, src)
		if len(dedupe(kvs)) != len(src) {
			b.Fatal("lost a key")
		}
	}
}

// TestDedupeKeys: dedupe keeps each key once, at its first position, with
// its last value, for keys that share their length and their last bytes
// (whatever the table's hash makes of them) as for any others.
func TestDedupeKeys(t *testing.T) {
	var keys []string
	keys = append(keys, generationKeys...)
	for i := range 100 {
		keys = append(keys, fmt.Sprintf("langfuse.observation.metadata.k%03d", i)) // one length, alike at the end
	}
	for _, n := range []int{2, 3, 18, len(keys)} {
		ks := keys[:n]
		var kvs []attribute.KeyValue
		for round := range 3 {
			for i, k := range ks {
				if (i+round)%2 == 0 || round == 0 {
					kvs = append(kvs, attribute.Int(k, round*1000+i))
				}
			}
		}
		got := dedupe(kvs)
		if len(got) != len(ks) {
			t.Fatalf("%d keys: %d kept", n, len(got))
		}
		for i, kv := range got {
			want := 0
			for round := range 3 {
				if (i+round)%2 == 0 || round == 0 {
					want = round*1000 + i
				}
			}
			if string(kv.Key) != ks[i] || kv.Value.AsInt64() != int64(want) {
				t.Fatalf("%d keys: [%d] = %s=%d, want %s=%d", n, i, kv.Key, kv.Value.AsInt64(), ks[i], want)
			}
		}
	}
}
