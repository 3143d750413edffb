// go-openai's README "Quick start: Responses API" and "Stream output", with
// the import line changed and the client pointed at OPENAI_BASE_URL.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"os"

	openai "github.com/litefuse/litefuse-go/openai"
)

func main() {
	config := openai.DefaultConfig(os.Getenv("OPENAI_API_KEY"))
	config.BaseURL = os.Getenv("OPENAI_BASE_URL")
	client := openai.NewClientWithConfig(config)
	defer flush()

	response, err := client.CreateResponse(context.Background(), openai.CreateResponseRequest{
		Model:        openai.GPT5Dot6Sol,
		Instructions: "You are a concise technical explainer.",
		Input:        "Why is the sky blue?",
	})
	if err != nil {
		log.Fatal(err)
	}

	fmt.Println(response.GetOutputText())

	if err := streamOutput(context.Background(), client); err != nil {
		log.Fatal(err)
	}
}

func streamOutput(ctx context.Context, client *openai.Client) error {
	stream, err := client.CreateResponseStream(ctx, openai.CreateResponseRequest{
		Model: openai.GPT5Dot6Sol,
		Input: "Write a short story about a curious gopher.",
	})
	if err != nil {
		return err
	}
	defer stream.Close()

	for {
		event, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		if event.Type == openai.ResponseStreamEventOutputTextDelta {
			fmt.Print(event.Delta)
		}
	}
	fmt.Println()
	return nil
}
