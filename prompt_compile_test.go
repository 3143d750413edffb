package litefuse_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/litefuse/litefuse-go"
	openai "github.com/sashabaranov/go-openai"
)

func TestCompileText(t *testing.T) {
	p := &litefuse.Prompt{Name: "t", Type: "text", Text: "Hi {{name}}, {{ name }}! You have {{n}} new {{ what }}; {{ratio}} {{ok}}."}
	got, err := p.Compile(map[string]any{"name": "Ada", "n": 3, "what": []string{"a", "b"}, "ratio": 0.5, "ok": true, "extra": "ignored"})
	if err != nil {
		t.Fatal(err)
	}
	if want := "Hi Ada, Ada! You have 3 new [a b]; 0.5 true."; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestCompileMissingVariableNamesIt(t *testing.T) {
	p := &litefuse.Prompt{Name: "t", Type: "text", Text: "{{a}} {{ b }} {{c}}"}
	_, err := p.Compile(map[string]any{"a": 1})
	if err == nil || !strings.Contains(err.Error(), `"b"`) || !strings.Contains(err.Error(), `"c"`) || strings.Contains(err.Error(), `"a"`) {
		t.Fatalf("got %v", err)
	}
	// An explicitly empty value is fine.
	if got, err := p.Compile(map[string]any{"a": 1, "b": "", "c": nil}); err != nil || got != "1  <nil>" {
		t.Fatalf("got %q %v", got, err)
	}
}

func TestCompileLeavesNonVariablesAndValuesAlone(t *testing.T) {
	p := &litefuse.Prompt{Name: "t", Text: `Answer as {{"json": true}} for {{user}}`}
	got, err := p.Compile(map[string]any{"user": "{{secret}}"})
	if err != nil || got != `Answer as {{"json": true}} for {{secret}}` {
		t.Fatalf("got %q %v", got, err)
	}
}

func TestCompileWrongKind(t *testing.T) {
	chat := &litefuse.Prompt{Name: "c", Type: "chat", Messages: []litefuse.PromptMessage{{Role: "user", Content: "x"}}}
	if _, err := chat.Compile(nil); err == nil || !strings.Contains(err.Error(), "CompileChat") {
		t.Fatalf("Compile on chat: %v", err)
	}
	text := &litefuse.Prompt{Name: "t", Type: "text", Text: "x"}
	if _, err := text.CompileChat(nil); err == nil || !strings.Contains(err.Error(), "use Compile") {
		t.Fatalf("CompileChat on text: %v", err)
	}
	var nilPrompt *litefuse.Prompt
	if _, err := nilPrompt.Compile(nil); err == nil {
		t.Fatal("Compile on nil")
	}
	// A fallback built without Type is chat when it has messages.
	untyped := &litefuse.Prompt{Messages: []litefuse.PromptMessage{{Role: "user", Content: "hi"}}}
	if _, err := untyped.CompileChat(nil); err != nil {
		t.Fatal(err)
	}
}

func TestCompileChat(t *testing.T) {
	p := &litefuse.Prompt{Name: "support", Type: "chat", Messages: []litefuse.PromptMessage{
		{Role: "system", Content: "You help {{product}} users."},
		{Role: "placeholder", Content: "history"},
		{Role: "user", Content: "{{ question }}"},
	}}
	history := []openai.ChatCompletionMessage{
		{Role: openai.ChatMessageRoleUser, Content: "earlier {{product}}"}, // inserted as is
		{Role: openai.ChatMessageRoleAssistant, Content: "answer"},
	}
	got, err := p.CompileChat(map[string]any{"product": "Ark", "question": "Why?", "history": history})
	if err != nil {
		t.Fatal(err)
	}
	want := []openai.ChatCompletionMessage{
		{Role: "system", Content: "You help Ark users."},
		{Role: "user", Content: "earlier {{product}}"},
		{Role: "assistant", Content: "answer"},
		{Role: "user", Content: "Why?"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i := range want {
		if got[i].Role != want[i].Role || got[i].Content != want[i].Content {
			t.Fatalf("message %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	// An empty history removes the placeholder; PromptMessage values work too.
	got, err = p.CompileChat(map[string]any{"product": "Ark", "question": "Why?", "history": []litefuse.PromptMessage{}})
	if err != nil || len(got) != 2 {
		t.Fatalf("empty history: %+v %v", got, err)
	}
	got, err = p.CompileChat(map[string]any{"product": "Ark", "question": "Why?", "history": litefuse.PromptMessage{Role: "user", Content: "one"}})
	if err != nil || len(got) != 3 || got[1].Content != "one" {
		t.Fatalf("one message: %+v %v", got, err)
	}
}

func TestCompileChatMissingAndBadPlaceholder(t *testing.T) {
	p := &litefuse.Prompt{Name: "support", Type: "chat", Messages: []litefuse.PromptMessage{
		{Role: "system", Content: "{{product}}"},
		{Role: "placeholder", Content: "history"},
		{Role: "user", Content: "{{question}}"},
	}}
	_, err := p.CompileChat(map[string]any{"product": "Ark"})
	if err == nil || !strings.Contains(err.Error(), `"history"`) || !strings.Contains(err.Error(), `"question"`) {
		t.Fatalf("got %v", err)
	}
	_, err = p.CompileChat(map[string]any{"product": "Ark", "question": "q", "history": "not messages"})
	if err == nil || !strings.Contains(err.Error(), "placeholder \"history\"") || !strings.Contains(err.Error(), "string") {
		t.Fatalf("got %v", err)
	}
	if errors.Unwrap(err) == nil && !strings.Contains(err.Error(), "support") {
		t.Fatalf("the error does not name the prompt: %v", err)
	}
}
