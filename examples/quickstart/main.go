// Command quickstart runs the whole litefuse-go pipeline on this machine,
// with no key or account: a canned OpenAI-compatible model answers the
// calls, the library records them, and a local Litefuse (the litefusetest
// package: the same server as the litefuse command) stores what arrives,
// which the program then prints.
//
//	go run ./examples/quickstart
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
	"github.com/litefuse/litefuse-go/litefusetest"
	openai "github.com/sashabaranov/go-openai"
)

func main() {
	if err := run(); err != nil {
		log.Fatalf("quickstart: %v", err)
	}
}

func run() error {
	model := litefusetest.NewModelServer() // an OpenAI-compatible model on 127.0.0.1
	defer model.Close()
	reply := litefusetest.DefaultModelReply()
	reply.FirstDelay, reply.ChunkDelay = 40*time.Millisecond, 5*time.Millisecond
	model.SetReply(reply)
	lf := litefusetest.NewServer() // a local Litefuse on 127.0.0.1
	defer lf.Close()

	// In a real program the LANGFUSE_* variables do this; options win over them.
	if err := litefuse.Init(append(lf.Options(), litefuse.WithEnvironment("quickstart"))...); err != nil {
		return err
	}

	cfg := openai.DefaultConfig("api-key-not-needed-here")
	cfg.BaseURL = model.BaseURL()
	client := litefuse.NewClientWithConfig(cfg)
	messages := []openai.ChatCompletionMessage{
		{Role: openai.ChatMessageRoleSystem, Content: "You're an AI assistant"},
		{Role: openai.ChatMessageRoleUser, Content: "What is Litefuse?"},
	}

	ctx := litefuse.WithGeneration(context.Background(), litefuse.Generation{Name: "BytePlus-Generation"})
	resp, err := client.CreateChatCompletion(ctx, openai.ChatCompletionRequest{Model: litefusetest.Model, Messages: messages})
	if err != nil {
		return err
	}
	fmt.Printf("chat:   %s\n", resp.Choices[0].Message.Content)

	stream, err := client.CreateChatCompletionStream(ctx, openai.ChatCompletionRequest{Model: litefusetest.Model, Messages: messages})
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

	obs := lf.Observations()
	fmt.Printf("\nThe local Litefuse received %d generations:\n", len(obs))
	for _, o := range obs {
		u := o.UsageDetails
		line := fmt.Sprintf("  %-22s %s model=%s tokens in=%d cached=%d out=%d reasoning=%d total=%d latency=%s",
			o.Name, o.Type, o.ProvidedModelName, u["input"], u["input_cached_tokens"],
			u["output"], u["output_reasoning_tokens"], u["total"], o.EndTime.Sub(o.StartTime).Round(time.Millisecond))
		if o.CompletionStartTime != nil {
			line += " ttft=" + o.CompletionStartTime.Sub(o.StartTime).Round(time.Millisecond).String()
		}
		fmt.Println(line)
	}
	if len(obs) != 2 {
		fmt.Fprintln(os.Stderr, "quickstart: expected 2 generations")
		os.Exit(1)
	}
	fmt.Println("\nSee your own program's traces in a local UI: run `go run ./cmd/litefuse` in another",
		"shell, paste the export LANGFUSE_... line it prints, run your program, and open http://127.0.0.1:3000/.")
	fmt.Println("Set LANGFUSE_PUBLIC_KEY, LANGFUSE_SECRET_KEY, LANGFUSE_BASE_URL and ARK_API_KEY and run",
		"go run ./examples/byteplus to send real calls to your Litefuse.")
	return nil
}
