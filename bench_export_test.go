package litefuse

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
)

// BenchmarkSpanEnd is the caller-path cost of a recorded span carrying a
// generation's attributes: start, SetAttributes, End (the SDK's snapshot
// and the processor's OnEnd: queue and budget). Export is kept off the
// timed loop (one batch per 4096 spans, flushed with the timer stopped).
func BenchmarkSpanEnd(b *testing.B) {
	inst, done := benchPipeline(b, WithFlushAt(1<<16), WithFlushInterval(time.Hour))
	defer done()
	tr := inst.tp.Tracer("bench")
	attrs := []attribute.KeyValue{
		attribute.String("langfuse.observation.type", "generation"),
		attribute.String("langfuse.observation.model.name", "doubao-seed-1-6"),
		attribute.String("langfuse.observation.input", `[{"role":"system","content":"You're an AI assistant"},{"role":"user","content":"What is Litefuse?"}]`),
		attribute.String("langfuse.observation.output", `{"role":"assistant","content":"`+strings.Repeat("Litefuse is an LLM observability platform. ", 8)+`"}`),
		attribute.String("langfuse.observation.usage_details", `{"input":20,"output":60,"total":80}`),
		attribute.String("langfuse.observation.model.parameters", `{"temperature":0.7,"max_tokens":256}`),
		attribute.String("gen_ai.operation.name", "chat"),
		attribute.String("gen_ai.provider.name", "byteplus"),
		attribute.String("gen_ai.request.model", "doubao-seed-1-6"),
		attribute.String("gen_ai.response.model", "doubao-seed-1-6"),
		attribute.String("gen_ai.response.id", "chatcmpl-123"),
		attribute.StringSlice("gen_ai.response.finish_reasons", []string{"stop"}),
		attribute.Int("gen_ai.usage.input_tokens", 20),
		attribute.Int("gen_ai.usage.output_tokens", 60),
		attribute.String("server.address", "ark.ap-southeast.bytepluses.com"),
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_, s := tr.Start(ctx, "chat doubao-seed-1-6")
		s.SetAttributes(attrs...)
		s.End()
		if i%4096 == 4095 {
			b.StopTimer()
			_ = inst.tp.ForceFlush(ctx)
			b.StartTimer()
		}
	}
	b.StopTimer()
	_ = inst.tp.ForceFlush(ctx)
}
