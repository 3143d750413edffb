package viewer

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// message is one chat message as the page shows it. Everything in it is
// plain text that html/template escapes.
type message struct {
	Role       string // system, developer, user, assistant, tool, …
	Name       string
	Label      string // "choice 2" when the output holds several
	Parts      []part
	Reasoning  string
	ToolCalls  []toolCall
	ToolCallID string // a tool result answers this call
	Refusal    string
}

// part is a piece of a message's content: text, media, or JSON that is
// neither.
type part struct {
	Text  string
	Media *mediaRef
	JSON  string
}

type toolCall struct {
	ID, Name, Arguments string // Arguments indented when it is JSON
}

type toolDef struct {
	Name, Description, Parameters string
}

// chatInput reads a generation's input: a list of messages, or
// {"messages":[…],"tools":[…],"tool_choice":…}. ok is false for anything
// else, which the page shows as JSON.
func chatInput(v any) (msgs []message, tools []toolDef, toolChoice string, ok bool) {
	switch v := v.(type) {
	case []any:
		msgs, ok = messages(v)
		return msgs, nil, "", ok
	case map[string]any:
		list, isList := v["messages"].([]any)
		if !isList {
			return nil, nil, "", false
		}
		if msgs, ok = messages(list); !ok {
			return nil, nil, "", false
		}
		if ts, isList := v["tools"].([]any); isList {
			for _, t := range ts {
				tools = append(tools, tool(t))
			}
		}
		if tc, present := v["tool_choice"]; present && tc != nil {
			toolChoice = compactJSON(tc)
		}
		return msgs, tools, toolChoice, true
	}
	return nil, nil, "", false
}

// chatOutput reads a generation's output: one assistant message, a list of
// them (n > 1), or plain text.
func chatOutput(v any) ([]message, bool) {
	switch v := v.(type) {
	case string:
		if v == "" {
			return nil, false
		}
		return []message{{Role: "assistant", Parts: textParts(v)}}, true
	case map[string]any:
		m, ok := chatMessage(v, "assistant")
		if !ok {
			return nil, false
		}
		return []message{m}, true
	case []any:
		msgs, ok := messages(v)
		if !ok {
			return nil, false
		}
		if len(msgs) > 1 {
			for i := range msgs {
				msgs[i].Label = "choice " + strconv.Itoa(i+1)
			}
		}
		return msgs, true
	}
	return nil, false
}

func messages(list []any) ([]message, bool) {
	if len(list) == 0 {
		return nil, false
	}
	out := make([]message, 0, len(list))
	for _, item := range list {
		m, ok := item.(map[string]any)
		if !ok {
			return nil, false
		}
		msg, ok := chatMessage(m, "")
		if !ok {
			return nil, false
		}
		out = append(out, msg)
	}
	return out, true
}

// chatMessage reads one OpenAI-style message; ok is false when m does not
// look like one (no role and nothing a message holds).
func chatMessage(m map[string]any, defaultRole string) (message, bool) {
	role, _ := m["role"].(string)
	_, hasContent := m["content"]
	_, hasCalls := m["tool_calls"]
	if role == "" {
		if defaultRole == "" || (!hasContent && !hasCalls && m["reasoning_content"] == nil) {
			return message{}, false
		}
		role = defaultRole
	}
	msg := message{Role: role}
	msg.Name, _ = m["name"].(string)
	msg.ToolCallID, _ = m["tool_call_id"].(string)
	msg.Refusal, _ = m["refusal"].(string)
	for _, k := range []string{"reasoning_content", "reasoning"} {
		if s, ok := m[k].(string); ok && s != "" {
			msg.Reasoning = s
			break
		}
	}
	msg.Parts = contentParts(m["content"])
	if calls, ok := m["tool_calls"].([]any); ok {
		for _, c := range calls {
			msg.ToolCalls = append(msg.ToolCalls, call(c))
		}
	}
	if fc, ok := m["function_call"].(map[string]any); ok { // the legacy single call
		msg.ToolCalls = append(msg.ToolCalls, call(map[string]any{"function": fc}))
	}
	return msg, true
}

// contentParts reads a message's content: a string, or a list of parts
// (text, image_url, input_audio, …).
func contentParts(c any) []part {
	switch c := c.(type) {
	case nil:
		return nil
	case string:
		return textParts(c)
	case []any:
		var parts []part
		for _, p := range c {
			pm, ok := p.(map[string]any)
			if !ok {
				parts = append(parts, valueParts(p)...)
				continue
			}
			if s, ok := pm["text"].(string); ok {
				parts = append(parts, textParts(s)...)
				continue
			}
			parts = append(parts, valueParts(pm)...)
		}
		return parts
	}
	return valueParts(c)
}

// valueParts shows a value that is not text: its media inline when it
// holds references, else as JSON.
func valueParts(v any) []part {
	if refs := mediaIn(v); len(refs) > 0 {
		parts := make([]part, len(refs))
		for i := range refs {
			parts[i] = part{Media: &refs[i]}
		}
		return parts
	}
	return []part{{JSON: prettyJSON(v)}}
}

// textParts splits text at media references, so they show inline.
func textParts(s string) []part {
	var parts []part
	for s != "" {
		ref, before, after, ok := nextMedia(s)
		if !ok {
			parts = append(parts, part{Text: s})
			break
		}
		if before != "" {
			parts = append(parts, part{Text: before})
		}
		parts = append(parts, part{Media: &ref})
		s = after
	}
	return parts
}

func call(c any) toolCall {
	m, _ := c.(map[string]any)
	tc := toolCall{}
	tc.ID, _ = m["id"].(string)
	fn, _ := m["function"].(map[string]any)
	if fn == nil {
		tc.Arguments = prettyJSON(c)
		return tc
	}
	tc.Name, _ = fn["name"].(string)
	switch a := fn["arguments"].(type) {
	case string:
		tc.Arguments = indentIfJSON(a)
	case nil:
	default:
		tc.Arguments = prettyJSON(a)
	}
	return tc
}

func tool(t any) toolDef {
	m, _ := t.(map[string]any)
	fn, _ := m["function"].(map[string]any)
	if fn == nil {
		fn = m
	}
	d := toolDef{}
	d.Name, _ = fn["name"].(string)
	d.Description, _ = fn["description"].(string)
	if p, ok := fn["parameters"]; ok {
		d.Parameters = prettyJSON(p)
	}
	if d.Name == "" {
		d.Parameters = prettyJSON(t)
	}
	return d
}

// indentIfJSON indents a string holding JSON; other text stays as is.
func indentIfJSON(s string) string {
	var b bytes.Buffer
	if json.Indent(&b, []byte(s), "", "  ") == nil {
		return b.String()
	}
	return s
}

func compactJSON(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, err := json.Marshal(v)
	if err != nil {
		return prettyJSON(v)
	}
	return string(b)
}
