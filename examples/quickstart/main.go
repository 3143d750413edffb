// Command quickstart runs the whole litefuse-go pipeline on this machine,
// with no key or account: an in-process fake Ark endpoint answers the
// calls, the library records them, and an in-process OTLP receiver standing
// in for Litefuse decodes what arrives and prints the generations.
//
//	go run ./examples/quickstart
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"time"

	"github.com/litefuse/litefuse-go"
	"github.com/litefuse/litefuse-go/internal/fakeark"
	"github.com/litefuse/litefuse-go/internal/otlpreceiver"
	openai "github.com/sashabaranov/go-openai"
)

func main() {
	if err := run(); err != nil {
		log.Fatalf("quickstart: %v", err)
	}
}

func run() error {
	ark := fakeark.New() // speaks Ark's JSON and SSE on 127.0.0.1
	defer ark.Close()
	reply := fakeark.DefaultReply()
	reply.FirstDelay, reply.ChunkDelay = 40*time.Millisecond, 5*time.Millisecond
	ark.SetReply(reply)
	litefuseStandIn := otlpreceiver.New() // Litefuse's OTLP endpoint on 127.0.0.1
	defer litefuseStandIn.Close()

	// In a real program the LANGFUSE_* variables do this; options win over them.
	if err := litefuse.Init(
		litefuse.WithCredentials("pk-lf-quickstart", "sk-lf-quickstart"),
		litefuse.WithBaseURL(litefuseStandIn.BaseURL()),
		litefuse.WithEnvironment("quickstart"),
	); err != nil {
		return err
	}

	cfg := openai.DefaultConfig("ark-api-key-not-needed-here")
	cfg.BaseURL = ark.BaseURL()
	client := litefuse.NewClientWithConfig(cfg)
	messages := []openai.ChatCompletionMessage{
		{Role: openai.ChatMessageRoleSystem, Content: "You're an AI assistant"},
		{Role: openai.ChatMessageRoleUser, Content: "What is Litefuse?"},
	}

	ctx := litefuse.WithGeneration(context.Background(), litefuse.Generation{Name: "BytePlus-Generation"})
	resp, err := client.CreateChatCompletion(ctx, openai.ChatCompletionRequest{Model: fakeark.Model, Messages: messages})
	if err != nil {
		return err
	}
	fmt.Printf("chat:   %s\n", resp.Choices[0].Message.Content)

	stream, err := client.CreateChatCompletionStream(ctx, openai.ChatCompletionRequest{Model: fakeark.Model, Messages: messages})
	if err != nil {
		return err
	}
	fmt.Print("stream: ")
	for {
		chunk, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		fmt.Print(chunk.Choices[0].Delta.Content)
	}
	fmt.Println()
	_ = stream.Close()

	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := litefuse.Shutdown(shutdownCtx); err != nil {
		return err
	}

	spans := litefuseStandIn.Spans()
	fmt.Printf("\nLitefuse stand-in received %d generations:\n", len(spans))
	for _, s := range spans {
		var usage map[string]int
		_ = json.Unmarshal([]byte(s.Str("langfuse.observation.usage_details")), &usage)
		line := fmt.Sprintf("  %-22s model=%s tokens in=%d cached=%d out=%d reasoning=%d total=%d latency=%s",
			s.Name, s.Str("langfuse.observation.model.name"), usage["input"], usage["input_cached_tokens"],
			usage["output"], usage["output_reasoning_tokens"], usage["total"], s.End.Sub(s.Start).Round(time.Millisecond))
		if ttft := s.Str("langfuse.observation.completion_start_time"); ttft != "" {
			if t, err := time.Parse(time.RFC3339Nano, ttft); err == nil {
				line += " ttft=" + t.Sub(s.Start).Round(time.Millisecond).String()
			}
		}
		fmt.Println(line)
	}
	if len(spans) != 2 {
		fmt.Fprintln(os.Stderr, "quickstart: expected 2 generations")
		os.Exit(1)
	}
	fmt.Println("\nSet LANGFUSE_PUBLIC_KEY, LANGFUSE_SECRET_KEY, LANGFUSE_BASE_URL and ARK_API_KEY and run",
		"go run ./examples/byteplus to send real calls to your Litefuse.")
	return nil
}
