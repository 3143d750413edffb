package lfserver

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/litefuse/litefuse-go/internal/store"
)

// generationSpans is a batch of n spans shaped like the library's
// generations (input, output, usage, model, parameters, GenAI attributes).
func generationSpans(trace, n int) []*tracepb.Span {
	out := make([]*tracepb.Span, n)
	for i := range out {
		out[i] = span(trace, i+1, 0, "chat kimi-k2",
			str("langfuse.observation.type", "generation"),
			str("langfuse.observation.model.name", "kimi-k2-250711"),
			str("langfuse.observation.model.parameters", `{"temperature":0.2,"max_tokens":512}`),
			str("langfuse.observation.input", `[{"role":"system","content":"You're an AI assistant"},{"role":"user","content":"What is Litefuse? Tell me in a few sentences, please."}]`),
			str("langfuse.observation.output", `{"role":"assistant","content":"Litefuse is an open-source LLM observability platform that speaks the Langfuse protocol.","reasoning_content":"The user asks what Litefuse is. I should describe it briefly."}`),
			str("langfuse.observation.usage_details", `{"input":16,"input_cached_tokens":4,"output":38,"output_reasoning_tokens":12,"total":70}`),
			str("langfuse.observation.completion_start_time", "2026-12-03T08:00:00.25Z"),
			str("user.id", "user-1"), str("session.id", "sess-1"), str("langfuse.environment", "bench"),
			str("gen_ai.operation.name", "chat"), str("gen_ai.provider.name", "openai"),
			str("gen_ai.request.model", "kimi-k2-250711"), str("gen_ai.response.model", "kimi-k2-250711"),
			num("gen_ai.usage.input_tokens", 20), num("gen_ai.usage.output_tokens", 50),
			str("server.address", "ark.ap-southeast.bytepluses.com"),
		)
	}
	return out
}

// BenchmarkIngest measures the whole receiver path for a batch of 100
// library-shaped spans: decode, map, store (no network). Run with -cpu 1
// for spans per CPU-second on one core.
func BenchmarkIngest(b *testing.B) {
	const batch = 100
	srv := New(store.New(64 << 20))
	bodies := make([][]byte, 64)
	for i := range bodies {
		bodies[i] = marshal(b, request([]*commonpb.KeyValue{str("service.name", "bench")}, generationSpans(i+1, batch)...))
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	i := 0
	for b.Loop() {
		req := httptest.NewRequest("POST", TracesPath, bytes.NewReader(bodies[i%len(bodies)]))
		req.Header.Set("Content-Type", "application/x-protobuf")
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatal(w.Code, w.Body.String())
		}
		i++
	}
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "spans/s")
	if cpu := cpuTime() - cpu0; cpu > 0 {
		// GC on other cores included: the cost of ingest in CPU, whatever
		// else the machine runs.
		b.ReportMetric(float64(b.N*batch)/cpu.Seconds(), "spans/CPU-s")
	}
}

// BenchmarkReadAPI is GET /api/public/v2/observations (all field groups,
// 50 per page) with 10,000 traces stored.
func BenchmarkReadAPI(b *testing.B) {
	srv := New(store.New(1 << 30))
	for i := range 100 {
		var spans []*tracepb.Span
		for j := range 100 {
			spans = append(spans, generationSpans(i*100+j+1, 1)...)
		}
		srv.Store.PutObservations(Observations(request(nil, spans...)))
	}
	if n := srv.Store.Stats().Traces; n != 10000 {
		b.Fatalf("%d traces", n)
	}
	b.ResetTimer()
	for b.Loop() {
		req := httptest.NewRequest("GET", ObservationsPath+"?fields=core,basic,time,io,metadata,model,usage,prompt,metrics,trace_context&userId=user-1", nil)
		req.SetBasicAuth("pk", "sk")
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatal(w.Code)
		}
	}
}

// BenchmarkMemoryAtBound ingests about 64 MiB of protobuf into a store
// bounded to 8 MiB and reports the live heap afterwards.
func BenchmarkMemoryAtBound(b *testing.B) {
	for b.Loop() {
		srv := New(store.New(8 << 20))
		var ingested int
		for i := 0; ingested < 64<<20; i++ {
			body := marshal(b, request(nil, generationSpans(i+1, 100)...))
			ingested += len(body)
			req := httptest.NewRequest("POST", TracesPath, bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/x-protobuf")
			srv.ServeHTTP(httptest.NewRecorder(), req)
		}
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		st := srv.Store.Stats()
		b.ReportMetric(float64(ms.HeapAlloc)/(1<<20), "heap-MiB")
		b.ReportMetric(float64(st.Bytes)/(1<<20), "held-MiB")
		b.ReportMetric(float64(st.EvictedTraces), "evicted")
		runtime.KeepAlive(srv)
		_ = fmt.Sprint()
	}
}
