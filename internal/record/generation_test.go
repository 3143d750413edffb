package record

import (
	"testing"
	"unsafe"

	"github.com/litefuse/litefuse-go/internal/wire"
)

// TestGenerationFinishReasonsRedacted: a finish reason that echoes the
// call's key is redacted in the attribute, and the Result is left as it is.
func TestGenerationFinishReasonsRedacted(t *testing.T) {
	const key = "sk-secret-123456789"
	res := &wire.Result{Status: 200, FinishReasons: []string{"stop", "odd " + key}}
	v := Values{Redact: []string{key}}
	attrs, _ := Generation(nil, &Call{Attempt: -1}, &wire.Request{Route: wire.Chat}, res, &v, nil)
	for _, kv := range attrs {
		if string(kv.Key) == KeyGenAIFinishReasons {
			got := kv.Value.AsStringSlice()
			if len(got) != 2 || got[0] != "stop" || got[1] != "odd [REDACTED]" {
				t.Errorf("attribute %q", got)
			}
		}
	}
	if res.FinishReasons[1] != "odd "+key {
		t.Errorf("the Result was changed: %q", res.FinishReasons)
	}
}

// Review 35: a whole chat answer's id shares the output's allocation.
// Where the output attribute is not those bytes (masked, redacted), the id
// attribute is its own copy: it must not keep the answer, unmasked and
// uncounted by the queue's budget, alive with the span.
func TestResponseIDDoesNotKeepTheRawOutput(t *testing.T) {
	const key = "sk-pinned-0123456789"
	for name, v := range map[string]Values{
		"masked":   {Mask: func(any) any { return "[masked]" }},
		"redacted": {Redact: []string{key}},
		"as is":    {},
	} {
		buf := []byte(`chatcmpl-pin{"role":"assistant","content":"SSN 123-45-6789 and key ` + key + `"}`)
		res := &wire.Result{Status: 200, ID: unsafe.String(&buf[0], 12), IDInOutput: true, Output: buf[12:]}
		attrs, _ := Generation(nil, &Call{Attempt: -1}, &wire.Request{Route: wire.Chat}, res, &v, nil)
		var id, output string
		for _, kv := range attrs {
			switch string(kv.Key) {
			case KeyGenAIResponseID:
				id = kv.Value.AsString()
			case KeyOutput:
				output = kv.Value.AsString()
			}
		}
		inBuf := func(s string) bool {
			p := uintptr(unsafe.Pointer(unsafe.StringData(s)))
			return p >= uintptr(unsafe.Pointer(&buf[0])) && p < uintptr(unsafe.Pointer(&buf[0]))+uintptr(len(buf))
		}
		if id != "chatcmpl-pin" {
			t.Fatalf("%s: id %q", name, id)
		}
		if shared := inBuf(output); inBuf(id) != shared {
			t.Errorf("%s: the id shares the answer's allocation %v, the output %v (%q)", name, inBuf(id), shared, output)
		}
	}
}
