package clients_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/litefuse/litefuse-go"
	"github.com/litefuse/litefuse-go/internal/fakeark"
	"github.com/litefuse/litefuse-go/internal/otlpreceiver"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// cannedTransport answers every request from memory, so a benchmark
// measures the client and the recording, not the network.
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

func benchChatBody() []byte {
	r := fakeark.DefaultReply()
	r.Model = fakeark.Model
	b, _ := json.Marshal(fakeark.Completion(r))
	return b
}

// benchStreamBody is an Ark stream of n chunks (role, reasoning and
// content pieces, finish) and the usage chunk, sent whether or not asked
// (the recording asks). With n = 20 it is the root package's benchmark
// stream.
func benchStreamBody(n int) []byte {
	r := fakeark.DefaultReply()
	r.Model, r.Pieces = fakeark.Model, max((n-2)/2, 1)
	if n != 20 { // the default texts are too short to split further
		r.Content, r.Reasoning = strings.Repeat("Litefuse ", r.Pieces), strings.Repeat("thinking ", r.Pieces)
	}
	var b bytes.Buffer
	for _, c := range fakeark.Chunks(r, true) {
		j, _ := json.Marshal(c)
		fmt.Fprintf(&b, "data: %s\n\n", j)
	}
	b.WriteString("data: [DONE]\n\n")
	return b.Bytes()
}

// benchPipeline is a real export pipeline to a local receiver that
// discards what it gets.
func benchPipeline(b *testing.B) *sdktrace.TracerProvider {
	recv := otlpreceiver.NewDiscard()
	tp, err := litefuse.NewTracerProvider(
		litefuse.WithCredentials("pk", "sk"), litefuse.WithBaseURL(recv.BaseURL()),
		litefuse.WithMaxQueueSize(1<<16), litefuse.WithLogger(discardLogger()),
	)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		_ = tp.Shutdown(context.Background())
		recv.Close()
	})
	return tp
}

// flushEvery makes the span export part of the timed loop in "recording".
const flushEvery = 256

// benchVariants: the bare openai-go client; recording with export on the
// batch processor's goroutine, as in an application (the cost on the
// caller's path); recording with export counted in the loop.
func benchVariants(canned http.RoundTripper) []struct {
	name string
	make func(b *testing.B) (openai.Client, func(i int))
} {
	base := []option.RequestOption{
		option.WithBaseURL("https://ark.ap-southeast.bytepluses.com/api/v3"), option.WithAPIKey("ark-key"),
		option.WithMaxRetries(0),
	}
	none := func(int) {}
	return []struct {
		name string
		make func(b *testing.B) (openai.Client, func(i int))
	}{
		{"bare", func(b *testing.B) (openai.Client, func(int)) {
			return openai.NewClient(append(base, option.WithHTTPClient(&http.Client{Transport: canned}))...), none
		}},
		{"recording-caller-path", func(b *testing.B) (openai.Client, func(int)) {
			tp := benchPipeline(b)
			hc := &http.Client{Transport: litefuse.NewTransport(canned, litefuse.WithTracerProvider(tp))}
			return openai.NewClient(append(base, option.WithHTTPClient(hc))...), none
		}},
		{"recording", func(b *testing.B) (openai.Client, func(int)) {
			tp := benchPipeline(b)
			hc := &http.Client{Transport: litefuse.NewTransport(canned, litefuse.WithTracerProvider(tp))}
			return openai.NewClient(append(base, option.WithHTTPClient(hc))...), func(i int) {
				if i%flushEvery == 0 {
					_ = tp.ForceFlush(context.Background())
				}
			}
		}},
	}
}

// BenchmarkOpenAIGoChat: openai-go chat completions answered from memory.
func BenchmarkOpenAIGoChat(b *testing.B) {
	params := openaiGoParams()
	params.Temperature = openai.Float(0.7)
	params.MaxTokens = openai.Int(256)
	for _, v := range benchVariants(cannedTransport{benchChatBody(), "application/json"}) {
		b.Run(v.name, func(b *testing.B) {
			c, tick := v.make(b)
			b.ReportAllocs()
			defer reportCPU(b)()
			i := 0
			for b.Loop() {
				if _, err := c.Chat.Completions.New(context.Background(), params); err != nil {
					b.Fatal(err)
				}
				i++
				tick(i)
			}
		})
	}
}

// BenchmarkOpenAIGoStream: openai-go chat streams of 20 and 200 chunks
// answered from memory, read to their end. The recording cost per chunk is
// (recording − bare) / chunks.
func BenchmarkOpenAIGoStream(b *testing.B) {
	params := openaiGoParams()
	for _, n := range []int{20, 200} {
		for _, v := range benchVariants(cannedTransport{benchStreamBody(n), "text/event-stream"}) {
			b.Run(fmt.Sprintf("chunks=%d/%s", n, v.name), func(b *testing.B) {
				c, tick := v.make(b)
				b.ReportAllocs()
				defer reportCPU(b)()
				i := 0
				for b.Loop() {
					s := c.Chat.Completions.NewStreaming(context.Background(), params)
					chunks := 0
					for s.Next() {
						chunks++
					}
					if err := s.Err(); err != nil {
						b.Fatal(err)
					}
					_ = s.Close()
					if chunks < n {
						b.Fatalf("read %d chunks, want %d", chunks, n)
					}
					i++
					tick(i)
				}
			})
		}
	}
}

// BenchmarkOpenAIGoPaired alternates a bare call and a recording call (export
// counted in) in the same loop and times each, so that the load of a
// shared machine falls on both alike: it reports each side's wall time per
// call, their ratio, and for streams the recording cost per chunk.
func BenchmarkOpenAIGoPaired(b *testing.B) {
	type workload struct {
		name   string
		canned cannedTransport
		chunks int
		call   func(openai.Client) error
	}
	chat := func(c openai.Client) error {
		_, err := c.Chat.Completions.New(context.Background(), openaiGoParams())
		return err
	}
	stream := func(c openai.Client) error {
		s := c.Chat.Completions.NewStreaming(context.Background(), openaiGoParams())
		for s.Next() {
		}
		_ = s.Close()
		return s.Err()
	}
	workloads := []workload{
		{"chat", cannedTransport{benchChatBody(), "application/json"}, 0, chat},
		{"chunks=20", cannedTransport{benchStreamBody(20), "text/event-stream"}, 20, stream},
		{"chunks=200", cannedTransport{benchStreamBody(200), "text/event-stream"}, 200, stream},
	}
	for _, wl := range workloads {
		b.Run(wl.name, func(b *testing.B) {
			vs := benchVariants(wl.canned)
			bare, _ := vs[0].make(b)
			rec, tick := vs[2].make(b)
			b.ReportAllocs()
			var tBare, tRec time.Duration
			i := 0
			for b.Loop() {
				t0 := time.Now()
				if err := wl.call(bare); err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				if err := wl.call(rec); err != nil {
					b.Fatal(err)
				}
				i++
				tick(i)
				tBare, tRec = tBare+t1.Sub(t0), tRec+time.Since(t1)
			}
			n := float64(b.N)
			b.ReportMetric(float64(tBare.Nanoseconds())/n, "bare-ns/call")
			b.ReportMetric(float64(tRec.Nanoseconds())/n, "rec-ns/call")
			b.ReportMetric(float64(tRec)/float64(tBare), "rec/bare")
			if wl.chunks > 0 {
				b.ReportMetric(float64((tRec-tBare).Nanoseconds())/n/float64(wl.chunks), "extra-ns/chunk")
			}
		})
	}
}
