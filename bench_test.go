package litefuse

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"go.opentelemetry.io/otel/attribute"
	"io"
	"math/rand/v2"
	"net/http"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/litefuse/litefuse-go/internal/fakeark"
	"github.com/litefuse/litefuse-go/internal/otlpreceiver"
	openai "github.com/sashabaranov/go-openai"
	"go.opentelemetry.io/otel/trace/noop"
)

// cannedTransport answers every request from memory, so a benchmark
// measures the client and the wrapper, not the network.
type cannedTransport struct {
	body        []byte
	contentType string
}

func (c cannedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		_, _ = io.Copy(io.Discard, req.Body)
		_ = req.Body.Close()
	}
	return &http.Response{
		StatusCode: http.StatusOK, Status: "200 OK", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:        http.Header{"Content-Type": {c.contentType}},
		Body:          io.NopCloser(bytes.NewReader(c.body)),
		ContentLength: int64(len(c.body)),
		Request:       req,
	}, nil
}

func chatBody() []byte {
	r := fakeark.DefaultReply()
	r.Model = fakeark.Model
	b, _ := json.Marshal(fakeark.Completion(r))
	return b
}

// streamBody is 20 chunks: role, 9 reasoning, 9 content, finish; plus the
// usage chunk (sent whether or not asked: the wrapper asks).
func streamBody() []byte {
	r := fakeark.DefaultReply()
	r.Model, r.Pieces = fakeark.Model, 9
	var b bytes.Buffer
	for _, c := range fakeark.Chunks(r, true) {
		j, _ := json.Marshal(c)
		fmt.Fprintf(&b, "data: %s\n\n", j)
	}
	b.WriteString("data: [DONE]\n\n")
	return b.Bytes()
}

func benchRequest() openai.ChatCompletionRequest {
	return openai.ChatCompletionRequest{
		Model: fakeark.Model,
		Messages: []openai.ChatCompletionMessage{
			{Role: openai.ChatMessageRoleSystem, Content: "You're an AI assistant"},
			{Role: openai.ChatMessageRoleUser, Content: "What is Litefuse?"},
		},
		Temperature: 0.7,
		MaxTokens:   256,
	}
}

// benchPipeline is a real export pipeline to a local OTLP receiver.
func benchPipeline(b *testing.B, opts ...Option) (*instance, func()) {
	recv := otlpreceiver.NewDiscard()
	cfg := defaultConfig()
	cfg.apply(append([]Option{
		WithCredentials("pk", "sk"), WithBaseURL(recv.BaseURL()),
		WithMaxQueueSize(1 << 16), WithLogger(nopLogger()),
	}, opts...))
	inst, err := newInstance(cfg)
	if err != nil {
		b.Fatal(err)
	}
	return inst, func() {
		_ = inst.tp.Shutdown(context.Background())
		recv.Close()
		if st := inst.stats(); st.Dropped != 0 || st.Failed != 0 {
			b.Errorf("benchmark lost spans: %+v", st)
		}
	}
}

// benchClient records into inst as a client given its own settings does:
// inst is the recorder's own pipeline (whose Flush and Shutdown wait for
// the calls it finishes beside the callers), not an application's
// provider.
func benchClient(cfg openai.ClientConfig, inst *instance, opts ...Option) *Client {
	rec := newRecorder(append([]Option{WithTracerProvider(inst.tp)}, opts...))
	rec.resolve()
	rec.inst = inst
	cfg.HTTPClient = recordingDoer(cfg.HTTPClient, rec)
	return openai.NewClientWithConfig(cfg)
}

// flushEvery makes the span export part of the timed loop.
const flushEvery = 256

type variant struct {
	name string
	make func(b *testing.B, cfg openai.ClientConfig) (chatClient, func(i int))
}

type chatClient interface {
	CreateChatCompletion(context.Context, openai.ChatCompletionRequest) (openai.ChatCompletionResponse, error)
}

