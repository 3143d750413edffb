package wire

import (
	"bytes"
	"encoding/json"
	"testing"
)

func TestEmbedCounter(t *testing.T) {
	cases := map[string]int{
		`{"object":"list","data":[{"embedding":[1,2],"index":0},{"embedding":"QUJD\"[{","index":1}],"model":"m"}`: 2,
		`{"data":[],"usage":{"data":[{}]}}`:                        0,
		`{"metadata":[{}],"data":[{"x":{"y":[{}]}}],"other":[{}]}`: 1,
		`{"d\"ata":[{}],"data":[{},{},{}]}`:                        3,
	}
	for in, want := range cases {
		for _, step := range []int{1, 3, len(in)} {
			var e embedCounter
			for i := 0; i < len(in); i += step {
				e.feed([]byte(in[i:min(i+step, len(in))]))
			}
			if e.count != want {
				t.Errorf("%s (step %d): %d, want %d", in, step, e.count, want)
			}
		}
	}
}

// FuzzEmbedCounter: on any JSON object, the counter counts the objects of
// the top-level "data" array as encoding/json reads them.
func FuzzEmbedCounter(f *testing.F) {
	f.Add([]byte(`{"object":"list","data":[{"embedding":[0.1],"index":0}],"model":"m","usage":{"prompt_tokens":1}}`), uint8(3))
	f.Add([]byte(`{"data":[{"a":"\"}{"},[],{}]}`), uint8(1))
	f.Fuzz(func(t *testing.T, body []byte, step uint8) {
		var e embedCounter
		n := int(step%32) + 1
		for i := 0; i < len(body); i += n {
			e.feed(body[i:min(i+n, len(body))])
		}
		var v map[string]json.RawMessage
		if json.Unmarshal(body, &v) != nil || ambiguous(body) {
			return
		}
		var items []json.RawMessage
		if json.Unmarshal(v["data"], &items) != nil {
			return
		}
		want := 0
		for _, it := range items {
			if bytes.HasPrefix(bytes.TrimLeft(it, " \t\r\n"), []byte("{")) {
				want++
			}
		}
		if bytes.Contains(body, []byte(`\`)) {
			return // a key "data" spelled with escapes is not recognised
		}
		if e.count != want {
			t.Fatalf("%q: counted %d, encoding/json %d", body, e.count, want)
		}
	})
}
