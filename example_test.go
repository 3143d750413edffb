package litefuse_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/litefuse/litefuse-go"
	openai "github.com/sashabaranov/go-openai"
)

// The whole set-up: the keys in the environment (LANGFUSE_PUBLIC_KEY,
// LANGFUSE_SECRET_KEY, LANGFUSE_BASE_URL), a recording go-openai client,
// and Shutdown before the program exits.
func Example() {
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := litefuse.Shutdown(ctx); err != nil { // sends what is buffered
			log.Print(err)
		}
	}()
	cfg := openai.DefaultConfig(os.Getenv("ARK_API_KEY"))
	cfg.BaseURL = "https://ark.ap-southeast.bytepluses.com/api/v3"
	client := litefuse.NewClientWithConfig(cfg) // *openai.Client

	resp, err := client.CreateChatCompletion(context.Background(), openai.ChatCompletionRequest{
		Model:    "kimi-k2-250711",
		Messages: []openai.ChatCompletionMessage{{Role: openai.ChatMessageRoleUser, Content: "What is Litefuse?"}},
	})
	if err != nil {
		log.Print(err)
		return
	}
	fmt.Println(resp.Choices[0].Message.Content)
}

// Wrap a go-openai client built elsewhere; it stays an *openai.Client.
func ExampleWrap() {
	existing := openai.NewClient(os.Getenv("OPENAI_API_KEY"))
	client := litefuse.Wrap(existing) // existing itself is unchanged
	defer litefuse.Shutdown(context.Background())

	resp, err := client.CreateChatCompletion(context.Background(), openai.ChatCompletionRequest{
		Model:    openai.GPT4oMini,
		Messages: []openai.ChatCompletionMessage{{Role: openai.ChatMessageRoleUser, Content: "Hello!"}},
	})
	fmt.Println(resp, err)
}

// Streams need nothing more: the loop reads go-openai's chunks, and the
// generation gets the whole answer, its usage and the time to first token.
func ExampleNewClientWithConfig_stream() {
	cfg := openai.DefaultConfig(os.Getenv("ARK_API_KEY"))
	cfg.BaseURL = "https://ark.ap-southeast.bytepluses.com/api/v3"
	client := litefuse.NewClientWithConfig(cfg)
	defer litefuse.Shutdown(context.Background())

	stream, err := client.CreateChatCompletionStream(context.Background(), openai.ChatCompletionRequest{
		Model:    "kimi-k2-250711",
		Messages: []openai.ChatCompletionMessage{{Role: openai.ChatMessageRoleUser, Content: "What is Litefuse?"}},
	})
	if err != nil {
		log.Print(err)
		return
	}
	defer stream.Close()
	for {
		chunk, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			log.Print(err)
			return
		}
		if len(chunk.Choices) > 0 {
			fmt.Print(chunk.Choices[0].Delta.Content)
		}
	}
}

// Any client of the OpenAI wire format records through NewHTTPClient:
// openai-go (option.WithHTTPClient), Ark's arkruntime
// (arkruntime.WithHTTPClient), langchaingo, eino, or plain net/http as here.
func ExampleNewHTTPClient() {
	hc := litefuse.NewHTTPClient()
	defer litefuse.Shutdown(context.Background())

	req, _ := http.NewRequest(http.MethodPost, "https://ark.ap-southeast.bytepluses.com/api/v3/chat/completions",
		strings.NewReader(`{"model":"kimi-k2-250711","messages":[{"role":"user","content":"What is Litefuse?"}]}`))
	req.Header.Set("Authorization", "Bearer "+os.Getenv("ARK_API_KEY"))
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		log.Print(err)
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body) // the server's bytes, unchanged
	fmt.Println(string(body))
}

// NewTransport keeps your own transport (proxy, TLS, another
// instrumentation) in the chain.
func ExampleNewTransport() {
	base := &http.Transport{Proxy: http.ProxyFromEnvironment, MaxIdleConnsPerHost: 16}
	hc := &http.Client{Transport: litefuse.NewTransport(base), Timeout: 2 * time.Minute}
	// e.g. openai.NewClient(option.WithHTTPClient(hc)) with openai-go.
	_ = hc
}

