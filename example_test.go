package litefuse_test

import (
	"context"
	"fmt"

	"github.com/litefuse/litefuse-go"
	"github.com/litefuse/litefuse-go/internal/fakeark"
	openai "github.com/sashabaranov/go-openai"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

func attr(s tracetest.SpanStub, key string) string {
	for _, kv := range s.Attributes {
		if kv.Key == attribute.Key(key) {
			return kv.Value.Emit()
		}
	}
	return ""
}

func ExampleWrap() {
	ark := fakeark.New() // a local stand-in for https://ark.ap-southeast.bytepluses.com/api/v3
	defer ark.Close()
	// In production the LANGFUSE_* variables set up export; here the spans
	// go to an in-memory exporter so the example can print them.
	spans := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))

	cfg := openai.DefaultConfig("ARK_API_KEY")
	cfg.BaseURL = ark.BaseURL()
	client := litefuse.Wrap(openai.NewClientWithConfig(cfg), litefuse.WithTracerProvider(tp))

	ctx := litefuse.WithGeneration(context.Background(), litefuse.Generation{Name: "BytePlus-Generation"})
	resp, err := client.CreateChatCompletion(ctx, openai.ChatCompletionRequest{
		Model: "kimi-k2-250711",
		Messages: []openai.ChatCompletionMessage{
			{Role: openai.ChatMessageRoleSystem, Content: "You're an AI assistant"},
			{Role: openai.ChatMessageRoleUser, Content: "What is Litefuse?"},
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(resp.Choices[0].Message.Content)
	s := spans.GetSpans()[0]
	fmt.Println(s.Name, attr(s, "langfuse.observation.type"), attr(s, "langfuse.observation.model.name"))
	fmt.Println(attr(s, "langfuse.observation.usage_details"))
	// Output:
	// Litefuse is an open-source LLM observability platform that speaks the Langfuse protocol.
	// BytePlus-Generation generation kimi-k2-250711
	// {"input":16,"input_cached_tokens":4,"output":38,"output_reasoning_tokens":12,"total":70}
}

func ExampleObserve() {
	spans := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))

	answer, err := litefuse.Observe(context.Background(), "my_llm_pipeline", func(ctx context.Context) (string, error) {
		ctx = litefuse.PropagateAttributes(ctx, litefuse.Attributes{UserID: "user_123", SessionID: "session_abc"})
		// ... call a traced client with ctx: its generation nests here ...
		return "42", nil
	}, litefuse.WithInput("the question"), litefuse.WithObserveOptions(litefuse.WithTracerProvider(tp)))
	fmt.Println(answer, err)
	s := spans.GetSpans()[0]
	fmt.Println(s.Name, attr(s, "langfuse.observation.type"), attr(s, "user.id"), attr(s, "langfuse.observation.output"))
	// Output:
	// 42 <nil>
	// my_llm_pipeline span user_123 "42"
}

func ExampleWithPrices() {
	ark := fakeark.New()
	defer ark.Close()
	spans := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))

	cfg := openai.DefaultConfig("ARK_API_KEY")
	cfg.BaseURL = ark.BaseURL()
	client := litefuse.NewClientWithConfig(cfg,
		litefuse.WithTracerProvider(tp),
		// USD per million tokens; Litefuse has no built-in prices for Ark's models.
		litefuse.WithPrices(map[string]litefuse.Price{
			"kimi-k2*": {Input: 0.6, CachedInput: 0.15, Output: 2.5},
		}))
	_, err := client.CreateChatCompletion(context.Background(), openai.ChatCompletionRequest{
		Model:    "kimi-k2-250711",
		Messages: []openai.ChatCompletionMessage{{Role: openai.ChatMessageRoleUser, Content: "What is Litefuse?"}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(attr(spans.GetSpans()[0], "langfuse.observation.cost_details"))
	// Output:
	// {"input":9.6e-06,"input_cached_tokens":6e-07,"output":9.5e-05,"output_reasoning_tokens":3e-05,"total":0.0001352}
}
