// go-openai's README "Error handling", with only the import line changed.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	openai "github.com/litefuse/litefuse-go/openai"
)

func main() {
	config := openai.DefaultConfig(os.Getenv("OPENAI_API_KEY"))
	config.BaseURL = os.Getenv("OPENAI_BASE_URL")
	client := openai.NewClientWithConfig(config)
	defer flush()

	_, err := client.CreateChatCompletion(context.Background(), openai.ChatCompletionRequest{
		Model:    "nonexistent-model",
		Messages: []openai.ChatCompletionMessage{{Role: openai.ChatMessageRoleUser, Content: "Hello!"}},
	})

	var apiError *openai.APIError
	if errors.As(err, &apiError) {
		fmt.Printf("OpenAI error: status=%d code=%v message=%s\n",
			apiError.HTTPStatusCode, apiError.Code, apiError.Message)
		return
	}
	fmt.Println("no API error:", err)
	os.Exit(1)
}
