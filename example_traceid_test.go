package litefuse_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/litefuse/litefuse-go"
	openai "github.com/sashabaranov/go-openai"
)

// Score a model call made without a span around it. A bare call does not
// change its ctx, so CurrentTraceID(ctx) has nothing to give afterwards:
// choose the trace first. Seeded with a request ID, the trace ID is the
// one the Python SDK's create_trace_id(seed=...) gives, so another
// service can score or extend the same trace.
func ExampleNewTraceID() {
	// A stand-in for the model endpoint; in a real program, Ark's base URL.
	model := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"id":"1","object":"chat.completion","model":"kimi-k2-250711",`+
			`"choices":[{"index":0,"message":{"role":"assistant","content":"Hello!"},"finish_reason":"stop"}],`+
			`"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}}`)
	}))
	defer model.Close()
	cfg := openai.DefaultConfig("your-ark-key")
	cfg.BaseURL = model.URL
	client := litefuse.NewClientWithConfig(cfg)

	traceID := litefuse.NewTraceID("request-8f2c") // or NewTraceID("") for a random one
	ctx := litefuse.WithGeneration(context.Background(), litefuse.Generation{Name: "answer", TraceID: traceID})
	resp, err := client.CreateChatCompletion(ctx, openai.ChatCompletionRequest{
		Model:    "kimi-k2-250711",
		Messages: []openai.ChatCompletionMessage{{Role: openai.ChatMessageRoleUser, Content: "Hi"}},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.Choices[0].Message.Content)
	fmt.Println(traceID)

	// Later, when the user rates the answer (ScoreCurrentTrace(ctx, …)
	// does the same with this ctx):
	err = litefuse.CreateScore(ctx, litefuse.Score{Name: "user-feedback", Value: 1, DataType: litefuse.ScoreBoolean, TraceID: traceID})
	fmt.Println(err)
	// Output:
	// Hello!
	// 6256ec6bd351afe041217d48210d2b51
	// <nil>
}

// Record a model reached without HTTP (a local model, a gRPC service) as
// a generation, with its model, parameters, usage and time to first
// token, and give the trace its input and output.
func ExampleObservation_SetModel() {
	localModel := func(ctx context.Context, prompt string, first func()) (string, int, int) {
		first() // the first token is out
		return strings.ToUpper(prompt), 3, 1
	}

	ctx := context.Background()
	prompt := "hello"
	ctx, gen := litefuse.StartObservation(ctx, "local-llm",
		litefuse.WithType(litefuse.TypeGeneration), litefuse.WithInput(prompt))
	gen.SetModel("llama-3.1-8b-instruct", map[string]any{"temperature": 0.2})
	answer, in, out := localModel(ctx, prompt, func() { gen.SetCompletionStartTime(time.Now()) })
	gen.SetOutput(answer)
	gen.SetUsage(map[string]int{"input": in, "output": out, "total": in + out})
	gen.SetTraceInput(prompt)
	gen.SetTraceOutput(answer)
	gen.End()

	fmt.Println(answer)
	// Output: HELLO
}
