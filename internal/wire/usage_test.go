package wire

import (
	"math"
	"testing"
)

func TestParseUsage(t *testing.T) {
	if u := parseUsage([]byte(arkUsage)); u != arkUsageWant {
		t.Errorf("chat usage %+v", u)
	}
	resp := `{"input_tokens":20,"input_tokens_details":{"cached_tokens":4},"output_tokens":50,"output_tokens_details":{"reasoning_tokens":12},"total_tokens":70}`
	if u := parseUsage([]byte(resp)); u != arkUsageWant {
		t.Errorf("responses usage %+v", u)
	}
	absurd := `{"prompt_tokens":1e30,"completion_tokens":-7,"total_tokens":"many","prompt_tokens_details":null,"completion_tokens_details":{"reasoning_tokens":99999999999999999999}}`
	u := parseUsage([]byte(absurd))
	if u.Prompt != math.MaxInt64 || u.Completion != 0 || u.Total != 0 || u.Reasoning != math.MaxInt64 || !u.Present {
		t.Errorf("absurd usage %+v", u)
	}
	if u := parseUsage([]byte(`null`)); u.Present {
		t.Error("null usage present")
	}
}
