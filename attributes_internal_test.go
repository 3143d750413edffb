package litefuse

import (
	"encoding/json"
	"reflect"
	"testing"

	openai "github.com/sashabaranov/go-openai"
)

// jsonEqual compares two JSON documents by value.
func jsonEqual(t *testing.T, got []byte, want any) {
	t.Helper()
	wantB, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("not JSON: %v: %s", err, got)
	}
	_ = json.Unmarshal(wantB, &w)
	if !reflect.DeepEqual(g, w) {
		t.Errorf("got  %s\nwant %s", got, wantB)
	}
}

func TestAppendMessagesMatchesGoOpenAI(t *testing.T) {
	idx := 2
	msgs := []openai.ChatCompletionMessage{
		{Role: "system", Content: "You're an AI assistant"},
		{Role: "user", Content: "quote \" backslash \\ newline \n tab \t <html> & \u2028 🙂"},
		{Role: "user", MultiContent: []openai.ChatMessagePart{
			{Type: "text", Text: "What is this?"},
			{Type: "image_url", ImageURL: &openai.ChatMessageImageURL{URL: "data:image/png;base64,AAAA", Detail: "low"}},
			{Type: "image_url", ImageURL: &openai.ChatMessageImageURL{}},
		}},
		{Role: "assistant", ReasoningContent: "thinking", Refusal: "no", Name: "bot",
			ToolCalls:    []openai.ToolCall{{Index: &idx, ID: "c1", Type: "function", Function: openai.FunctionCall{Name: "f", Arguments: `{"a":1}`}}, {}},
			FunctionCall: &openai.FunctionCall{Name: "legacy"}},
		{Role: "tool", Content: "Sunny", ToolCallID: "c1", Name: "f"},
		{},
	}
	jsonEqual(t, appendMessages(nil, msgs), msgs)
	jsonEqual(t, appendMessages(nil, nil), []openai.ChatCompletionMessage{})
}

func TestAppendChatInputWithTools(t *testing.T) {
	req := openai.ChatCompletionRequest{
		Messages:   []openai.ChatCompletionMessage{{Role: "user", Content: "hi"}},
		Tools:      []openai.Tool{{Type: "function", Function: &openai.FunctionDefinition{Name: "f", Parameters: map[string]any{"type": "object"}}}},
		ToolChoice: openai.ToolChoice{Type: "function", Function: openai.ToolFunction{Name: "f"}},
	}
	jsonEqual(t, appendChatInput(nil, &req), chatInput(&req))
}

func TestAppendChatParameters(t *testing.T) {
	seed := 42
	req := openai.ChatCompletionRequest{
		Temperature: 0.7, TopP: 0.9, MaxTokens: 100, MaxCompletionTokens: 200, FrequencyPenalty: -0.5,
		PresencePenalty: 1.5, Seed: &seed, Stop: []string{"\n", "END"}, N: 2, ReasoningEffort: "high",
		ServiceTier: "flex", ToolChoice: "auto", ParallelToolCalls: false, LogProbs: true, TopLogProbs: 3,
		LogitBias: map[string]int{"1639": 6}, Verbosity: "low",
		ResponseFormat: &openai.ChatCompletionResponseFormat{Type: "json_object"},
	}
	jsonEqual(t, appendChatParameters(nil, &req), map[string]any{
		"temperature": 0.7, "top_p": 0.9, "max_tokens": 100, "max_completion_tokens": 200, "frequency_penalty": -0.5,
		"presence_penalty": 1.5, "seed": 42, "stop": []string{"\n", "END"}, "n": 2, "reasoning_effort": "high",
		"service_tier": "flex", "tool_choice": "auto", "parallel_tool_calls": false, "logprobs": true, "top_logprobs": 3,
		"logit_bias": map[string]int{"1639": 6}, "verbosity": "low", "response_format": map[string]any{"type": "json_object"},
	})
	if got := appendChatParameters([]byte("keep"), &openai.ChatCompletionRequest{Model: "m"}); string(got) != "keep" {
		t.Errorf("no parameters set: got %q, want nothing appended", got)
	}
}

func TestTruncateJSON(t *testing.T) {
	b := []byte(`"ééééé"`)
	got := truncateJSON(b, 4) // cut inside a 2-byte rune: back off to its start
	if got != `"é…[litefuse: truncated 9 bytes]` {
		t.Errorf("got %q", got)
	}
	if truncateJSON(b, 100) != string(b) {
		t.Error("short value changed")
	}
}

func TestAppendChoicesMatchesOutputs(t *testing.T) {
	choices := []openai.ChatCompletionChoice{
		{Message: openai.ChatCompletionMessage{Content: "a \"quoted\"", ReasoningContent: "r", ToolCalls: []openai.ToolCall{{ID: "c", Type: "function", Function: openai.FunctionCall{Name: "f", Arguments: "{}"}}}}},
		{Message: openai.ChatCompletionMessage{Role: "assistant", Refusal: "no", FunctionCall: &openai.FunctionCall{Name: "g"}}},
	}
	// The reflection-free encoder writes what the mask's slow path marshals.
	for _, cs := range [][]openai.ChatCompletionChoice{choices, choices[:1], choices[1:]} {
		jsonEqual(t, appendChoices(nil, cs), outputsValue(chatOutputs(cs)))
	}
}
