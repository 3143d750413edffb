package litefuse_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/litefuse/litefuse-go"
	openai "github.com/sashabaranov/go-openai"
)

// Fetch a chat prompt managed in Litefuse, fill it, call Ark through
// go-openai with the generation linked to the prompt version, score the
// trace from the user's feedback and print the trace's link. The
// LANGFUSE_* variables configure everything.
func ExampleGetPrompt() {
	ctx := context.Background()
	defer litefuse.Shutdown(ctx) // sends the spans and scores still queued

	// Served from a 60 s cache; a fallback keeps the program working when
	// Litefuse cannot be reached and nothing is cached yet.
	prompt, err := litefuse.GetPrompt(ctx, "support/answer",
		litefuse.WithPromptFallback(&litefuse.Prompt{Messages: []litefuse.PromptMessage{
			{Role: "system", Content: "You answer questions about {{product}}."},
			{Role: "user", Content: "{{question}}"},
		}}))
	if err != nil {
		log.Fatal(err)
	}
	messages, err := prompt.CompileChat(map[string]any{"product": "Ark", "question": "What is a model endpoint?"})
	if err != nil {
		log.Fatal(err)
	}

	cfg := openai.DefaultConfig(os.Getenv("ARK_API_KEY"))
	cfg.BaseURL = "https://ark.ap-southeast.bytepluses.com/api/v3"
	client := litefuse.NewClientWithConfig(cfg)

	answer, err := litefuse.Observe(ctx, "support-request", func(ctx context.Context) (string, error) {
		// Ref is nil for a fallback: the generation is then simply not linked.
		ctx = litefuse.WithGeneration(ctx, litefuse.Generation{Name: "answer", Prompt: prompt.Ref()})
		resp, err := client.CreateChatCompletion(ctx, openai.ChatCompletionRequest{
			Model:    "kimi-k2-250711",
			Messages: messages,
		})
		if err != nil {
			return "", err
		}
		// The user liked the answer: score this trace.
		if err := litefuse.ScoreCurrentTrace(ctx, litefuse.Score{Name: "user-feedback", Value: 1, DataType: "BOOLEAN"}); err != nil {
			log.Print(err)
		}
		if url, err := litefuse.TraceURL(ctx, litefuse.CurrentTraceID(ctx)); err == nil {
			fmt.Println("trace:", url)
		}
		return resp.Choices[0].Message.Content, nil
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(answer)
}

func ExamplePrompt_Compile() {
	// A prompt as GetPrompt returns it (here built in place).
	p := &litefuse.Prompt{Name: "greeting", Version: 3, Type: "text", Text: "Hello {{name}}, you have {{ count }} new messages."}
	text, err := p.Compile(map[string]any{"name": "Ada", "count": 3})
	fmt.Println(text, err)
	_, err = p.Compile(map[string]any{"name": "Ada"})
	fmt.Println(err)
	// Output:
	// Hello Ada, you have 3 new messages. <nil>
	// litefuse: prompt "greeting": missing variable "count"
}

func ExamplePrompt_CompileChat() {
	p := &litefuse.Prompt{Name: "support", Version: 1, Type: "chat", Messages: []litefuse.PromptMessage{
		{Role: "system", Content: "You answer questions about {{product}}."},
		{Role: "placeholder", Content: "history"}, // a chat placeholder named "history"
		{Role: "user", Content: "{{question}}"},
	}}
	messages, err := p.CompileChat(map[string]any{
		"product":  "Ark",
		"question": "And the price?",
		"history": []openai.ChatCompletionMessage{
			{Role: openai.ChatMessageRoleUser, Content: "What is Ark?"},
			{Role: openai.ChatMessageRoleAssistant, Content: "BytePlus's model platform."},
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, m := range messages {
		fmt.Printf("%s: %s\n", m.Role, m.Content)
	}
	fmt.Println(p.Ref().Name, p.Ref().Version)
	// Output:
	// system: You answer questions about Ark.
	// user: What is Ark?
	// assistant: BytePlus's model platform.
	// user: And the price?
	// support 1
}

// Score a trace, an observation of it, or a session. Errors come back at
// once for invalid scores only; sending happens in the background.
func ExampleCreateScore() {
	ctx := context.Background()
	traceID := "0af7651916cd43dd8448eb211c80319c" // e.g. from litefuse.CurrentTraceID(ctx)
	for _, s := range []litefuse.Score{
		{Name: "accuracy", Value: 0.92, TraceID: traceID, Comment: "checked by an evaluator"},
		{Name: "tone", DataType: "CATEGORICAL", StringValue: "friendly", TraceID: traceID},
		{Name: "resolved", DataType: "BOOLEAN", Value: 1, SessionID: "chat-42"},
	} {
		if err := litefuse.CreateScore(ctx, s); err != nil {
			log.Print(err)
		}
	}
	// Before exiting: wait for the queued scores (and spans).
	flushCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := litefuse.Flush(flushCtx); err != nil {
		log.Print(err)
	}
}

// Check the keys at start-up, and link to a trace from inside it.
func ExampleTraceURL() {
	ctx := context.Background()
	if err := litefuse.AuthCheck(ctx); err != nil {
		log.Print(err) // e.g. a 401 and which variables to check
	}
	_, _ = litefuse.Observe(ctx, "job", func(ctx context.Context) (struct{}, error) {
		url, err := litefuse.TraceURL(ctx, litefuse.CurrentTraceID(ctx))
		if err != nil {
			return struct{}{}, err
		}
		fmt.Println("see", url)
		return struct{}{}, nil
	})
}
