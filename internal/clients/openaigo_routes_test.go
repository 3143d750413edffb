package clients_test

import (
	"context"
	"strings"
	"testing"

	"github.com/litefuse/litefuse-go"
	"github.com/litefuse/litefuse-go/internal/fakeark"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/responses"
)

// The Responses API through openai-go.
func TestOpenAIGoResponses(t *testing.T) {
	w := newWorld(t)
	reply := fakeark.DefaultReply()
	w.ark.SetReply(reply)
	client := openaiGoClient(w.ark.BaseURL(), litefuse.NewHTTPClient(w.opts()...))
	resp, err := client.Responses.New(context.Background(), responses.ResponseNewParams{
		Model: fakeark.Model,
		Input: responses.ResponseNewParamsInputUnion{OfString: openai.String(userPrompt)},
	})
	if err != nil {
		t.Fatal(err)
	}
	if resp.OutputText() != reply.Content {
		t.Errorf("OutputText = %q", resp.OutputText())
	}
	s := w.generations(t, 1)[0]
	if s.Str("langfuse.observation.type") != "generation" || s.Str("langfuse.observation.model.name") != fakeark.Model {
		t.Errorf("type %q model %q", s.Str("langfuse.observation.type"), s.Str("langfuse.observation.model.name"))
	}
	if !strings.Contains(s.Str("langfuse.observation.input"), userPrompt) {
		t.Errorf("input = %s", s.Str("langfuse.observation.input"))
	}
	if !strings.Contains(s.Str("langfuse.observation.output"), reply.Content) {
		t.Errorf("output = %s", s.Str("langfuse.observation.output"))
	}
	if s.Str("langfuse.observation.usage_details") != `{"input":16,"input_cached_tokens":4,"output":38,"output_reasoning_tokens":12,"total":70}` {
		t.Errorf("usage_details = %s", s.Str("langfuse.observation.usage_details"))
	}
}

// Embeddings through openai-go are embedding observations.
func TestOpenAIGoEmbeddings(t *testing.T) {
	w := newWorld(t)
	client := openaiGoClient(w.ark.BaseURL(), litefuse.NewHTTPClient(w.opts()...))
	resp, err := client.Embeddings.New(context.Background(), openai.EmbeddingNewParams{
		Model: "doubao-embedding-text-240715",
		Input: openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: []string{"a", "b"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Data) != 2 || len(resp.Data[0].Embedding) != fakeark.EmbeddingDimensions {
		t.Fatalf("embeddings = %d", len(resp.Data))
	}
	s := w.generations(t, 1)[0]
	if s.Str("langfuse.observation.type") != "embedding" || s.Str("langfuse.observation.model.name") != "doubao-embedding-text-240715" {
		t.Errorf("type %q model %q", s.Str("langfuse.observation.type"), s.Str("langfuse.observation.model.name"))
	}
}
