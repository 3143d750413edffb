package litefuse_test

import (
	"context"
	"errors"
	"io"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/litefuse/litefuse-go"
	"github.com/litefuse/litefuse-go/internal/fakeark"
	openai "github.com/sashabaranov/go-openai"
)

const wantUsageJSON = `{"input":16,"input_cached_tokens":4,"output":38,"output_reasoning_tokens":12,"total":70}`

func TestCompletionRecorded(t *testing.T) {
	e := newEnv(t)
	req := openai.CompletionRequest{Model: "doubao-lite", Prompt: "Say hi", MaxTokens: 20, Temperature: 0.2}
	w, werr := e.client.CreateCompletion(context.Background(), req)
	b, berr := e.bare.CreateCompletion(context.Background(), req)
	w.Header().Del("Date")
	b.Header().Del("Date")
	if werr != nil || !reflect.DeepEqual(w, b) || !reflect.DeepEqual(werr, berr) {
		t.Fatalf("differs from bare: %+v %v / %+v %v", w, werr, b, berr)
	}
	s := e.one(t)
	if s.Str("gen_ai.operation.name") != "text_completion" || s.Str("langfuse.observation.type") != "generation" ||
		s.Str("langfuse.observation.input") != `"Say hi"` || s.Str("langfuse.observation.output") != mustJSON(t, fakeark.DefaultReply().Content) ||
		s.Str("langfuse.observation.usage_details") != wantUsageJSON || s.Str("langfuse.observation.model.parameters") != `{"max_tokens":20,"temperature":0.2}` {
		t.Errorf("completion span: %v", s.Attrs)
	}
}

