package wire

import "testing"

func TestParseDeltaShapes(t *testing.T) {
	cases := map[string]string{
		`{"choices":[{"index":0,"delta":null}]}`:                                               `[i=0 text="<none>" finish="<none>" role="<none>" content="<none>" reasoning="<none>" refusal="<none>"]`,
		`{"choices":[{"index":0,"delta":"odd","finish_reason":"stop"}]}`:                       `[i=0 text="<none>" finish="stop" role="<none>" content="<none>" reasoning="<none>" refusal="<none>"]`,
		`{"choices":[{"index":0,"message":{"content":"c","tool_calls":null}}]}`:                `[i=0 text="<none>" finish="<none>" role="<none>" content="c" reasoning="<none>" refusal="<none>"]`,
		`{"choices":[{"index":0,"delta":{"tool_calls":[{"function":null},"x",{"index":2}]}}]}`: `[i=0 text="<none>" finish="<none>" role="<none>" content="<none>" reasoning="<none>" refusal="<none>" {<none> "<none>" "<none>" "<none>" "<none>"} {<none> "<none>" "<none>" "<none>" "<none>"} {2 "<none>" "<none>" "<none>" "<none>"}]`,
	}
	for in, want := range cases {
		var c chunk
		if !c.parse([]byte(in)) {
			t.Fatalf("parse %s", in)
		}
		if got := c.describe(); got != `id="<none>" model="<none>" tier="<none>" usage=false error=false|`+want {
			t.Errorf("%s:\n%s", in, got)
		}
	}
}
