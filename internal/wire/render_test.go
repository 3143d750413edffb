package wire

import (
	"encoding/json"
	"testing"
)

func TestRenderAlwaysJSON(t *testing.T) {
	c := &choiceAgg{role: "assistant\x00", finish: "stop"}
	c.content.b = []byte("ctrl \x01\x1f \u2028 quote\" back\\ bad\xff\xfe end")
	c.reasoning.b = []byte("\xe6\x97") // a rune cut in half
	c.tools = []*toolAgg{{index: 1, id: "b"}, {index: 0, id: "a\xff", typ: "function"}}
	c.tools[1].arg.b = []byte(`{"a":`) // cut arguments: still a JSON string
	a := &aggregate{choices: []*choiceAgg{c}}
	out := a.chatOut()
	var msg struct {
		Role      string `json:"role"`
		Content   string `json:"content"`
		ToolCalls []struct {
			ID string `json:"id"`
		} `json:"tool_calls"`
	}
	if err := json.Unmarshal(out, &msg); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if len(msg.ToolCalls) != 2 || msg.ToolCalls[0].ID != "a\uFFFD" || msg.ToolCalls[1].ID != "b" {
		t.Errorf("tool calls not in index order: %s", out)
	}
	if a := (&aggregate{}); a.chatOut() != nil || a.completionOutput() != nil {
		t.Error("output without choices")
	}
}
