// Command byteplus calls Kimi K2 on BytePlus ModelArk through go-openai and
// records both calls in Litefuse. It needs ARK_API_KEY and the LANGFUSE_*
// variables (LANGFUSE_PUBLIC_KEY, LANGFUSE_SECRET_KEY, LANGFUSE_BASE_URL).
//
//	go run ./examples/byteplus
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"time"

	"github.com/litefuse/litefuse-go"
	openai "github.com/sashabaranov/go-openai"
)

const arkBaseURL = "https://ark.ap-southeast.bytepluses.com/api/v3"

func main() {
	apiKey := os.Getenv("ARK_API_KEY")
	if apiKey == "" {
		log.Fatal("byteplus: set ARK_API_KEY (and LANGFUSE_PUBLIC_KEY, LANGFUSE_SECRET_KEY, LANGFUSE_BASE_URL); " +
			"to try the library without any account run: go run ./examples/quickstart")
	}
	err := run(apiKey)

	// Send what is still buffered before the program exits, failed calls
	// included: Go has no exit hook, so a program that skips this loses
	// its last spans. log.Fatal would skip deferred calls, so it comes after.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if serr := litefuse.Shutdown(ctx); serr != nil {
		log.Printf("litefuse: %v", serr)
	}
	if err != nil {
		log.Fatal(err)
	}
}

func run(apiKey string) error {
	cfg := openai.DefaultConfig(apiKey)
	cfg.BaseURL = arkBaseURL
	client := litefuse.NewClientWithConfig(cfg) // go-openai's own *openai.Client

	messages := []openai.ChatCompletionMessage{
		{Role: openai.ChatMessageRoleSystem, Content: "You're an AI assistant"},
		{Role: openai.ChatMessageRoleUser, Content: "What is Litefuse?"},
	}
	// Both calls are named like the Python wrapper's name="BytePlus-Generation".
	ctx := litefuse.WithGeneration(context.Background(), litefuse.Generation{Name: "BytePlus-Generation"})

	resp, err := client.CreateChatCompletion(ctx, openai.ChatCompletionRequest{
		Model:    "kimi-k2-250711",
		Messages: messages,
	})
	if err != nil {
		return fmt.Errorf("chat completion: %w", err)
	}
	fmt.Println(resp.Choices[0].Message.Content)

	stream, err := client.CreateChatCompletionStream(ctx, openai.ChatCompletionRequest{
		Model:    "kimi-k2-250711",
		Messages: messages,
	})
	if err != nil {
		return fmt.Errorf("chat completion stream: %w", err)
	}
	defer stream.Close()
	for {
		chunk, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("stream: %w", err)
		}
		if len(chunk.Choices) > 0 {
			fmt.Print(chunk.Choices[0].Delta.Content)
		}
	}
	fmt.Println()
	return nil
}
