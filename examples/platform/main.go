// Command platform runs the rest of Litefuse on this machine, with no key
// or account: it fetches a chat prompt from a local Litefuse (litefusetest),
// compiles it, calls a canned model through go-openai with the generation
// linked to the prompt, scores the trace from (simulated) user feedback,
// and prints the trace's URL.
//
//	go run ./examples/platform
package main

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/litefuse/litefuse-go"
	"github.com/litefuse/litefuse-go/litefusetest"
	openai "github.com/sashabaranov/go-openai"
)

func main() {
	if err := run(); err != nil {
		log.Fatalf("platform: %v", err)
	}
}

func run() error {
	model := litefusetest.NewModelServer() // an OpenAI-compatible model on 127.0.0.1
	defer model.Close()
	lf := litefusetest.NewServer() // a local Litefuse: OTLP, prompts, scores, projects
	defer lf.Close()
	lf.AddPrompt(litefusetest.Prompt{Name: "support/answer", Version: 2, Labels: []string{"production"},
		Messages: []litefusetest.PromptMessage{
			{Role: "system", Content: "You answer questions about {{product}}."},
			{Type: "placeholder", Name: "history"},
			{Role: "user", Content: "{{question}}"},
		}})

	// In a real program the LANGFUSE_* variables do this.
	if err := litefuse.Init(lf.Options()...); err != nil {
		return err
	}
	ctx := context.Background()
	if err := litefuse.AuthCheck(ctx); err != nil {
		return err
	}

	prompt, err := litefuse.GetPrompt(ctx, "support/answer")
	if err != nil {
		return err
	}
	messages, err := prompt.CompileChat(map[string]any{
		"product":  "Ark",
		"question": "What is Litefuse?",
		"history":  []openai.ChatCompletionMessage{}, // a new conversation
	})
	if err != nil {
		return err
	}
	fmt.Printf("prompt %s v%d compiled to %d messages\n", prompt.Name, prompt.Version, len(messages))

	cfg := openai.DefaultConfig("ark-api-key-not-needed-here")
	cfg.BaseURL = model.BaseURL()
	client := litefuse.NewClientWithConfig(cfg)
	_, err = litefuse.Observe(ctx, "support-request", func(ctx context.Context) (string, error) {
		gctx := litefuse.WithGeneration(ctx, litefuse.Generation{Name: "answer", Prompt: prompt.Ref()})
		resp, err := client.CreateChatCompletion(gctx, openai.ChatCompletionRequest{Model: litefusetest.Model, Messages: messages})
		if err != nil {
			return "", err
		}
		fmt.Println("answer:", resp.Choices[0].Message.Content)
		// The user clicked thumbs-up.
		if err := litefuse.ScoreCurrentTrace(ctx, litefuse.Score{Name: "user-feedback", Value: 1, DataType: "BOOLEAN"}); err != nil {
			return "", err
		}
		url, err := litefuse.TraceURL(ctx, litefuse.CurrentTraceID(ctx))
		if err != nil {
			return "", err
		}
		fmt.Println("trace: ", url)
		return resp.Choices[0].Message.Content, nil
	})
	if err != nil {
		return err
	}

	shutdownCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := litefuse.Shutdown(shutdownCtx); err != nil {
		return err
	}
	// Scores are sent in the background; wait for the server to have it.
	for deadline := time.Now().Add(5 * time.Second); len(lf.Scores()) == 0 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	for _, s := range lf.Scores() {
		fmt.Printf("score:  %s=%v (%s) on trace %s\n", s.Name, s.Value, s.DataType, s.TraceID)
	}
	for _, o := range lf.Observations() {
		if o.PromptName != "" {
			fmt.Printf("generation: %s linked to prompt %s v%d\n", o.Name, o.PromptName, o.PromptVersion)
		}
	}
	fmt.Println("\nSee traces in a local UI: go run ./cmd/litefuse, then point LANGFUSE_BASE_URL at it.")
	return nil
}
