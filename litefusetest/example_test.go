package litefusetest_test

import (
	"context"
	"fmt"
	"time"

	"github.com/litefuse/litefuse-go"
	"github.com/litefuse/litefuse-go/litefusetest"
	openai "github.com/sashabaranov/go-openai"
)

// A test that checks what a go-openai call records: a local Litefuse and a
// canned model, a tracer provider pointed at the one and a recording client
// at the other, then the observations as Litefuse stores them.
func Example() {
	srv := litefusetest.NewServer()
	defer srv.Close()
	model := litefusetest.NewModelServer()
	defer model.Close()

	tp, err := litefuse.NewTracerProvider(srv.Options()...)
	if err != nil {
		panic(err)
	}
	defer tp.Shutdown(context.Background())
	cfg := openai.DefaultConfig("no-key-needed")
	cfg.BaseURL = model.BaseURL()
	client := litefuse.NewClientWithConfig(cfg, litefuse.WithTracerProvider(tp))

	ctx := litefuse.WithGeneration(context.Background(), litefuse.Generation{Name: "answer"})
	_, err = client.CreateChatCompletion(ctx, openai.ChatCompletionRequest{
		Model:    litefusetest.Model,
		Messages: []openai.ChatCompletionMessage{{Role: openai.ChatMessageRoleUser, Content: "What is Litefuse?"}},
	})
	if err != nil {
		panic(err)
	}

	// Spans leave in the background: flush, then read.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := tp.ForceFlush(ctx); err != nil {
		panic(err)
	}
	for _, o := range srv.Observations() {
		fmt.Println(o.Type, o.Name, o.ProvidedModelName, o.UsageDetails["total"])
	}
	// Output: GENERATION answer kimi-k2-250711 70
}

// Prompts for a test: AddPrompt, then litefuse.GetPrompt fetches it.
func ExampleServer_AddPrompt() {
	srv := litefusetest.NewServer()
	defer srv.Close()
	srv.AddPrompt(litefusetest.Prompt{Name: "greeting", Text: "Hello {{name}}", Labels: []string{"production"}})

	if err := litefuse.Init(srv.Options()...); err != nil {
		panic(err)
	}
	p, err := litefuse.GetPrompt(context.Background(), "greeting")
	if err != nil {
		panic(err)
	}
	text, _ := p.Compile(map[string]any{"name": "Ada"})
	fmt.Println(p.Version, text)
	// Output: 1 Hello Ada
}

// Waiting for observations instead of reading at once.
func ExampleServer_WaitObservations() {
	srv := litefusetest.NewServer()
	defer srv.Close()
	tp, _ := litefuse.NewTracerProvider(srv.Options()...)
	defer tp.Shutdown(context.Background())

	_, _ = litefuse.Observe(context.Background(), "step", func(ctx context.Context) (int, error) { return 42, nil },
		litefuse.WithObserveOptions(litefuse.WithTracerProvider(tp)))
	_ = tp.ForceFlush(context.Background())

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	obs, err := srv.WaitObservations(ctx, 1)
	if err != nil {
		panic(err)
	}
	fmt.Println(obs[0].Type, obs[0].Name, obs[0].Output)
	// Output: SPAN step 42
}