func variants() []variant {
	none := func(int) {}
	return []variant{
		{"bare", func(b *testing.B, cfg openai.ClientConfig) (chatClient, func(int)) {
			return openai.NewClientWithConfig(cfg), none
		}},
		{"disabled", func(b *testing.B, cfg openai.ClientConfig) (chatClient, func(int)) {
			return NewClientWithConfig(cfg, WithTracerProvider(noop.NewTracerProvider())), none
		}},
		{"unsampled", func(b *testing.B, cfg openai.ClientConfig) (chatClient, func(int)) {
			inst, done := benchPipeline(b, WithSampleRate(0))
			b.Cleanup(done)
			return NewClientWithConfig(cfg, WithTracerProvider(inst.tp)), none
		}},
		{"wrapped-caller-path", func(b *testing.B, cfg openai.ClientConfig) (chatClient, func(int)) {
			// Export runs on the batch processor's goroutine, as in an
			// application: this is the cost on the caller's path.
			inst, done := benchPipeline(b)
			b.Cleanup(done)
			return benchClient(cfg, inst), none
		}},
		{"wrapped", func(b *testing.B, cfg openai.ClientConfig) (chatClient, func(int)) {
			return flushedClient(b, cfg)
		}},
		{"wrapped-gzip", func(b *testing.B, cfg openai.ClientConfig) (chatClient, func(int)) {
			// As to a Litefuse on another host: the local receiver is a
			// loopback endpoint, which gets no gzip by default.
			return flushedClient(b, cfg, WithGzip(true))
		}},
	}
}

// flushedClient records into a pipeline to a local receiver whose export
// the returned tick makes part of the timed loop.
func flushedClient(b *testing.B, cfg openai.ClientConfig, opts ...Option) (chatClient, func(int)) {
	inst, done := benchPipeline(b, opts...)
	b.Cleanup(done)
	return benchClient(cfg, inst), func(i int) {
		if i%flushEvery == 0 {
			_ = inst.tp.ForceFlush(context.Background())
		}
	}
}

// benchChat times chat calls through one variant's client.
func benchChat(b *testing.B, v variant, cfg openai.ClientConfig, req openai.ChatCompletionRequest) {
	c, tick := v.make(b, cfg)
	b.ReportAllocs()
	defer reportCPU(b)()
	i := 0
	for b.Loop() {
		if _, err := c.CreateChatCompletion(context.Background(), req); err != nil {
			b.Fatal(err)
		}
		i++
		tick(i)
	}
}

// reportCPU reports the process's CPU time per op as cpu-ns/op: every
// goroutine's (the export's too, when flushed in the loop). On a VM shared
// with other work it is much steadier than wall time, which mostly
// measures the neighbours.
func reportCPU(b *testing.B) func() {
	start := cpuNow()
	return func() {
		if d := cpuNow() - start; d > 0 && b.N > 0 {
			b.ReportMetric(float64(d.Nanoseconds())/float64(b.N), "cpu-ns/op")
		}
	}
}

// BenchmarkChatCompletion: in-memory transport, export to a local receiver
// included for "wrapped".
func BenchmarkChatCompletion(b *testing.B) {
	cfg := openai.DefaultConfig("ark-key")
	cfg.BaseURL = "https://ark.ap-southeast.bytepluses.com/api/v3"
	cfg.HTTPClient = &http.Client{Transport: cannedTransport{chatBody(), "application/json"}}
	req := benchRequest()
	for _, v := range variants() {
		b.Run(v.name, func(b *testing.B) { benchChat(b, v, cfg, req) })
	}
}

type streamClient interface {
	CreateChatCompletionStream(context.Context, openai.ChatCompletionRequest) (*openai.ChatCompletionStream, error)
}

