// Command byteplus is the seed program: Kimi K2 on BytePlus ModelArk through
// go-openai, traced to Litefuse. It needs ARK_API_KEY and the LANGFUSE_*
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
	defer func() {
		// Send what is still buffered before the program exits.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := litefuse.Shutdown(ctx); err != nil {
			log.Printf("litefuse: %v", err)
		}
	}()

	cfg := openai.DefaultConfig(apiKey)
	cfg.BaseURL = arkBaseURL
	client := litefuse.NewClientWithConfig(cfg)

	messages := []openai.ChatCompletionMessage{
		{Role: openai.ChatMessageRoleSystem, Content: "You're an AI assistant"},
		{Role: openai.ChatMessageRoleUser, Content: "What is Litefuse?"},
	}

	// Non-streaming, named like the Python wrapper's name="BytePlus-Generation".
	ctx := litefuse.WithGeneration(context.Background(), litefuse.Generation{Name: "BytePlus-Generation"})
	resp, err := client.CreateChatCompletion(ctx, openai.ChatCompletionRequest{
		Model:    "kimi-k2-250711",
		Messages: messages,
	})
	if err != nil {
		log.Fatalf("chat completion: %v", err)
	}
	fmt.Println(resp.Choices[0].Message.Content)

	// Streaming.
	stream, err := client.CreateChatCompletionStream(context.Background(), openai.ChatCompletionRequest{
		Model:    "kimi-k2-250711",
		Messages: messages,
	})
	if err != nil {
		log.Fatalf("chat completion stream: %v", err)
	}
	defer stream.Close()
	for {
		chunk, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			log.Fatalf("stream: %v", err)
		}
		if len(chunk.Choices) > 0 {
			fmt.Print(chunk.Choices[0].Delta.Content)
		}
	}
	fmt.Println()
}
