package export

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"context"
	"fmt"
	"io"
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

// BenchmarkCompress: gzip of one realistic batch of 256 generation spans:
// the library's compress, then the standard library's compress/flate at
// each level for comparison; B/span is the compressed size.
func BenchmarkCompress(b *testing.B) {
	raw := encoder{}.appendRequest(nil, realisticBatch(256))
	report := func(b *testing.B, out int) {
		b.ReportMetric(float64(out)/256, "B/span")
		b.ReportMetric(float64(len(raw))/256, "raw-B/span")
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/256, "ns/span")
	}
	b.Run("library", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(raw)))
		var out int
		start := cpuNow()
		for b.Loop() { // as the client does: a pooled buffer
			gz := getGzBuffer()
			if err := compressTo(gz, raw); err != nil {
				b.Fatal(err)
			}
			out = gz.Len()
			putGzBuffer(gz)
		}
		b.ReportMetric(float64(cpuNow()-start)/float64(b.N), "cpu-ns/op")
		report(b, out)
	})
	for _, lv := range []struct {
		name  string
		level int
	}{{"stdlib-BestSpeed", flate.BestSpeed}, {"stdlib-level2", 2}, {"stdlib-HuffmanOnly", flate.HuffmanOnly}, {"stdlib-Default", flate.DefaultCompression}} {
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
			report(b, out.Len())
		})
	}
}

// checkCompressRoundTrip fails t unless the standard library's gzip
// reader (as Litefuse's and the Collector's) gives back in, byte for
// byte, from what compress made of it.
func checkCompressRoundTrip(t *testing.T, in []byte) {
	t.Helper()
	z, err := compress(in)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(z))
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(zr)
	if err != nil || !bytes.Equal(got, in) {
		t.Fatalf("%d bytes: round trip gave %d bytes, %v", len(in), len(got), err)
	}
}

// FuzzCompressRoundTrip: whatever the library compresses comes back whole.
func FuzzCompressRoundTrip(f *testing.F) {
	f.Add([]byte(""))
	f.Add([]byte("a"))
	f.Add(bytes.Repeat([]byte("abc"), 1000))
	f.Add(encoder{}.appendRequest(nil, realisticBatch(8)))
	f.Fuzz(checkCompressRoundTrip)
}

// TestCompressLargeBatchesRoundTrip: batches of realistic spans up to the
// 4 MiB request bound, and incompressible bytes, come back whole.
func TestCompressLargeBatchesRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	noise := make([]byte, 5<<20)
	for i := range noise {
		noise[i] = byte(rng.Uint32())
	}
	checkCompressRoundTrip(t, encoder{}.appendRequest(nil, realisticBatch(2048)))
	checkCompressRoundTrip(t, noise)
}
