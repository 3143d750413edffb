// Command observe is Python's @observe()-decorated my_llm_pipeline in Go: an observed function
// that tags its trace with user, session, tags, metadata and version, and
// makes a generation nested under it. It needs ARK_API_KEY and the
// LANGFUSE_* variables.
//
//	go run ./examples/observe
package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/litefuse/litefuse-go"
	openai "github.com/sashabaranov/go-openai"
)

var client *openai.Client // go-openai's own type: litefuse.NewClientWithConfig records through it

// myLLMPipeline is what Python writes as an @observe()-decorated function.
func myLLMPipeline(ctx context.Context, question string) (string, error) {
	return litefuse.Observe(ctx, "my_llm_pipeline", func(ctx context.Context) (string, error) {
		// Every span from here on, this one included, carries these.
		ctx = litefuse.PropagateAttributes(ctx, litefuse.Attributes{
			UserID:    "user_123",
			SessionID: "session_abc",
			Tags:      []string{"agent", "my-trace"},
			Metadata:  map[string]string{"email": "user@example.com"},
			Version:   "1.0.0",
		})
		ctx = litefuse.WithGeneration(ctx, litefuse.Generation{Name: "BytePlus-Generation"})
		resp, err := client.CreateChatCompletion(ctx, openai.ChatCompletionRequest{
			Model: "kimi-k2-250711",
			Messages: []openai.ChatCompletionMessage{
				{Role: openai.ChatMessageRoleSystem, Content: "You're an AI assistant"},
				{Role: openai.ChatMessageRoleUser, Content: question},
			},
		})
		if err != nil {
			return "", err
		}
		return resp.Choices[0].Message.Content, nil
	}, litefuse.WithInput(map[string]string{"question": question}))
}

func main() {
	apiKey := os.Getenv("ARK_API_KEY")
	if apiKey == "" {
		log.Fatal("observe: set ARK_API_KEY and the LANGFUSE_* variables; for a local run with no account: go run ./examples/quickstart")
	}
	cfg := openai.DefaultConfig(apiKey)
	cfg.BaseURL = "https://ark.ap-southeast.bytepluses.com/api/v3"
	client = litefuse.NewClientWithConfig(cfg)
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := litefuse.Shutdown(ctx); err != nil {
			log.Printf("litefuse: %v", err)
		}
	}()

	answer, err := myLLMPipeline(context.Background(), "What is Litefuse?")
	if err != nil {
		log.Printf("pipeline: %v", err)
		return
	}
	fmt.Println(answer)
}
