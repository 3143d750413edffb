package litefuse_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/litefuse/litefuse-go"
	"github.com/litefuse/litefuse-go/internal/otlpreceiver"
	openai "github.com/sashabaranov/go-openai"
)

// echoTransport answers each chat request in memory with an answer built
// from the request's last message, with its Content-Length.
type echoTransport struct{}

func (echoTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	var in struct {
		Messages []struct{ Content string } `json:"messages"`
	}
	body, _ := io.ReadAll(req.Body)
	_ = req.Body.Close()
	_ = json.Unmarshal(body, &in)
	q := in.Messages[len(in.Messages)-1].Content
	out, _ := json.Marshal(map[string]any{
		"id": "id-" + q[:12], "object": "chat.completion", "model": "m-" + q[:12],
		"choices": []any{map[string]any{"index": 0, "finish_reason": "stop",
			"message": map[string]any{"role": "assistant", "content": "answer to " + q}}},
		"usage": map[string]any{"prompt_tokens": len(q), "completion_tokens": 3, "total_tokens": len(q) + 3},
	})
	return &http.Response{
		StatusCode: 200, Status: "200 OK", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:        http.Header{"Content-Type": {"application/json"}},
		Body:          io.NopCloser(bytes.NewReader(out)),
		ContentLength: int64(len(out)),
		Request:       req,
	}, nil
}

// TestConcurrentCallsKeepTheirOwnValues: the request's bytes and the
// answer's copy are pooled and reused from call to call, and the recorded
// input, output, model and id share bytes with the library's own copies.
// Many concurrent calls of different sizes (so every pool class is reused)
// must each export exactly their own values.
func TestConcurrentCallsKeepTheirOwnValues(t *testing.T) {
	recv := otlpreceiver.New()
	defer recv.Close()
	tp, err := litefuse.NewTracerProvider(
		litefuse.WithCredentials(testPublicKey, testSecretKey),
		litefuse.WithBaseURL(recv.BaseURL()),
		litefuse.WithFlushInterval(time.Hour),
		litefuse.WithLogger(discardLogger()),
	)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tp.Shutdown(context.Background()) }()
	cfg := openai.DefaultConfig(testArkKey)
	cfg.BaseURL = "https://ark.example/api/v3"
	cfg.HTTPClient = &http.Client{Transport: echoTransport{}}
	client := litefuse.NewClientWithConfig(cfg, litefuse.WithTracerProvider(tp))

	const workers, calls = 8, 40
	sizes := []int{10, 300, 3000, 9000, 30000}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range calls {
				n := sizes[(w+i)%len(sizes)]
				q := fmt.Sprintf("q%03d-%05d ", w, i) + strings.Repeat(strconv.Itoa((w*calls+i)%10), n)
				resp, err := client.CreateChatCompletion(context.Background(), openai.ChatCompletionRequest{
					Model:    "ep-test",
					Messages: []openai.ChatCompletionMessage{{Role: "user", Content: q}},
				})
				if err != nil || resp.Choices[0].Message.Content != "answer to "+q {
					t.Errorf("call %d/%d: %v", w, i, err)
				}
			}
		}()
	}
	wg.Wait()
	if err := tp.ForceFlush(context.Background()); err != nil {
		t.Fatal(err)
	}
	spans, err := recv.WaitSpans(workers*calls, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range spans {
		var in []struct{ Content string }
		if err := json.Unmarshal([]byte(s.Str("langfuse.observation.input")), &in); err != nil || len(in) != 1 {
			t.Fatalf("input %q: %v", s.Str("langfuse.observation.input"), err)
		}
		q := in[0].Content
		var out struct{ Content string }
		if err := json.Unmarshal([]byte(s.Str("langfuse.observation.output")), &out); err != nil {
			t.Fatalf("output %q: %v", s.Str("langfuse.observation.output"), err)
		}
		if out.Content != "answer to "+q {
			t.Errorf("span of %.12q: output %.40q…", q, out.Content)
		}
		if s.Str("gen_ai.response.id") != "id-"+q[:12] || s.Str("gen_ai.response.model") != "m-"+q[:12] {
			t.Errorf("span of %.12q: id %q, model %q", q, s.Str("gen_ai.response.id"), s.Str("gen_ai.response.model"))
		}
	}
}
