package wire

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"
	"unicode/utf8"
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
			if bytes.IndexByte(data, '\\') >= 0 {
				return // possibly a key with escapes
			}
			t.Fatalf("scanner refused valid JSON %q", data)
		}
		want, got := refChunk(obj), c.describe()
		if want != got {
			t.Fatalf("input %q\nencoding/json %s\nscanner       %s", data, want, got)
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

// FuzzUnescape checks string decoding against encoding/json.
func FuzzUnescape(f *testing.F) {
	for _, s := range []string{`a\"b`, `\ud83d\ude00`, `\ud83d`, `\udc00x`, `\u00e9\n\t\/\\`, "\xff", `\uD83D\uDE00`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		var want string
		if json.Unmarshal([]byte(`"`+raw+`"`), &want) != nil {
			appendUnescaped(nil, []byte(raw)) // must not panic
			return
		}
		got := string(toValid(appendUnescaped(nil, []byte(raw))))
		if got != strings.ToValidUTF8(want, "\uFFFD") && got != want {
			t.Fatalf("%q: got %q, encoding/json %q", raw, got, want)
		}
	})
}

// FuzzParseRequest: any body yields a Request; for a JSON body, Input
// (when not cut), Parameters and the body to send are JSON.
func FuzzParseRequest(f *testing.F) {
	f.Add(byte(Chat), []byte(`{"model":"ep-1","messages":[{"role":"user","content":"hi"}],"stream":true,"temperature":0.5,"tools":[{"type":"function"}]}`))
	f.Add(byte(Chat), []byte(`{"model":"m","stream":true,"stream_options":{"include_usage":false,"a":[1]}}`))
	f.Add(byte(Responses), []byte(`{"model":"m","instructions":"x","input":[{"role":"user","content":"hi"}],"reasoning":{"effort":"low"}}`))
	f.Add(byte(Embedding), []byte(`{"input":["a"],"dimensions":3}`))
	f.Add(byte(Completion), []byte(`{"prompt":"p","stream":true,"stream_options":null}`))
	f.Fuzz(func(t *testing.T, route byte, body []byte) {
		r := Route(route % 5)
		req, send := ParseRequest(r, body, Options{InjectUsage: true, MaxValue: 1 << 12})
		if req == nil || req.Route != r {
			t.Fatal("no request")
		}
		if !json.Valid(body) {
			return
		}
		if req.Input != nil && req.InputOmitted == 0 && !json.Valid(req.Input) {
			t.Fatalf("Input %q", req.Input)
		}
		if req.Parameters != nil && !json.Valid(req.Parameters) {
			t.Fatalf("Parameters %q", req.Parameters)
		}
		if send != nil {
			if !json.Valid(send) || !req.UsageInjected {
				t.Fatalf("send %q", send)
			}
			var v struct {
				StreamOptions struct {
					IncludeUsage bool `json:"include_usage"`
				} `json:"stream_options"`
			}
			if json.Unmarshal(send, &v) == nil && !v.StreamOptions.IncludeUsage && !bytes.Contains(body, []byte(`\`)) && !ambiguous(send) {
				t.Fatalf("include_usage not set in %q", send)
			}
		}
		if !utf8.ValidString(req.Model) {
			t.Fatal("model not UTF-8")
		}
	})
}

// FuzzStream feeds any bytes as an SSE stream, in reads of any size:
// never a panic, onEnd once, Output JSON, and the caller's bytes are the
// server's (minus at most one injected usage event).
func FuzzStream(f *testing.F) {
	f.Add([]byte(sse(arkStream(true)...)), uint8(7), true)
	f.Add([]byte(sse(arkDelta(0, `"tool_calls":[{"index":1,"function":{"arguments":"{"}}]`), arkFinish(0, "tool_calls"))), uint8(1), false)
	f.Add([]byte("event: response.completed\ndata: {\"type\":\"response.completed\",\"response\":{\"output\":[],\"status\":\"failed\"}}\n\n"), uint8(3), false)
	f.Add([]byte("data: {\"error\":{\"code\":500}}\r\n\r\n: c\ndata:x\ndata:y\n\n"), uint8(2), true)
	f.Fuzz(func(t *testing.T, data []byte, step uint8, inject bool) {
		route := Chat
		if step%5 == 4 {
			route = Responses
		}
		req := &Request{Route: route, Stream: true, UsageInjected: inject}
		calls := 0
		var res *Result
		b := req.WrapBody(200, sseHeader, io.NopCloser(&stepReader{data: data, step: int(step%64) + 1}), Options{MaxValue: 256}, func(r *Result) { calls++; res = r })
		got, err := io.ReadAll(b)
		if err != nil {
			t.Fatal(err)
		}
		b.Close()
		if calls != 1 {
			t.Fatalf("onEnd called %d times", calls)
		}
		if res.Output != nil && !json.Valid(res.Output) {
			t.Fatalf("Output %q", res.Output)
		}
		if !inject || route != Chat {
			if !bytes.Equal(got, data) {
				t.Fatalf("bytes differ")
			}
		} else if len(got) > len(data) {
			t.Fatalf("read more than sent")
		}
	})
}

// stepReader returns data step bytes at a time.
type stepReader struct {
	data []byte
	step int
}

func (r *stepReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), r.step)], r.data)
	r.data = r.data[n:]
	return n, nil
}