func TestCompletionStreamRecorded(t *testing.T) {
	e := newEnv(t)
	reply := fakeark.DefaultReply()
	reply.FirstDelay, reply.Pieces = 30*time.Millisecond, 5
	e.ark.SetReply(reply)
	req := openai.CompletionRequest{Model: "doubao-lite", Prompt: "Say hi"}
	collect := func(s interface {
		Recv() (openai.CompletionResponse, error)
	}) ([]openai.CompletionResponse, error) {
		var out []openai.CompletionResponse
		for {
			c, err := s.Recv()
			if err != nil {
				return out, err
			}
			out = append(out, c)
		}
	}
	ws, err := e.client.CreateCompletionStream(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	wc, werr := collect(ws)
	bs, err := e.bare.CreateCompletionStream(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	bc, berr := collect(bs)
	if !reflect.DeepEqual(wc, bc) || !errors.Is(werr, io.EOF) || !errors.Is(berr, io.EOF) {
		t.Fatalf("chunks differ:\n%+v\n%+v", wc, bc)
	}
	s := e.one(t)
	if s.Str("langfuse.observation.output") != mustJSON(t, reply.Content) || s.Str("langfuse.observation.usage_details") != wantUsageJSON ||
		s.Str("langfuse.observation.completion_start_time") == "" {
		t.Errorf("completion stream span: %v", s.Attrs)
	}
}

func TestEmbeddingsRecorded(t *testing.T) {
	e := newEnv(t)
	req := openai.EmbeddingRequest{Input: []string{"first text", "second text"}, Model: "doubao-embedding-large", Dimensions: 8}
	w, werr := e.client.CreateEmbeddings(context.Background(), req)
	b, berr := e.bare.CreateEmbeddings(context.Background(), req)
	w.Header().Del("Date")
	b.Header().Del("Date")
	if werr != nil || !reflect.DeepEqual(w, b) || !reflect.DeepEqual(werr, berr) {
		t.Fatalf("differs from bare")
	}
	s := e.one(t)
	if s.Str("langfuse.observation.type") != "embedding" || s.Str("gen_ai.operation.name") != "embeddings" ||
		s.Str("langfuse.observation.input") != `["first text","second text"]` ||
		s.Str("langfuse.observation.output") != `{"count":2,"dimensions":8}` ||
		s.Str("langfuse.observation.usage_details") != `{"input":6,"output":0,"total":6}` ||
		s.Str("langfuse.observation.model.parameters") != `{"dimensions":8}` {
		t.Errorf("embedding span: %v", s.Attrs)
	}
}

func responseRequest() openai.CreateResponseRequest {
	temp := float32(0.3)
	return openai.CreateResponseRequest{
		Model: fakeark.Model, Instructions: "You're an AI assistant", Input: "What is Litefuse?",
		Temperature: &temp, MaxOutputTokens: 512, Reasoning: &openai.ResponseReasoning{Effort: "low"},
		Tools: []openai.ResponseTool{openai.NewResponseFunctionTool(openai.FunctionDefinition{Name: "search", Parameters: map[string]any{"type": "object"}})},
	}
}

func TestResponsesAPIRecorded(t *testing.T) {
	e := newEnv(t)
	req := responseRequest()
	w, werr := e.client.CreateResponse(context.Background(), req)
	b, berr := e.bare.CreateResponse(context.Background(), req)
	w.Header().Del("Date")
	b.Header().Del("Date")
	if werr != nil || !reflect.DeepEqual(w, b) || !reflect.DeepEqual(werr, berr) {
		t.Fatalf("differs from bare: %v / %v", werr, berr)
	}
	s := e.one(t)
	in := jsonAttr(t, s, "langfuse.observation.input").(map[string]any)
	if in["instructions"] != req.Instructions || in["input"] != "What is Litefuse?" || len(in["tools"].([]any)) != 1 {
		t.Errorf("input = %v", in)
	}
	out := jsonAttr(t, s, "langfuse.observation.output").([]any)
	if len(out) != 2 || !strings.Contains(mustJSON(t, out), "speaks the Langfuse protocol") {
		t.Errorf("output items = %v", out)
	}
	if s.Str("langfuse.observation.usage_details") != wantUsageJSON || s.Str("gen_ai.operation.name") != "responses" ||
		s.Str("langfuse.observation.metadata.service_tier") != "default" ||
		s.Str("langfuse.observation.model.parameters") != `{"max_output_tokens":512,"reasoning":{"effort":"low"},"temperature":0.3}` {
		t.Errorf("responses span: %v", s.Attrs)
	}
}

func TestResponsesAPIFailedAndIncomplete(t *testing.T) {
	for status, level := range map[string]string{"failed": "ERROR", "incomplete": "WARNING"} {
		t.Run(status, func(t *testing.T) {
			e := newEnv(t)
			reply := fakeark.DefaultReply()
			reply.Finish = openai.FinishReason(status)
			e.ark.SetReply(reply)
			resp, err := e.client.CreateResponse(context.Background(), responseRequest())
			if err != nil || string(resp.Status) != status {
				t.Fatalf("the caller must get the response as go-openai gives it: %v %q", err, resp.Status)
			}
			s := e.one(t)
			if s.Str("langfuse.observation.level") != level || s.Str("langfuse.observation.status_message") == "" {
				t.Errorf("%s: level %q message %q", status, s.Str("langfuse.observation.level"), s.Str("langfuse.observation.status_message"))
			}
		})
	}
}

func TestResponseStreamRecorded(t *testing.T) {
	e := newEnv(t)
	reply := fakeark.DefaultReply()
	reply.FirstDelay, reply.ChunkDelay, reply.Pieces = 30*time.Millisecond, 3*time.Millisecond, 4
	e.ark.SetReply(reply)
	collect := func(s interface {
		Recv() (openai.ResponseStreamEvent, error)
	}) ([]openai.ResponseStreamEvent, error) {
		var out []openai.ResponseStreamEvent
		for {
			ev, err := s.Recv()
			if err != nil {
				return out, err
			}
			out = append(out, ev)
		}
	}
	before := time.Now()
	ws, err := e.client.CreateResponseStream(context.Background(), responseRequest())
	if err != nil {
		t.Fatal(err)
	}
	we, werr := collect(ws)
	bs, err := e.bare.CreateResponseStream(context.Background(), responseRequest())
	if err != nil {
		t.Fatal(err)
	}
	be, berr := collect(bs)
	if !reflect.DeepEqual(we, be) || !reflect.DeepEqual(werr, berr) || len(we) < 8 {
		t.Fatalf("events differ or too few: %d vs %d, %v / %v", len(we), len(be), werr, berr)
	}
	s := e.one(t)
	ttft, err := time.Parse(time.RFC3339Nano, s.Str("langfuse.observation.completion_start_time"))
	if err != nil || ttft.Sub(before) < reply.FirstDelay || !ttft.Before(s.End) {
		t.Errorf("ttft %v (%v)", ttft, err)
	}
	if s.Str("langfuse.observation.usage_details") != wantUsageJSON || !strings.Contains(s.Str("langfuse.observation.output"), "Langfuse protocol") ||
		s.Str("gen_ai.response.id") == "" {
		t.Errorf("response stream span: %v", s.Attrs)
	}
}

func TestCostFromPriceTable(t *testing.T) {
	prices := map[string]litefuse.Price{
		"kimi-k2*":               {Input: 0.6, CachedInput: 0.15, Output: 2.5}, // reasoning priced as output
		"doubao-seed-1-6-250615": {Input: 0.8, Output: 8, ReasoningOutput: 16}, // cached priced as input
		"doubao-*":               {Input: 100, Output: 100},                    // the exact name wins
	}
	e := newEnv(t, litefuse.WithPrices(prices))
	for _, model := range []string{"kimi-k2-250711", "doubao-seed-1-6-250615", "deepseek-v3"} {
		req := seedRequest()
		req.Model = model
		ctx := litefuse.WithGeneration(context.Background(), litefuse.Generation{Name: model})
		if _, err := e.client.CreateChatCompletion(ctx, req); err != nil {
			t.Fatal(err)
		}
	}
	spans := byName(e.spans(t, 3))
	// 16 input, 4 cached, 38 output, 12 reasoning tokens, prices per million.
	want := map[string]map[string]float64{
		"kimi-k2-250711": {"input": 16 * 0.6 / 1e6, "input_cached_tokens": 4 * 0.15 / 1e6, "output": 38 * 2.5 / 1e6,
			"output_reasoning_tokens": 12 * 2.5 / 1e6, "total": 0.0001352},
		"doubao-seed-1-6-250615": {"input": 16 * 0.8 / 1e6, "input_cached_tokens": 4 * 0.8 / 1e6, "output": 38 * 8 / 1e6,
			"output_reasoning_tokens": 12 * 16 / 1e6, "total": 0.000512},
	}
	for model, w := range want {
		got := jsonAttr(t, spans[model], "langfuse.observation.cost_details").(map[string]any)
		if len(got) != len(w) {
			t.Errorf("%s: cost_details = %v", model, got)
		}
		for k, v := range w {
			if g, _ := got[k].(float64); math.Abs(g-v) > 1e-12 {
				t.Errorf("%s: %s = %v, want %v", model, k, got[k], v)
			}
		}
	}
	if _, ok := spans["deepseek-v3"].Attrs["langfuse.observation.cost_details"]; ok {
		t.Error("a model without a price got a cost")
	}
}