// Nest generations under a step of your own, the Go form of @observe().
func ExampleObserve() {
	client := litefuse.NewClient(os.Getenv("OPENAI_API_KEY"))
	defer litefuse.Shutdown(context.Background())

	answer, err := litefuse.Observe(context.Background(), "my_llm_pipeline", func(ctx context.Context) (string, error) {
		resp, err := client.CreateChatCompletion(ctx, openai.ChatCompletionRequest{ // nests under my_llm_pipeline
			Model:    openai.GPT4oMini,
			Messages: []openai.ChatCompletionMessage{{Role: openai.ChatMessageRoleUser, Content: "What is Litefuse?"}},
		})
		if err != nil {
			return "", err
		}
		return resp.Choices[0].Message.Content, nil
	}, litefuse.WithInput("What is Litefuse?"))
	fmt.Println(answer, err)
}

// A step that is not one function: open it, record, end it.
func ExampleStartObservation() {
	defer litefuse.Shutdown(context.Background())
	ctx, obs := litefuse.StartObservation(context.Background(), "retrieve", litefuse.WithType(litefuse.TypeRetriever),
		litefuse.WithInput(map[string]any{"query": "litefuse"}))
	defer obs.End()
	docs := []string{"doc-1", "doc-2"} // … work with ctx …
	_ = ctx
	obs.SetOutput(docs)
}

// Tag every span of a trace with user, session, tags and metadata.
func ExamplePropagateAttributes() {
	client := litefuse.NewClient(os.Getenv("OPENAI_API_KEY"))
	defer litefuse.Shutdown(context.Background())

	ctx := litefuse.PropagateAttributes(context.Background(), litefuse.Attributes{
		UserID: "user_123", SessionID: "session_abc", Tags: []string{"checkout"},
		Metadata: map[string]string{"plan": "pro"},
	})
	_, err := client.CreateChatCompletion(ctx, openai.ChatCompletionRequest{
		Model:    openai.GPT4oMini,
		Messages: []openai.ChatCompletionMessage{{Role: openai.ChatMessageRoleUser, Content: "Hello!"}},
	})
	fmt.Println(err)
}

// Name one call, add metadata and link it to a prompt version.
func ExampleWithGeneration() {
	client := litefuse.NewClient(os.Getenv("OPENAI_API_KEY"))
	defer litefuse.Shutdown(context.Background())

	ctx := litefuse.WithGeneration(context.Background(), litefuse.Generation{
		Name:     "summarise",
		Metadata: map[string]any{"customer_tier": "gold"},
		Prompt:   &litefuse.PromptRef{Name: "summary-prompt", Version: 3},
	})
	_, err := client.CreateChatCompletion(ctx, openai.ChatCompletionRequest{
		Model:    openai.GPT4oMini,
		Messages: []openai.ChatCompletionMessage{{Role: openai.ChatMessageRoleUser, Content: "Summarise: …"}},
	})
	fmt.Println(err)
}

// Configure in code, before the first call: options win over LANGFUSE_*.
func ExampleInit() {
	err := litefuse.Init(
		litefuse.WithEnvironment("production"),
		litefuse.WithSampleRate(0.25),
		litefuse.WithMask(func(v any) any { // gets a copy of each value, in its JSON form
			if s, ok := v.(string); ok && strings.Contains(s, "@") {
				return "[email]"
			}
			return v
		}),
	)
	if err != nil {
		log.Print(err) // a bad setting, named; calls still work
	}
	defer litefuse.Shutdown(context.Background())
}

// Prices for models Litefuse does not know (Ark's doubao, kimi, …), in USD
// per million tokens: each generation then carries cost_details.
func ExampleWithPrices() {
	if err := litefuse.Init(litefuse.WithPrices(map[string]litefuse.Price{
		"kimi-k2*":               {Input: 0.6, CachedInput: 0.15, Output: 2.5},
		"doubao-seed-1-6-250615": {Input: 0.8, Output: 8, ReasoningOutput: 16},
	})); err != nil {
		log.Print(err)
	}
	defer litefuse.Shutdown(context.Background())
}
