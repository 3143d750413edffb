package record

import (
	"testing"

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
