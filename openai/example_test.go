package openai_test

import (
	"context"
	"fmt"
	"os"

	"github.com/litefuse/litefuse-go"
	openai "github.com/litefuse/litefuse-go/openai"
)

// The import swap: only the import line changes (plus Shutdown, from the
// litefuse package, before the program exits).
func ExampleNewClientWithConfig() {
	defer litefuse.Shutdown(context.Background())
	cfg := openai.DefaultConfig(os.Getenv("ARK_API_KEY"))
	cfg.BaseURL = "https://ark.ap-southeast.bytepluses.com/api/v3"
	client := openai.NewClientWithConfig(cfg) // go-openai's own *Client, recording

	resp, err := client.CreateChatCompletion(context.Background(), openai.ChatCompletionRequest{
		Model:    "kimi-k2-250711",
		Messages: []openai.ChatCompletionMessage{{Role: openai.ChatMessageRoleUser, Content: "What is Litefuse?"}},
	})
	fmt.Println(resp, err)
}
