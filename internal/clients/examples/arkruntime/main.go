// Command arkruntime records calls made with Ark's own Go SDK
// (volcengine-go-sdk's arkruntime) in Litefuse: the only change to an
// arkruntime program is the HTTP client,
// arkruntime.WithHTTPClient(litefuse.NewHTTPClient()).
//
// With ARK_API_KEY (and LANGFUSE_PUBLIC_KEY, LANGFUSE_SECRET_KEY,
// LANGFUSE_BASE_URL) it calls Ark (ARK_BASE_URL, default BytePlus
// ap-southeast; ARK_MODEL, default kimi-k2-250711) and sends the
// generations to your Litefuse. Without ARK_API_KEY it starts local
// stand-ins for both and prints what was recorded.
//
//	go run ./examples/arkruntime
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
	"github.com/litefuse/litefuse-go/internal/clients/standin"
	"github.com/volcengine/volcengine-go-sdk/service/arkruntime"
	"github.com/volcengine/volcengine-go-sdk/service/arkruntime/model"
	"github.com/volcengine/volcengine-go-sdk/volcengine"
)

func main() {
	baseURL, apiKey, modelName := envOr("ARK_BASE_URL", "https://ark.ap-southeast.bytepluses.com/api/v3"),
		os.Getenv("ARK_API_KEY"), envOr("ARK_MODEL", "kimi-k2-250711")
	var opts []litefuse.Option // none: the LANGFUSE_* variables configure it
	var local *standin.Local
	if apiKey == "" {
		local = standin.Start()
		defer local.Close()
		baseURL, apiKey, modelName, opts = local.ArkBaseURL(), local.APIKey(), local.Model(), local.Options()
	}
	if err := litefuse.Init(opts...); err != nil {
		log.Fatal(err)
	}

	err := run(baseURL, apiKey, modelName)

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

func run(baseURL, apiKey, modelName string) error {
	// WithHTTPClient replaces arkruntime's client, timeout included: give
	// the recording client a timeout here (arkruntime's default is 10 min).
	hc := litefuse.NewHTTPClient()
	hc.Timeout = 10 * time.Minute
	client := arkruntime.NewClientWithApiKey(apiKey,
		arkruntime.WithBaseUrl(baseURL),
		arkruntime.WithHTTPClient(hc), // every model call recorded
	)
	req := model.CreateChatCompletionRequest{
		Model: modelName,
		Messages: []*model.ChatCompletionMessage{
			{Role: model.ChatMessageRoleSystem, Content: &model.ChatCompletionMessageContent{StringValue: volcengine.String("You're an AI assistant")}},
			{Role: model.ChatMessageRoleUser, Content: &model.ChatCompletionMessageContent{StringValue: volcengine.String("What is Litefuse?")}},
		},
	}
	ctx := litefuse.WithGeneration(context.Background(), litefuse.Generation{Name: "arkruntime chat"})
	resp, err := client.CreateChatCompletion(ctx, req)
	if err != nil {
		return fmt.Errorf("chat completion: %w", err)
	}
	if c := resp.Choices[0].Message.Content; c != nil && c.StringValue != nil {
		fmt.Printf("chat:   %s\n", *c.StringValue)
	}

	ctx = litefuse.WithGeneration(context.Background(), litefuse.Generation{Name: "arkruntime stream"})
	stream, err := client.CreateChatCompletionStream(ctx, req)
	if err != nil {
		return fmt.Errorf("chat completion stream: %w", err)
	}
	defer stream.Close()
	fmt.Print("stream: ")
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

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