// BenchmarkStream20Chunks reads a 20-chunk stream to its end.
func BenchmarkStream20Chunks(b *testing.B) {
	cfg := openai.DefaultConfig("ark-key")
	cfg.BaseURL = "https://ark.ap-southeast.bytepluses.com/api/v3"
	cfg.HTTPClient = &http.Client{Transport: cannedTransport{streamBody(), "text/event-stream"}}
	req := benchRequest()
	read := func(recv func() (openai.ChatCompletionStreamResponse, error)) {
		for {
			if _, err := recv(); err != nil {
				return
			}
		}
	}
	b.Run("bare", func(b *testing.B) {
		c := openai.NewClientWithConfig(cfg)
		b.ReportAllocs()
		defer reportCPU(b)()
		for b.Loop() {
			s, err := c.CreateChatCompletionStream(context.Background(), req)
			if err != nil {
				b.Fatal(err)
			}
			read(s.Recv)
			_ = s.Close()
		}
	})
	for _, v := range variants() {
		if v.name == "bare" {
			continue
		}
		b.Run(v.name, func(b *testing.B) {
			cc, tick := v.make(b, cfg)
			c := cc.(*Client)
			b.ReportAllocs()
			defer reportCPU(b)()
			i := 0
			for b.Loop() {
				s, err := c.CreateChatCompletionStream(context.Background(), req)
				if err != nil {
					b.Fatal(err)
				}
				read(s.Recv)
				_ = s.Close()
				i++
				tick(i)
			}
		})
	}
}

// variedTransport answers from a ring of chat answers whose ids, texts and
// usage differ, as an application's do: identical answers make identical
// spans, which compress far better than real ones and flatter the
// export's cost.
type variedTransport struct {
	bodies [][]byte
	next   atomic.Uint64
}

// benchWords is the vocabulary of the varied answers and prompts.
var benchWords = strings.Fields(`Litefuse is an open source LLM observability platform that records
	traces generations scores prompts and costs of model calls made by an application the answer
	depends on the question asked and on the model used to answer it Paris weather today sunny with
	a light breeze and temperatures around twenty degrees here is a short poem about the sea waves
	crash upon the shore and then retreat`)

func benchText(rng *rand.Rand, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(benchWords[rng.IntN(len(benchWords))])
	}
	return b.String()
}

func newVariedTransport(n int) *variedTransport {
	rng := rand.New(rand.NewPCG(5, 6))
	t := &variedTransport{}
	for range n {
		r := fakeark.DefaultReply()
		r.Model = fakeark.Model
		r.ID = fmt.Sprintf("0217%021d", rng.Uint64())
		r.Content, r.Reasoning = benchText(rng, 20+rng.IntN(150)), benchText(rng, 10+rng.IntN(40))
		r.Usage.PromptTokens, r.Usage.CompletionTokens = 10+rng.IntN(80), 40+rng.IntN(300)
		r.Usage.TotalTokens = r.Usage.PromptTokens + r.Usage.CompletionTokens
		b, _ := json.Marshal(fakeark.Completion(r))
		t.bodies = append(t.bodies, b)
	}
	return t
}

func (t *variedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	body := t.bodies[t.next.Add(1)%uint64(len(t.bodies))]
	return cannedTransport{body, "application/json"}.RoundTrip(req)
}

// BenchmarkChatVaried is BenchmarkChatCompletion with answers and prompts
// that differ from call to call (64 of each), so that the export's
// compression costs what it costs on an application's spans.
func BenchmarkChatVaried(b *testing.B) {
	cfg := openai.DefaultConfig("ark-key")
	cfg.BaseURL = "https://ark.ap-southeast.bytepluses.com/api/v3"
	cfg.HTTPClient = &http.Client{Transport: newVariedTransport(64)}
	rng := rand.New(rand.NewPCG(7, 8))
	reqs := make([]openai.ChatCompletionRequest, 64)
	for i := range reqs {
		reqs[i] = benchRequest()
		reqs[i].Messages[1].Content = benchText(rng, 5+rng.IntN(40))
	}
	for _, v := range variants() {
		if v.name == "disabled" || v.name == "unsampled" {
			continue
		}
		b.Run(v.name, func(b *testing.B) {
			c, tick := v.make(b, cfg)
			b.ReportAllocs()
			defer reportCPU(b)()
			i := 0
			for b.Loop() {
				if _, err := c.CreateChatCompletion(context.Background(), reqs[i%len(reqs)]); err != nil {
					b.Fatal(err)
				}
				i++
				tick(i)
			}
		})
	}
}

