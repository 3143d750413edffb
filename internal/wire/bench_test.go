package wire

import (
	"io"
	"syscall"
	"testing"
	"time"
)

// eventsReader serves a stream one SSE event per Read, as a network
// connection delivers Ark's chunks, then [DONE] and EOF.
type eventsReader struct {
	events [][]byte
	i      int
}

func (r *eventsReader) Read(p []byte) (int, error) {
	if r.i >= len(r.events) {
		return 0, io.EOF
	}
	n := copy(p, r.events[r.i])
	r.i++
	return n, nil
}

func (r *eventsReader) Close() error { return nil }

// benchStream is a 200-chunk Ark stream: reasoning, then content, each
// chunk a ~200-byte event; the finish chunk, the usage chunk, [DONE].
func benchStream() [][]byte {
	var ev [][]byte
	for i := range 200 {
		d := `"content":"","reasoning_content":" think","role":"assistant"`
		if i >= 100 {
			d = `"content":" token","role":"assistant"`
		}
		ev = append(ev, []byte("data: "+arkDelta(0, d)+"\n\n"))
	}
	ev = append(ev, []byte("data: "+arkFinish(0, "stop")+"\n\n"), []byte("data: "+arkUsageChunk()+"\n\n"), []byte("data: [DONE]\n\n"))
	return ev
}

// cpuMetric reports the process's CPU time per op ("cpu-ns/op") next to
// ns/op: on a machine shared with other work, wall time per op drifts with
// the load, CPU time much less. Call as defer cpuMetric(b)().
func cpuMetric(b *testing.B) func() {
	var ru0, ru1 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	return func() {
		syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
		cpu := time.Duration(ru1.Utime.Nano() + ru1.Stime.Nano() - ru0.Utime.Nano() - ru0.Stime.Nano())
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}

// BenchmarkStreamChunk reads Ark streams chunk by chunk, bare and through
// WrapBody (with and without the usage injection's filter). ns/op is per
// chunk; the recording cost per chunk is wrapped minus bare.
func BenchmarkStreamChunk(b *testing.B) {
	events := benchStream()
	size := 0
	for _, e := range events[:200] {
		size += len(e)
	}
	b.Logf("mean delta event: %d bytes", size/200)
	opt := Options{InjectUsage: true}
	plain := streamReq(b, `,"stream_options":{"include_usage":true}`, opt)
	injected := streamReq(b, "", opt)
	run := func(b *testing.B, req *Request) {
		b.ReportAllocs()
		buf := make([]byte, 4<<10) // bufio's default, as go-openai and openai-go read
		var ru0, ru1 syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
		defer func() {
			syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
			cpu := time.Duration(ru1.Utime.Nano() + ru1.Stime.Nano() - ru0.Utime.Nano() - ru0.Stime.Nano())
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
		}()
		r := &eventsReader{events: events, i: len(events)}
		var rc io.ReadCloser = r
		for b.Loop() {
			if r.i >= len(events) {
				r.i = 0
				rc = r
				if req != nil {
					rc = req.WrapBody(200, sseHeader, r, opt, func(*Result) {})
				}
			}
			if _, err := rc.Read(buf); err == io.EOF {
				rc.Close()
			}
		}
	}
	b.Run("bare", func(b *testing.B) { run(b, nil) })
	b.Run("wrapped", func(b *testing.B) { run(b, plain) })
	b.Run("wrapped-filtering", func(b *testing.B) { run(b, injected) })
}

// BenchmarkChunkParse is the scanner alone on one delta chunk.
func BenchmarkChunkParse(b *testing.B) {
	data := []byte(arkDelta(0, `"content":" token","role":"assistant"`))
	var c chunk
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if !c.parse(data) {
			b.Fatal("parse failed")
		}
	}
}

// BenchmarkChunkParseHeadFirst is the scanner alone on chunks in OpenAI's
// and Azure's member order (id, object, created, model before "choices"),
// with Azure's content_filter_results in the choice, as the root
// package's paired stream benchmark serves them; two chunks alternate, as
// a stream's content does.
func BenchmarkChunkParseHeadFirst(b *testing.B) {
	chunk1 := func(content string) []byte {
		return []byte(`{"id":"0217329870123456789abcdef","object":"chat.completion.chunk","created":1732987012,"model":"kimi-k2-250711","choices":[{"index":0,"delta":{"reasoning_content":"` + content + `"},"finish_reason":null,"content_filter_results":{"hate":{"filtered":false},"self_harm":{"filtered":false},"sexual":{"filtered":false},"violence":{"filtered":false},"jailbreak":{"filtered":false,"detected":false},"profanity":{"filtered":false,"detected":false}}}],"system_fingerprint":""}`)
	}
	data := [2][]byte{chunk1("The use"), chunk1("r asks ")}
	var c chunk
	b.ReportAllocs()
	b.SetBytes(int64(len(data[0])))
	k := 0
	for b.Loop() {
		if !c.parse(data[k&1]) {
			b.Fatal("parse failed")
		}
		k++
	}
}

// BenchmarkChatJSON reads one Ark chat answer (JSON) to EOF and closes it,
// bare and through WrapBody (request parsing included): the recording cost
// of a non-stream call at the wire.
func BenchmarkChatJSON(b *testing.B) {
	body := []byte(`{"choices":[{"finish_reason":"stop","index":0,"logprobs":null,"message":{"content":"Litefuse is an open-source LLM observability platform that speaks the Langfuse protocol.","reasoning_content":"The user asks what Litefuse is. I should describe it briefly.","role":"assistant"}}],"created":1732987012,"id":"` + arkID + `","model":"` + arkModel + `","service_tier":"default","object":"chat.completion","usage":` + arkUsage + `}`)
	reqBody := []byte(`{"model":"ep-20250615-abcde","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"What is Litefuse?"}],"temperature":0.7,"max_tokens":512}`)
	r := &eventsReader{}
	buf := make([]byte, 4<<10)
	read := func(rc io.ReadCloser) {
		for {
			if _, err := rc.Read(buf); err != nil {
				break
			}
		}
		rc.Close()
	}
	b.Run("bare", func(b *testing.B) {
		b.ReportAllocs()
		defer cpuMetric(b)()
		for b.Loop() {
			r.events, r.i = [][]byte{body}, 0
			read(r)
		}
	})
	b.Run("wrapped", func(b *testing.B) {
		b.ReportAllocs()
		defer cpuMetric(b)()
		for b.Loop() {
			r.events, r.i = [][]byte{body}, 0
			req, _ := ParseRequest(Chat, reqBody, Options{})
			read(req.WrapBody(200, jsonHeader, r, Options{}, func(*Result) {}))
		}
	})
}
