package litefuse

import (
	"errors"
	"fmt"
	"sort"

	api "github.com/litefuse/litefuse-go/internal/platform"
	openai "github.com/sashabaranov/go-openai"
)

// Compile fills a text prompt's {{variables}} ({{name}} and {{ name }}
// alike) with vars, each printed as fmt's %v. Variables not in the prompt
// are ignored; a variable of the prompt missing from vars is an error
// naming it (pass "" to leave one blank). Values are inserted as they are:
// a value holding {{…}} is not filled in turn. Text between double braces
// that is not a name (letters, digits, '_', '-', '.') is left as written.
// Compile on a chat prompt is an error: use [Prompt.CompileChat].
func (p *Prompt) Compile(vars map[string]any) (string, error) {
	if p == nil {
		return "", errors.New("litefuse: Compile on a nil prompt")
	}
	if p.isChat() {
		return "", fmt.Errorf("litefuse: prompt %q is a chat prompt: use CompileChat", p.Name)
	}
	out, err := api.Render(p.Text, vars)
	if err != nil {
		return "", fmt.Errorf("litefuse: prompt %q: %w", p.Name, err)
	}
	return out, nil
}

// CompileChat fills a chat prompt's messages as [Prompt.Compile] fills a
// text prompt, and returns them ready for a go-openai request (openai-go
// users copy Role and Content).
//
// A placeholder message (Role "placeholder", Content its name) is replaced
// by the messages in vars under its name: []openai.ChatCompletionMessage,
// openai.ChatCompletionMessage, []PromptMessage or PromptMessage, inserted
// as they are (not filled). An empty slice removes it; a missing one is an
// error, like a missing variable. CompileChat on a text prompt is an
// error: use [Prompt.Compile].
func (p *Prompt) CompileChat(vars map[string]any) ([]openai.ChatCompletionMessage, error) {
	if p == nil {
		return nil, errors.New("litefuse: CompileChat on a nil prompt")
	}
	if !p.isChat() {
		return nil, fmt.Errorf("litefuse: prompt %q is a text prompt: use Compile", p.Name)
	}
	out := make([]openai.ChatCompletionMessage, 0, len(p.Messages))
	missing := map[string]bool{}
	for _, m := range p.Messages {
		if m.Role == placeholderRole {
			v, ok := vars[m.Content]
			if !ok {
				missing[m.Content] = true
				continue
			}
			msgs, err := placeholderMessages(v)
			if err != nil {
				return nil, fmt.Errorf("litefuse: prompt %q: placeholder %q: %w", p.Name, m.Content, err)
			}
			out = append(out, msgs...)
			continue
		}
		content, err := api.Render(m.Content, vars)
		var me *api.MissingVarsError
		if errors.As(err, &me) {
			for _, n := range me.Names {
				missing[n] = true
			}
			continue
		}
		out = append(out, openai.ChatCompletionMessage{Role: m.Role, Content: content})
	}
	if len(missing) > 0 {
		names := make([]string, 0, len(missing))
		for n := range missing {
			names = append(names, n)
		}
		sort.Strings(names)
		return nil, fmt.Errorf("litefuse: prompt %q: %w", p.Name, &api.MissingVarsError{Names: names})
	}
	return out, nil
}

func (p *Prompt) isChat() bool {
	if p.Type != "" {
		return p.Type == PromptChat
	}
	return len(p.Messages) > 0
}

func placeholderMessages(v any) ([]openai.ChatCompletionMessage, error) {
	switch x := v.(type) {
	case []openai.ChatCompletionMessage:
		return x, nil
	case openai.ChatCompletionMessage:
		return []openai.ChatCompletionMessage{x}, nil
	case []PromptMessage:
		out := make([]openai.ChatCompletionMessage, len(x))
		for i, m := range x {
			out[i] = openai.ChatCompletionMessage{Role: m.Role, Content: m.Content}
		}
		return out, nil
	case PromptMessage:
		return []openai.ChatCompletionMessage{{Role: x.Role, Content: x.Content}}, nil
	}
	return nil, fmt.Errorf("want []openai.ChatCompletionMessage or []PromptMessage, got %T", v)
}