// BenchmarkLoopback is what a user sees: a real HTTP round trip to a local
// server, bare and wrapped.
func BenchmarkLoopback(b *testing.B) {
	ark := fakeark.New()
	ark.SetKeep(0) // kept requests are live heap every GC cycle marks, growing through the run
	defer ark.Close()
	cfg := openai.DefaultConfig("ark-key")
	cfg.BaseURL = ark.BaseURL()
	req := benchRequest()
	for _, v := range variants() {
		if v.name == "disabled" || v.name == "unsampled" {
			continue
		}
		b.Run(v.name, func(b *testing.B) { benchChat(b, v, cfg, req) })
	}
}

// generationAttrs are a typical generation's attributes, for benchmarks of
// the export side alone.
func generationAttrs() []attribute.KeyValue {
	return []attribute.KeyValue{
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
}

// exportPipeline is a pipeline exporting to a local receiver that only
// counts bytes, gzipped as to a Litefuse on another host; both are closed
// when b ends.
func exportPipeline(b *testing.B) (*instance, *otlpreceiver.Receiver) {
	recv := otlpreceiver.NewDiscard()
	b.Cleanup(recv.Close)
	cfg := defaultConfig()
	cfg.apply([]Option{WithCredentials("pk", "sk"), WithBaseURL(recv.BaseURL()), WithMaxQueueSize(1 << 16), WithLogger(nopLogger()), WithGzip(true)})
	inst, err := newInstance(cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = inst.tp.Shutdown(context.Background()) })
	return inst, recv
}

// BenchmarkExport measures the batch processor and OTLP/HTTP exporter alone:
// spans per second to a local receiver, and bytes per span on the wire.
func BenchmarkExport(b *testing.B) {
	inst, recv := exportPipeline(b)
	tr := inst.tp.Tracer("bench")
	attrs := generationAttrs()
	b.ReportAllocs()
	start := time.Now()
	n := 0
	for b.Loop() {
		_, sp := tr.Start(context.Background(), "chat doubao-seed-1-6")
		sp.SetAttributes(attrs...)
		sp.End()
		n++
		if n%flushEvery == 0 {
			_ = inst.tp.ForceFlush(context.Background())
		}
	}
	_ = inst.tp.ForceFlush(context.Background())
	elapsed := time.Since(start)
	b.ReportMetric(float64(n)/elapsed.Seconds(), "spans/s")
	wire := 0
	for _, r := range recv.Requests() {
		wire += r.RawSize
	}
	if got := inst.stats().Exported; got > 0 {
		b.ReportMetric(float64(wire)/float64(got), "wire-B/span")
	}
}

// BenchmarkSoak runs many goroutines of wrapped calls at full speed and
// reports the live heap (after GC) before and after.
func BenchmarkSoak(b *testing.B) {
	cfg := openai.DefaultConfig("ark-key")
	cfg.BaseURL = "https://ark.ap-southeast.bytepluses.com/api/v3"
	cfg.HTTPClient = &http.Client{Transport: cannedTransport{chatBody(), "application/json"}}
	inst, done := benchPipeline(b)
	defer done()
	c := benchClient(cfg, inst)
	req := benchRequest()
	heap := func() float64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return float64(m.HeapAlloc)
	}
	before := heap()
	var calls atomic.Int64
	b.SetParallelism(8) // 8 goroutines per core
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := c.CreateChatCompletion(context.Background(), req); err != nil {
				b.Error(err)
				return
			}
			if calls.Add(1)%flushEvery == 0 {
				_ = inst.tp.ForceFlush(context.Background())
			}
		}
	})
	b.StopTimer()
	_ = inst.tp.ForceFlush(context.Background())
	b.ReportMetric(before/1024, "heap-before-KiB")
	b.ReportMetric(heap()/1024, "heap-after-KiB")
}

