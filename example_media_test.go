package litefuse_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"log"
	"os"

	"github.com/litefuse/litefuse-go"
	openai "github.com/sashabaranov/go-openai"
)

// A vision request with an image as a base64 data URI: Ark gets the image
// as sent; the span records a media reference and the image is uploaded to
// Litefuse in the background (with the LANGFUSE_* keys set), where it shows
// as an image.
func Example_media() {
	png, err := os.ReadFile("photo.png")
	if err != nil {
		log.Print(err)
		return
	}
	cfg := openai.DefaultConfig(os.Getenv("ARK_API_KEY"))
	cfg.BaseURL = "https://ark.ap-southeast.bytepluses.com/api/v3"
	client := litefuse.NewClientWithConfig(cfg)
	ctx := context.Background()
	defer litefuse.Shutdown(ctx) // sends the spans and uploads still queued

	resp, err := client.CreateChatCompletion(ctx, openai.ChatCompletionRequest{
		Model: "seed-1-6-250915",
		Messages: []openai.ChatCompletionMessage{{
			Role: openai.ChatMessageRoleUser,
			MultiContent: []openai.ChatMessagePart{
				{Type: openai.ChatMessagePartTypeText, Text: "What is in this picture?"},
				{Type: openai.ChatMessagePartTypeImageURL, ImageURL: &openai.ChatMessageImageURL{
					URL: "data:image/png;base64," + base64.StdEncoding.EncodeToString(png),
				}},
			},
		}},
	})
	if err != nil {
		log.Print(err)
		return
	}
	fmt.Println(resp.Choices[0].Message.Content)
	if err := litefuse.Flush(ctx); err != nil { // waits for the upload too
		log.Print(err)
	}
	st := litefuse.ReadStats()
	fmt.Println("media uploaded:", st.MediaUploaded, "failed:", st.MediaFailed, "dropped:", st.MediaDropped)
}
