// go-openai's README, "Configuration" and "Chat Completions", with only the
// import line changed. OPENAI_BASE_URL points it at a local server.
package main

import (
	"context"
	"fmt"
	"log"
	"os"

	openai "github.com/litefuse/litefuse-go/openai"
)

func main() {
	ctx := context.Background()
	config := openai.DefaultConfig(os.Getenv("OPENAI_API_KEY"))
	config.BaseURL = os.Getenv("OPENAI_BASE_URL")
	client := openai.NewClientWithConfig(config)

	response, err := client.CreateChatCompletion(ctx, openai.ChatCompletionRequest{
		Model: openai.GPT4oMini,
		Messages: []openai.ChatCompletionMessage{
			{
				Role:    openai.ChatMessageRoleUser,
				Content: "Hello!",
			},
		},
	})
	if err != nil {
		log.Fatal(err)
	}

	fmt.Println(response.Choices[0].Message.Content)
	flush()
}
