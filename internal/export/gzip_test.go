package export

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// realisticBatch is a batch of n generation spans whose inputs, outputs,
// ids, usage and times differ, as an application's do (identical spans
// compress far better than real ones).
func realisticBatch(n int) []sdktrace.ReadOnlySpan {
	words := strings.Fields(`Litefuse is an open source LLM observability platform that records
		traces generations scores prompts and costs of model calls made by an application
		the answer depends on the question asked and on the model used to answer it
		Paris weather today sunny with a light breeze and temperatures around twenty degrees
		here is a short poem about the sea waves crash upon the shore and then retreat`)
	rng := rand.New(rand.NewPCG(1, 2))
	text := func(k int) string {
		var b strings.Builder
		for i := 0; i < k; i++ {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(words[rng.IntN(len(words))])
		}
		return b.String()
	}
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	tr := tp.Tracer("github.com/litefuse/litefuse-go")
	for i := 0; i < n; i++ {
		in, out := 5+rng.IntN(40), 20+rng.IntN(150)
		_, s := tr.Start(context.Background(), "chat doubao-seed-1-6")
		s.SetAttributes(
			attribute.String("langfuse.observation.type", "generation"),
			attribute.String("langfuse.observation.model.name", "doubao-seed-1-6-250615"),
			attribute.String("langfuse.observation.input", `[{"role":"system","content":"You're an AI assistant"},{"role":"user","content":"`+text(in)+`"}]`),
			attribute.String("langfuse.observation.output", `{"role":"assistant","content":"`+text(out)+`"}`),
			attribute.String("langfuse.observation.usage_details", fmt.Sprintf(`{"input":%d,"output":%d,"total":%d}`, in*2, out*2, in*2+out*2)),
			attribute.String("langfuse.observation.model.parameters", `{"temperature":0.7,"max_tokens":256}`),
			attribute.String("gen_ai.operation.name", "chat"),
			attribute.String("gen_ai.provider.name", "byteplus"),
			attribute.String("gen_ai.request.model", "ep-20250615-abcde"),
			attribute.String("gen_ai.response.model", "doubao-seed-1-6-250615"),
			attribute.String("gen_ai.response.id", fmt.Sprintf("0217%021d", rng.Uint64())),
			attribute.StringSlice("gen_ai.response.finish_reasons", []string{"stop"}),
			attribute.Int("gen_ai.usage.input_tokens", in*2),
			attribute.Int("gen_ai.usage.output_tokens", out*2),
			attribute.String("server.address", "ark.ap-southeast.bytepluses.com"),
		)
		s.End()
	}
	return rec.Ended()
}

// BenchmarkCompress: gzip of one realistic batch of 256 generation spans
// at each flate level; B/span is the compressed size.
func BenchmarkCompress(b *testing.B) {
	raw := encoder{}.appendRequest(nil, realisticBatch(256))
	for _, lv := range []struct {
		name  string
		level int
	}{{"BestSpeed", flate.BestSpeed}, {"level2", 2}, {"HuffmanOnly", flate.HuffmanOnly}, {"Default", flate.DefaultCompression}} {
		b.Run(lv.name, func(b *testing.B) {
			zw, _ := gzip.NewWriterLevel(nil, lv.level)
			var out bytes.Buffer
			b.ReportAllocs()
			b.SetBytes(int64(len(raw)))
			for b.Loop() {
				out.Reset()
				zw.Reset(&out)
				_, _ = zw.Write(raw)
				_ = zw.Close()
			}
			b.ReportMetric(float64(out.Len())/256, "B/span")
			b.ReportMetric(float64(len(raw))/256, "raw-B/span")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/256, "ns/span")
		})
	}
}
