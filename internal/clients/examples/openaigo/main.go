// Command openaigo records openai-go v3 calls to BytePlus ModelArk in
// Litefuse: the only change to an openai-go program is the HTTP client,
// option.WithHTTPClient(litefuse.NewHTTPClient()).
//
// With ARK_API_KEY (and LANGFUSE_PUBLIC_KEY, LANGFUSE_SECRET_KEY,
// LANGFUSE_BASE_URL) it calls Ark (ARK_BASE_URL, default BytePlus
// ap-southeast; ARK_MODEL, default kimi-k2-250711) and sends the
// generations to your Litefuse. Without ARK_API_KEY it starts local
// stand-ins for both and prints what was recorded.
//
//	go run ./examples/openaigo
package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/litefuse/litefuse-go"
	"github.com/litefuse/litefuse-go/internal/clients/standin"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
)

func main() {
	baseURL, apiKey, model := envOr("ARK_BASE_URL", "https://ark.ap-southeast.bytepluses.com/api/v3"),
		os.Getenv("ARK_API_KEY"), envOr("ARK_MODEL", "kimi-k2-250711")
	var opts []litefuse.Option // none: the LANGFUSE_* variables configure it
	var local *standin.Local
	if apiKey == "" {
		local = standin.Start()
		defer local.Close()
		baseURL, apiKey, model, opts = local.ArkBaseURL(), local.APIKey(), local.Model(), local.Options()
	}
	if err := litefuse.Init(opts...); err != nil {
		log.Fatal(err)
	}

	err := run(baseURL, apiKey, model)

	// Send what is still buffered before exiting, failed calls included.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if serr := litefuse.Shutdown(ctx); serr != nil && err == nil {
		err = serr
	}
	if err == nil && local != nil {
		err = local.Report(os.Stdout, 2)
	}
	if err == nil && local == nil {
		s := litefuse.ReadStats()
		fmt.Printf("\nLitefuse: %d spans exported, %d failed, %d dropped\n", s.Exported, s.Failed, s.Dropped)
	}
	if err != nil {
		log.Fatal(err) // Shutdown has run: the spans are sent
	}
}

func run(baseURL, apiKey, model string) error {
	client := openai.NewClient(
		option.WithBaseURL(baseURL),
		option.WithAPIKey(apiKey),
		option.WithHTTPClient(litefuse.NewHTTPClient()), // every model call recorded
	)
	params := openai.ChatCompletionNewParams{
		Model: model,
		Messages: []openai.ChatCompletionMessageParamUnion{
			openai.SystemMessage("You're an AI assistant"),
			openai.UserMessage("What is Litefuse?"),
		},
	}
	ctx := litefuse.WithGeneration(context.Background(), litefuse.Generation{Name: "openai-go chat"})
	resp, err := client.Chat.Completions.New(ctx, params)
	if err != nil {
		return fmt.Errorf("chat completion: %w", err)
	}
	fmt.Printf("chat:   %s\n", resp.Choices[0].Message.Content)

	ctx = litefuse.WithGeneration(context.Background(), litefuse.Generation{Name: "openai-go stream"})
	stream := client.Chat.Completions.NewStreaming(ctx, params)
	defer stream.Close()
	fmt.Print("stream: ")
	for stream.Next() {
		if chunk := stream.Current(); len(chunk.Choices) > 0 {
			fmt.Print(chunk.Choices[0].Delta.Content)
		}
	}
	fmt.Println()
	if err := stream.Err(); err != nil {
		return fmt.Errorf("chat completion stream: %w", err)
	}
	return nil
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
