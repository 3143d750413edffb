package wire

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// FuzzChunkParse checks the hand-written chunk scanner against
// encoding/json: on every input encoding/json reads as an object, the
// scanner reads the same fields (keys with escapes aside: the scanner
// refuses the event rather than guess).
func FuzzChunkParse(f *testing.F) {
	for _, s := range []string{
		arkDelta(0, `"content":"hi \"x\" \u00e9\ud83d\ude00","reasoning_content":"r","role":"assistant"`),
		arkFinish(1, "stop"), arkUsageChunk(),
		arkChunk(`[{"delta":{"tool_calls":[{"index":0,"id":"c","type":"function","function":{"name":"f","arguments":"{\"a\":1}"}}]},"index":0}]`),
		`{"id":"x","choices":[{"index":0,"message":{"role":"assistant","content":null,"function_call":{"name":"f","arguments":"{}"}}}]}`,
		`{"choices":[{"text":"a","index":2,"finish_reason":null}]}`, `{"error":{"code":"x","message":"m"}}`,
		` { "choices" : [ { "index" : 3 , "delta" : { "content" : "s" } } ] } `, `{"choices":null,"usage":5}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var c chunk
		ok := c.parse(data)
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		var v any
		if dec.Decode(&v) != nil || dec.InputOffset() != int64(len(bytes.TrimRight(data, " \t\r\n"))) {
			return
		}
		obj, isObj := v.(map[string]any)
		if !isObj || ambiguous(data) {
			return
		}
		if !ok {
			t.Fatalf("scanner refused valid JSON %q", data) // keys with escapes too (F3)
		}
		want, got := refChunk(obj), c.describe()
		if want != got {
			t.Fatalf("input %q\nencoding/json %s\nscanner       %s", data, want, got)
		}
		// Read again by the same chunk: the tail cache answers, the same.
		if !c.parse(data) || c.describe() != want {
			t.Fatalf("input %q read twice:\nencoding/json %s\nscanner       %s", data, want, c.describe())
		}
	})
}

// ambiguous reports inputs whose meaning depends on duplicate keys or on
// delta and message together, which the two readers resolve differently.
func ambiguous(data []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(data))
	var stack []map[string]bool
	expectKey := []bool{}
	for {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		switch tok := tok.(type) {
		case json.Delim:
			switch tok {
			case '{':
				stack = append(stack, map[string]bool{})
				expectKey = append(expectKey, true)
				continue
			case '[':
				stack = append(stack, nil)
				expectKey = append(expectKey, false)
				continue
			default:
				stack, expectKey = stack[:len(stack)-1], expectKey[:len(expectKey)-1]
			}
		case string:
			if n := len(stack); n > 0 && stack[n-1] != nil && expectKey[n-1] {
				k := tok
				if k == "message" {
					k = "delta"
				}
				if stack[n-1][k] {
					return true
				}
				stack[n-1][k] = true
				expectKey[n-1] = false
				continue
			}
		}
		if n := len(stack); n > 0 && stack[n-1] != nil {
			expectKey[n-1] = true
		}
	}
}

func str(v any) string {
	if s, ok := v.(string); ok {
		return strings.ToValidUTF8(s, "\uFFFD")
	}
	return "<none>"
}

func index(v any) string {
	if n, ok := v.(json.Number); ok && len(n) <= 9 && strings.Trim(string(n), "0123456789") == "" {
		return fmt.Sprint(mustAtoi(string(n)))
	}
	return "<none>"
}

func mustAtoi(s string) int {
	n := 0
	for _, d := range s {
		n = n*10 + int(d-'0')
	}
	return n
}

// refChunk describes what encoding/json read, in describe's format.
func refChunk(obj map[string]any) string {
	var b strings.Builder
	_, usage := obj["usage"].(map[string]any)
	fmt.Fprintf(&b, "id=%q model=%q tier=%q usage=%v error=%v|", str(obj["id"]), str(obj["model"]), str(obj["service_tier"]), usage, obj["error"] != nil)
	choices, _ := obj["choices"].([]any)
	for _, ch := range choices {
		m, _ := ch.(map[string]any)
		d, _ := m["delta"].(map[string]any)
		if d == nil {
			d, _ = m["message"].(map[string]any)
		}
		fmt.Fprintf(&b, "[i=%s text=%q finish=%q role=%q content=%q reasoning=%q refusal=%q", index(m["index"]), str(m["text"]), str(m["finish_reason"]),
			str(d["role"]), str(d["content"]), str(d["reasoning_content"]), str(d["refusal"]))
		if fc, ok := d["function_call"].(map[string]any); ok {
			fmt.Fprintf(&b, " fn=%q(%q)", str(fc["name"]), str(fc["arguments"]))
		}
		tools, _ := d["tool_calls"].([]any)
		for _, tc := range tools {
			tm, _ := tc.(map[string]any)
			fn, _ := tm["function"].(map[string]any)
			fmt.Fprintf(&b, " {%s %q %q %q %q}", index(tm["index"]), str(tm["id"]), str(tm["type"]), str(fn["name"]), str(fn["arguments"]))
		}
		b.WriteString("]")
	}
	return b.String()
}

// describe is the chunk as the scanner read it.
func (c *chunk) describe() string {
	s := func(r ref) string {
		if !r.set {
			return "<none>"
		}
		j := c.get(r)
		v := j.raw
		if j.esc {
			v = appendUnescaped(nil, v)
		}
		return string(toValid(v))
	}
	idx := func(n int, ok bool) string {
		if !ok {
			return "<none>"
		}
		return fmt.Sprint(n)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "id=%q model=%q tier=%q usage=%v error=%v|", s(c.id), s(c.model), s(c.tier), c.usage != nil, c.err != nil)
	t := 0
	for _, ch := range c.choices {
		fmt.Fprintf(&b, "[i=%s text=%q finish=%q role=%q content=%q reasoning=%q refusal=%q", idx(ch.index, ch.hasIndex), s(ch.text), s(ch.finish),
			s(ch.role), s(ch.content), s(ch.reasoning), s(ch.refusal))
		if ch.hasFn {
			fmt.Fprintf(&b, " fn=%q(%q)", s(ch.fnName), s(ch.fnArgs))
		}
		for _, tc := range c.tools[t : t+ch.tools] {
			fmt.Fprintf(&b, " {%s %q %q %q %q}", idx(tc.index, tc.hasIndex), s(tc.id), s(tc.typ), s(tc.name), s(tc.args))
		}
		t += ch.tools
		b.WriteString("]")
	}
	return b.String()
}

// FuzzChunkSequence reads two chunks with one chunk value, as a stream
// does: the second reads as it does alone, tail cache or not.
func FuzzChunkSequence(f *testing.F) {
	f.Add([]byte(arkDelta(0, `"content":"a"`)), []byte(arkDelta(0, `"content":"b"`)))
	f.Add([]byte(arkDelta(0, `"content":"a"`)), []byte(arkUsageChunk()))
	f.Add([]byte(`{"choices":[],"usage":{"a":1}}`), []byte(`{"choices":[{"index":1}],"usage":{"a":1}}`))
	f.Add([]byte(`{"id":"p","choices":[],"model":"m"}`), []byte(`{"id":"q","choices":[1],"model":"m"}`))
	// The head before "choices" and a choice's skipped object, cached.
	az := func(id, content, cf string) []byte {
		return []byte(`{"id":"` + id + `","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"` + content + `"},"finish_reason":null,"content_filter_results":` + cf + `}],"system_fingerprint":""}`)
	}
	f.Add(az("a", "x", `{"hate":{"filtered":false}}`), az("a", "y", `{"hate":{"filtered":false}}`))
	f.Add(az("a", "x", `{"hate":{"filtered":false}}`), az("b", "y", `{"hate":{"filtered":true}}`))
	f.Add(az("a", "x", `{"hate":{"filtered":false}}`), az("a", "y", `{"hate":{"filtered":false}`))
	f.Add(az("a", "x", `[1,2]`), az("a", "y", `[1,2]3`))
	f.Add([]byte(`{"id":"a","usage":{"x":1},"choices":[]}`), []byte(`{"id":"a","usage":{"x":1},"choices":[{"index":1}]}`))
	f.Add([]byte(`{"id":"a","choices":[{"logprobs":{"c":[]},"index":0}]}`), []byte(`{"id":"a","choices":[{"logprobs":{"c":[]},"index":0},{"logprobs":{"c":[]},"index":1}]}`))
	f.Fuzz(func(t *testing.T, first, second []byte) {
		var fresh, c chunk
		okFresh := fresh.parse(second)
		c.parse(first)
		if ok := c.parse(second); ok != okFresh || (ok && c.describe() != fresh.describe()) {
			t.Fatalf("after %q, %q reads\n%s (%v)\nalone\n%s (%v)", first, second, c.describe(), ok, fresh.describe(), okFresh)
		}
	})
}

// FuzzWholeParseImpliesValid: a whole answer the chunk scanner reads
// (shorter than maxDepth) is valid JSON by validJSON, which the body then
// does not run again.
func FuzzWholeParseImpliesValid(f *testing.F) {
	for _, s := range []string{
		`{"choices":[{"finish_reason":"stop","index":0,"logprobs":null,"message":{"content":"hi","role":"assistant","tool_calls":[{"function":{"arguments":"{}","name":"f"},"id":"c","type":"function"}]}}],"id":"x","model":"m","usage":{"prompt_tokens":1}}`,
		`{"id":"cmpl-1","choices":[{"text":"one","index":0,"finish_reason":"stop"}],"usage":{"total_tokens":7}}`,
		` { "choices" : [ { "index" : 3 , "message" : { "content" : "s" } } ] } `, `{"choices":null,"usage":5}`,
		`{"x":[1,2,{"y":[[[]]]}],"choices":[],"z":-1.5e3}`, `{"a":tru}`, `{"a":1.2.3}`, `{"a":"\u00zz"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) >= maxDepth {
			return
		}
		c := chunk{whole: true}
		if c.parse(data) && !validJSON(data) {
			t.Fatalf("the scanner read %q, which validJSON refuses", data)
		}
	})
}

// TestChunkCachesFollowTheStream: a stream whose chunks repeat their head
// (id, object, created, model before "choices") and a choice's skipped
// object reads each chunk as it reads alone, when the repeated bytes
// change too (a new model, a longer id, another filter verdict, a
// malformed copy).
func TestChunkCachesFollowTheStream(t *testing.T) {
	az := func(id, model, content, cf string) string {
		return `{"id":"` + id + `","object":"chat.completion.chunk","created":1732987012,"model":"` + model +
			`","choices":[{"index":0,"delta":{"content":"` + content + `"},"finish_reason":null,"content_filter_results":` + cf + `}],"system_fingerprint":""}`
	}
	ok := `{"hate":{"filtered":false},"jailbreak":{"filtered":false,"detected":false}}`
	seq := []string{
		az("c1", "m1", "a", ok), az("c1", "m1", "b", ok), az("c1", "m1", "c", ok),
		az("c1", "m2", "d", ok), az("c1", "m2", "e", ok), az("c22", "m2", "f", ok),
		az("c22", "m2", "g", `{"hate":{"filtered":true},"jailbreak":{"filtered":false,"detected":false}}`),
		az("c22", "m2", "h", `{"hate":{"filtered":false},"jailbreak":{"filtered":false,"detected":false}`), // malformed
		az("c22", "m2", "i", ok), `{"choices":[{"index":0,"delta":{"content":"j"}}],"id":"c3","model":"m3"}`,
		az("c22", "m2", "k", ok),
	}
	var c chunk
	for _, s := range seq {
		var fresh chunk
		okFresh := fresh.parse([]byte(s))
		if ok := c.parse([]byte(s)); ok != okFresh || ok && c.describe() != fresh.describe() {
			t.Fatalf("%s in a stream: %v %s, alone: %v %s", s, ok, c.describe(), okFresh, fresh.describe())
		}
	}
	if c.head == nil || !c.head.ok || len(c.skipped) == 0 {
		t.Errorf("caches not used: head %v, skipped %q", c.head.ok, c.skipped)
	}
}
