//go:build linux

package litefuse

import (
	"context"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/litefuse/litefuse-go/internal/fakeark"
	"github.com/litefuse/litefuse-go/internal/otlpreceiver"
	openai "github.com/sashabaranov/go-openai"
	"go.opentelemetry.io/otel/attribute"
)

// BenchmarkSpanEnd is the caller-path cost of a recorded span carrying a
// generation's attributes: start, SetAttributes, End (the SDK's snapshot
// and the processor's OnEnd: queue and budget). Export is kept off the
// timed loop (one batch per 4096 spans, flushed with the timer stopped).
// cpu-ns/op is the same in CPU time, steadier on a shared VM.
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
	var cpu time.Duration
	start := cpuNow()
	for i := 0; i < b.N; i++ {
		_, s := tr.Start(ctx, "chat doubao-seed-1-6")
		s.SetAttributes(attrs...)
		s.End()
		if i%4096 == 4095 {
			b.StopTimer()
			cpu += cpuNow() - start
			_ = inst.tp.ForceFlush(ctx)
			start = cpuNow()
			b.StartTimer()
		}
	}
	cpu += cpuNow() - start
	b.StopTimer()
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
	_ = inst.tp.ForceFlush(ctx)
}

// cpuNow is the process's CPU time (user + system), all goroutines.
func cpuNow() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkExportCPU is BenchmarkExport measured in CPU time rather than
// wall time: on a VM shared with other work, wall-clock spans/s mostly
// measures the neighbours. It reports spans per CPU-second on one core
// (record + batch processor + OTLP/HTTP export + the local receiver's read)
// and the bytes per span on the wire.
func BenchmarkExportCPU(b *testing.B) {
	recv := otlpreceiver.NewDiscard()
	defer recv.Close()
	cfg := defaultConfig()
	cfg.apply([]Option{WithCredentials("pk", "sk"), WithBaseURL(recv.BaseURL()), WithMaxQueueSize(1 << 16), WithLogger(nopLogger())})
	inst, err := newInstance(cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer inst.tp.Shutdown(context.Background())
	c := &Client{Client: openai.NewClient("k"), rec: newRecorder([]Option{WithTracerProvider(inst.tp)}), provider: "byteplus"}
	req := benchRequest()
	resp := fakeark.Completion(fakeark.DefaultReply())
	b.ReportAllocs()
	b.ResetTimer()
	start := cpuNow()
	for i := 1; i <= b.N; i++ {
		_, g := c.startGeneration(context.Background(), opChat, typeGeneration, req.Model)
		g.end(g.chatAttrs(&req, &resp, nil), nil, time.Now())
		if i%flushEvery == 0 {
			_ = inst.tp.ForceFlush(context.Background())
		}
	}
	_ = inst.tp.ForceFlush(context.Background())
	used := cpuNow() - start
	b.StopTimer()
	b.ReportMetric(float64(b.N)/used.Seconds(), "spans/cpu-s")
	wire := 0
	for _, r := range recv.Requests() {
		wire += r.RawSize
	}
	b.ReportMetric(float64(wire)/float64(b.N), "wire-B/span")
}
