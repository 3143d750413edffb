package litefuse

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/litefuse/litefuse-go/internal/fakeark"
	openai "github.com/sashabaranov/go-openai"
	"go.opentelemetry.io/otel/trace/noop"
)

// streamBodyN is an Ark stream of about n chunks: role, reasoning and
// content pieces, finish, and the usage chunk (sent whether or not asked:
// the recording asks).
func streamBodyN(n int) []byte {
	r := fakeark.DefaultReply()
	r.Model, r.Pieces = fakeark.Model, max((n-2)/2, 1)
	var b bytes.Buffer
	for _, c := range fakeark.Chunks(r, true) {
		j, _ := json.Marshal(c)
		fmt.Fprintf(&b, "data: %s\n\n", j)
	}
	b.WriteString("data: [DONE]\n\n")
	return b.Bytes()
}

// BenchmarkStreamChunks reads streams of 20 and 200 chunks to their end,
// bare and recording (export to a local receiver on the batch processor's
// goroutine, as in an application). The recording cost per chunk is
// (recording − bare) / chunks.
func BenchmarkStreamChunks(b *testing.B) {
	for _, n := range []int{20, 200} {
		cfg := openai.DefaultConfig("ark-key")
		cfg.BaseURL = "https://ark.ap-southeast.bytepluses.com/api/v3"
		cfg.HTTPClient = &http.Client{Transport: cannedTransport{streamBodyN(n), "text/event-stream"}}
		req := benchRequest()
		run := func(b *testing.B, c *openai.Client) {
			b.ReportAllocs()
			defer reportCPU(b)()
			for b.Loop() {
				s, err := c.CreateChatCompletionStream(context.Background(), req)
				if err != nil {
					b.Fatal(err)
				}
				for {
					if _, err := s.Recv(); err != nil {
						break
					}
				}
				_ = s.Close()
			}
		}
		b.Run(fmt.Sprintf("chunks=%d/bare", n), func(b *testing.B) { run(b, openai.NewClientWithConfig(cfg)) })
		b.Run(fmt.Sprintf("chunks=%d/recording", n), func(b *testing.B) {
			inst, done := benchPipeline(b)
			defer done()
			run(b, benchClient(cfg, inst))
		})
	}
}

// BenchmarkPaired alternates a bare and a recording call in one loop, so
// that the VM's drift and the neighbours' load hit both alike, and reports
// each one's time per call, their ratio, and for streams the recording
// cost per chunk. Export runs on the batch processor's goroutine, as in an
// application, and is counted in (it shares the two cores).
func BenchmarkPaired(b *testing.B) {
	for _, tc := range []struct {
		name   string
		body   []byte
		ctype  string
		chunks int
		opts   []Option // the recording client's, besides its pipeline
		real   bool     // over loopback HTTP to a local fake Ark, not an in-memory transport
	}{
		{"chat", chatBody(), "application/json", 0, nil, false},
		{"stream20", streamBodyN(20), "text/event-stream", 20, nil, false},
		{"stream200", streamBodyN(200), "text/event-stream", 200, nil, false},
		// Not recording: a no-op provider, and a pipeline sampling nothing.
		{"chat-disabled", chatBody(), "application/json", 0, []Option{WithTracerProvider(noop.NewTracerProvider())}, false},
		{"chat-unsampled", chatBody(), "application/json", 0, []Option{WithSampleRate(0)}, false},
		// What a user sees: a real HTTP round trip to a local server.
		{"loopback-chat", nil, "", 0, nil, true},
	} {
		b.Run(tc.name, func(b *testing.B) {
			cfg := openai.DefaultConfig("ark-key")
			cfg.BaseURL = "https://ark.ap-southeast.bytepluses.com/api/v3"
			cfg.HTTPClient = &http.Client{Transport: cannedTransport{tc.body, tc.ctype}}
			if tc.real {
				ark := fakeark.New()
				ark.SetKeep(0)
				defer ark.Close()
				cfg.BaseURL, cfg.HTTPClient = ark.BaseURL(), &http.Client{}
			}
			inst, done := benchPipeline(b)
			defer done()
			bare, rec := openai.NewClientWithConfig(cfg), benchClient(cfg, inst, tc.opts...)
			req := benchRequest()
			call := func(c *openai.Client) time.Duration {
				start := time.Now()
				if tc.chunks == 0 {
					if _, err := c.CreateChatCompletion(context.Background(), req); err != nil {
						b.Fatal(err)
					}
					return time.Since(start)
				}
				s, err := c.CreateChatCompletionStream(context.Background(), req)
				if err != nil {
					b.Fatal(err)
				}
				for {
					if _, err := s.Recv(); err != nil {
						break
					}
				}
				_ = s.Close()
				return time.Since(start)
			}
			var tb, tr time.Duration
			n := 0
			for b.Loop() {
				tb += call(bare)
				tr += call(rec)
				n++
			}
			b.ReportMetric(float64(tb.Nanoseconds())/float64(n), "bare-ns/call")
			b.ReportMetric(float64(tr.Nanoseconds())/float64(n), "rec-ns/call")
			b.ReportMetric(float64(tr)/float64(tb), "rec/bare")
			b.ReportMetric(float64((tr-tb).Nanoseconds())/float64(n), "extra-ns/call")
			if tc.chunks > 0 {
				b.ReportMetric(float64((tr-tb).Nanoseconds())/float64(n*tc.chunks), "extra-ns/chunk")
			}
		})
	}
}