// BenchmarkNotRecordingOverhead isolates what a disabled or unsampled call
// adds to bare go-openai: the recording core around a canned round trip
// that does not record. (The full calls above are too noisy on a 2-core
// machine to resolve it.)
func BenchmarkNotRecordingOverhead(b *testing.B) {
	inst, done := benchPipeline(b, WithSampleRate(0))
	defer done()
	for _, v := range []struct {
		name string
		rec  *recorder
	}{
		{"disabled", newRecorder([]Option{WithTracerProvider(noop.NewTracerProvider())})},
		{"unsampled", newRecorder([]Option{WithTracerProvider(inst.tp)})},
	} {
		b.Run(v.name, func(b *testing.B) { benchRoundTrip(b, v.rec) })
	}
}

// BenchmarkRecordChat is the recording work on the caller's path of one
// chat call, without the HTTP call: span start, request and response
// parsing, attributes, end.
func BenchmarkRecordChat(b *testing.B) {
	inst, done := benchPipeline(b)
	defer done()
	rec := newRecorder([]Option{WithTracerProvider(inst.tp)})
	n := 0
	benchRoundTrip(b, rec, func() {
		if n++; n%4096 == 0 {
			_ = inst.tp.ForceFlush(context.Background()) // keep the queue from filling
		}
	})
}

// benchRoundTrip times rec's core around a canned chat exchange, the body
// read to its end and closed as a client does.
func benchRoundTrip(b *testing.B, rec *recorder, after ...func()) {
	reqBody, _ := json.Marshal(benchRequest())
	canned := cannedTransport{chatBody(), "application/json"}
	ctx := context.Background()
	b.ReportAllocs()
	defer reportCPU(b)()
	for b.Loop() {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "https://ark.ap-southeast.bytepluses.com/api/v3/chat/completions", bytes.NewReader(reqBody))
		resp, err := rec.roundTrip(req, canned.RoundTrip)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		for _, f := range after {
			f()
		}
	}
}

// BenchmarkOutage: calls while Litefuse accepts connections and never
// answers. The wrapper must cost what it costs when Litefuse is up: the
// queue fills, new spans are dropped and counted, and no call waits.
func BenchmarkOutage(b *testing.B) {
	cfg := openai.DefaultConfig("ark-key")
	cfg.BaseURL = "https://ark.ap-southeast.bytepluses.com/api/v3"
	cfg.HTTPClient = &http.Client{Transport: cannedTransport{chatBody(), "application/json"}}
	req := benchRequest()
	b.Run("bare", func(b *testing.B) {
		c := openai.NewClientWithConfig(cfg)
		b.ReportAllocs()
		defer reportCPU(b)()
		for b.Loop() {
			if _, err := c.CreateChatCompletion(context.Background(), req); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("wrapped-litefuse-hangs", func(b *testing.B) {
		recv := otlpreceiver.New()
		recv.Hang(true)
		defer recv.Close()
		c0 := defaultConfig()
		c0.apply([]Option{WithCredentials("pk", "sk"), WithBaseURL(recv.BaseURL()), WithLogger(nopLogger()), WithTimeout(time.Hour)})
		inst, err := newInstance(c0)
		if err != nil {
			b.Fatal(err)
		}
		defer func() {
			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			defer cancel()
			_ = inst.tp.Shutdown(ctx)
		}()
		c := NewClientWithConfig(cfg, WithTracerProvider(inst.tp))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.CreateChatCompletion(context.Background(), req); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		st := inst.stats()
		b.ReportMetric(float64(st.Dropped), "dropped")
		b.ReportMetric(float64(st.Queued), "queued")
	})
}
