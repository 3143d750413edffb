package wire

import (
	"slices"
	"unsafe"

	"github.com/litefuse/litefuse-go/internal/jsonw"
)

// Output JSON, as Litefuse shows a generation's output. Strings are written
// by jsonw, which repairs invalid UTF-8; values were cut while aggregating,
// so the JSON is always whole.

// chatOutput is the assistant message, or a list of them when there are
// several choices; nil when there is none.
//
// prefix, when given, is copied into the same allocation, before the
// output (which can grow without reaching it), and returned as pre: the
// answer's id, one allocation less. shared reports that they are one
// allocation still: an output that outgrew the estimate (text escaped
// again grows) moved, and pre is then a copy of its own.
func (a *aggregate) chatOutput(prefix []byte) (out []byte, pre string, shared bool) {
	cs := a.sorted()
	if len(cs) == 0 {
		return nil, string(prefix), false
	}
	size := 64
	for _, c := range cs {
		size += len(c.content.b) + len(c.reasoning.b) + len(c.refusal.b) + len(c.fnName.b) + len(c.fnArgs.b) + 64
		for _, t := range c.tools {
			size += len(t.arg.b) + len(t.name.b) + len(t.id) + 64
		}
	}
	buf := make([]byte, len(prefix), len(prefix)+size+size/8)
	copy(buf, prefix)
	if len(prefix) > 0 {
		pre = unsafe.String(&buf[0], len(prefix))
	}
	b := buf[len(prefix):]
	if len(cs) > 1 {
		b = append(b, '[')
	}
	for i, c := range cs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendMessage(b, c)
	}
	if len(cs) > 1 {
		b = append(b, ']')
	}
	shared = len(prefix) > 0
	if shared && unsafe.SliceData(b) != unsafe.SliceData(buf[len(prefix):]) {
		// The output outgrew its estimate and moved: the id alone must not
		// keep the old allocation (review 37).
		pre, shared = string(prefix), false
	}
	return b, pre, shared
}

func appendMessage(b []byte, c *choiceAgg) []byte {
	role := c.role
	if role == "" {
		role = "assistant"
	}
	b = append(b, `{"role":`...)
	b = jsonw.String(b, role)
	b = append(b, `,"content":`...)
	b = appendValue(b, c.content.b)
	if len(c.reasoning.b) > 0 {
		b = append(b, `,"reasoning_content":`...)
		b = appendValue(b, c.reasoning.b)
	}
	if len(c.refusal.b) > 0 {
		b = append(b, `,"refusal":`...)
		b = appendValue(b, c.refusal.b)
	}
	if len(c.tools) > 0 {
		tools := slices.Clone(c.tools)
		slices.SortStableFunc(tools, func(x, y *toolAgg) int { return x.index - y.index })
		b = append(b, `,"tool_calls":[`...)
		for i, t := range tools {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '{')
			if t.id != "" {
				b = append(b, `"id":`...)
				b = jsonw.String(b, t.id)
				b = append(b, ',')
			}
			typ := t.typ
			if typ == "" {
				typ = "function"
			}
			b = append(b, `"type":`...)
			b = jsonw.String(b, typ)
			b = append(b, `,"function":{"name":`...)
			b = appendValue(b, t.name.b)
			b = append(b, `,"arguments":`...)
			b = appendValue(b, t.arg.b)
			b = append(b, "}}"...)
		}
		b = append(b, ']')
	}
	if c.hasFn {
		b = append(b, `,"function_call":{"name":`...)
		b = appendValue(b, c.fnName.b)
		b = append(b, `,"arguments":`...)
		b = appendValue(b, c.fnArgs.b)
		b = append(b, '}')
	}
	return append(b, '}')
}

// appendValue writes decoded bytes as a JSON string. jsonw.String only
// reads its argument, so the bytes are lent to it without a copy.
func appendValue(b, v []byte) []byte {
	return jsonw.String(b, unsafe.String(unsafe.SliceData(v), len(v)))
}

// completionOutput is the text, or a list of texts when n>1.
func (a *aggregate) completionOutput() []byte {
	cs := a.sorted()
	if len(cs) == 0 {
		return nil
	}
	var b []byte
	if len(cs) > 1 {
		b = append(b, '[')
	}
	for i, c := range cs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendValue(b, c.content.b)
	}
	if len(cs) > 1 {
		b = append(b, ']')
	}
	return b
}
