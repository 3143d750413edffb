package litefuse

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/litefuse/litefuse-go/internal/fakeark"
	openai "github.com/sashabaranov/go-openai"
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
			run(b, NewClientWithConfig(cfg, WithTracerProvider(inst.tp)))
		})
	}
}
