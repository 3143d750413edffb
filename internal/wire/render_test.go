package wire

import (
	"encoding/json"
	"strings"
	"testing"
	"unsafe"
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

// Review 37: an output that outgrows its size estimate (quotes and control
// characters escaped again grow) moves to a new allocation; the id then
// is its own copy and not said to share the output's, so that it does not
// keep the old allocation alive alone.
func TestIDSharesOutputOnlyWhileItDoes(t *testing.T) {
	for name, content := range map[string]string{
		"plain":   strings.Repeat("a", 4096),
		"quotes":  strings.Repeat(`"`, 4096),
		"control": strings.Repeat("\x01", 4096),
	} {
		var a aggregate
		a.bud.left = 1 << 20
		c := a.choice(0)
		c.content.addBytes(&a.bud, []byte(content))
		out, pre, shared := a.chatOutput([]byte("chatcmpl-1"))
		adjacent := uintptr(unsafe.Pointer(unsafe.StringData(pre)))+uintptr(len(pre)) == uintptr(unsafe.Pointer(unsafe.SliceData(out)))
		if pre != "chatcmpl-1" || shared != adjacent {
			t.Errorf("%s: id %q, shared %v, next to the output %v", name, pre, shared, adjacent)
		}
		if name == "plain" && !shared {
			t.Errorf("plain: the id is not in the output's allocation")
		}
	}
}
