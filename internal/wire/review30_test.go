package wire

import (
	"encoding/json"
	"strings"
	"testing"
)

// Review 30 findings F2, F3, F8: what the recording reads of a chunk or an
// answer is what encoding/json (the client) reads of it.

// F2: a chunk whose string encoding/json refuses (a bad escape, a bad
// \u, a raw control byte) fails the client's stream: it is recorded as
// malformed, as an event that is not JSON is, with only the content the
// caller got before it.
func TestStreamStringEncodingJSONRefusesIsMalformed(t *testing.T) {
	for name, s := range map[string]string{
		"bad-u":       `"A\uZZZZB"`,
		"short-u":     `"A\u12"`,
		"bad-escape":  `"A\xB"`,
		"raw-control": "\"A\x01B\"",
		"raw-tab":     "\"A\tB\"",
		"in-a-key":    "\"A\",\"x\ty\":1",
		"in-skipped":  "\"A\",\"x\":[\"\x1f\"]",
	} {
		t.Run(name, func(t *testing.T) {
			bad := arkDelta(0, `"content":`+s)
			if json.Valid([]byte(bad)) {
				t.Fatalf("%q is valid JSON", bad)
			}
			opt := Options{}
			_, res := readThrough(t, streamReq(t, "", opt), 200, sseHeader, sse(arkDelta(0, `"content":"ok"`), bad, arkFinish(0, "stop")), 4096, opt)
			if res.Malformed == "" {
				t.Errorf("not marked malformed: %+v", res)
			}
			if string(res.Output) != `{"role":"assistant","content":"ok"}` {
				t.Errorf("Output %s, want only the content before the bad chunk", res.Output)
			}
		})
	}
}

// F2: the same in a whole answer: the client's decoding fails, so the
// answer is recorded as not valid JSON, and its content is not recorded.
func TestJSONStringEncodingJSONRefusesIsMalformed(t *testing.T) {
	for name, s := range map[string]string{
		"bad-u":       `A\uZZZZB`,
		"bad-escape":  `A\xB`,
		"raw-control": "A\x01B",
		"raw-newline": "A\nB",
	} {
		t.Run(name, func(t *testing.T) {
			body := `{"id":"x","model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"` + s + `"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}`
			_, res := readThrough(t, &Request{Route: Chat}, 200, jsonHeader, body, 4096, Options{})
			if res.Malformed != "the response body is not valid JSON" {
				t.Errorf("Malformed %q", res.Malformed)
			}
			if strings.Contains(string(res.Output), "B") {
				t.Errorf("Output %s: content the caller never got", res.Output)
			}
		})
	}
}

// F3: keys with escapes are read as encoding/json reads them, in a
// stream chunk and in a whole answer, at every level.
func TestStreamEscapedKeysRead(t *testing.T) {
	opt := Options{}
	body := sse(
		arkDelta(0, `"content":"A"`),
		arkChunk(`[{"index":0,"delta":{"content":"B"},"lo\u0067probs":null}]`),
		arkChunk(`[{"index":0,"delta":{"\u0063ontent":"C"}}]`),
		arkChunk(`[{"index":0,"d\u0065lta":{"content":"D"}}]`),
		`{"\u0063hoices":[{"index":0,"delta":{"content":"E","tool_calls":[{"index":0,"\u0069d":"c1","function":{"n\u0061me":"f","arguments":"{}"}}]}}],"id":"x"}`,
		arkFinish(0, "stop"),
		`{"choices":[],"us\u0061ge":`+arkUsage+`}`,
	)
	_, res := readThrough(t, streamReq(t, "", opt), 200, sseHeader, body, 4096, opt)
	want := `{"role":"assistant","content":"ABCDE","tool_calls":[{"id":"c1","type":"","function":{"name":"f","arguments":"{}"}}]}`
	var got, w any
	json.Unmarshal(res.Output, &got)
	json.Unmarshal([]byte(want), &w)
	if m, ok := got.(map[string]any); !ok || m["content"] != "ABCDE" || !strings.Contains(string(res.Output), `"c1"`) || !strings.Contains(string(res.Output), `"name":"f"`) {
		t.Errorf("Output %s, want %s", res.Output, want)
	}
	if res.Usage != arkUsageWant || res.Malformed != "" {
		t.Errorf("%+v", res)
	}
}

func TestJSONEscapedKeysRead(t *testing.T) {
	body := `{"id":"x","obj\u0065ct":"chat.completion","m\u006fdel":"m","choices":[{"index":0,"message":{"role":"assistant","c\u006fntent":"Hi there"},"finish_re\u0061son":"stop","lo\u0067probs":{"a":1}}],"usage":{"prompt_tokens":3,"completion_tokens":5,"total_tokens":8}}`
	_, res := readThrough(t, &Request{Route: Chat}, 200, jsonHeader, body, 4096, Options{})
	if string(res.Output) != `{"role":"assistant","content":"Hi there"}` || res.Model != "m" || res.Usage.Total != 8 ||
		len(res.FinishReasons) != 1 || res.FinishReasons[0] != "stop" || res.Malformed != "" {
		t.Errorf("Output %s model %q usage %+v finish %v malformed %q", res.Output, res.Model, res.Usage, res.FinishReasons, res.Malformed)
	}
}

// F8: invalid UTF-8 split across two chunks: the client decodes each
// chunk's string on its own (each invalid byte a U+FFFD), so the
// recording does not join the halves into a character.
func TestStreamInvalidUTF8SplitAcrossChunks(t *testing.T) {
	for name, tc := range map[string]struct{ a, b, want string }{
		"2-byte":      {"a\xd7", "\x87b", "a\ufffd\ufffdb"},
		"3-byte":      {"a\xe6\x97", "\xa5b", "a\ufffd\ufffd\ufffdb"},
		"4-byte":      {"a\xf0", "\x9f\x98\x80b", "a\ufffd\ufffd\ufffd\ufffdb"},
		"whole":       {"a\xd7\x87", "b", "a\u05c7b"},
		"then-ascii":  {"a\xd7", "b", "a\ufffdb"},
		"escaped-end": {"a\\u00e9\\n\xd7", "\x87", "a\u00e9\n\ufffd\ufffd"},
	} {
		t.Run(name, func(t *testing.T) {
			opt := Options{}
			_, res := readThrough(t, streamReq(t, "", opt), 200, sseHeader,
				sse(arkDelta(0, `"content":"`+tc.a+`"`), arkDelta(0, `"content":"`+tc.b+`"`), arkFinish(0, "stop")), 4096, opt)
			var out struct{ Content string }
			if err := json.Unmarshal(res.Output, &out); err != nil || out.Content != tc.want {
				t.Errorf("recorded %q (%v), the caller got %q", out.Content, err, tc.want)
			}
		})
	}
}

// F8, whole answer: a value whose cut character is repaired grows past
// its share of the answer's arena (1 byte to 3): it moves out, and the
// values after it are kept whole.
func TestJSONRepairedTailGrowsPastArena(t *testing.T) {
	body := `{"choices":[{"index":0,"message":{"role":"assistant","content":"a` + "\xd7" + `","reasoning_content":"r` + "\xe6\x97" + `"},"finish_reason":"stop"},{"index":1,"message":{"content":"next"}}]}`
	_, res := readThrough(t, &Request{Route: Chat}, 200, jsonHeader, body, 4096, Options{})
	var out []struct{ Content, Reasoning_content string }
	if err := json.Unmarshal(res.Output, &out); err != nil || len(out) != 2 || out[0].Content != "a\ufffd" ||
		out[0].Reasoning_content != "r\ufffd\ufffd" || out[1].Content != "next" {
		t.Errorf("Output %s (%v) %+v", res.Output, err, res)
	}
}

func TestRepairTail(t *testing.T) {
	for in, want := range map[string]string{
		"": "", "abc": "abc", "é": "é", "a\xd7": "a\ufffd", "a\xe6\x97": "a\ufffd\ufffd", "\xf0\x9f\x98": "\ufffd\ufffd\ufffd",
		"a\xff": "a\xff", "a\x87": "a\x87", "\xf0\x9f\x98\x80": "\xf0\x9f\x98\x80", "a\xe0\x80": "a\xe0\x80",
	} {
		if in == "" {
			continue
		}
		if got := string(repairTail([]byte(in))); got != want {
			t.Errorf("repairTail(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzValuePiecesAsDecoded (F8): a value built from pieces, repaired when
// written out, is what the client decodes of each piece on its own,
// joined.
func FuzzValuePiecesAsDecoded(f *testing.F) {
	f.Add([]byte("a\xd7"), []byte("\x87b"), []byte(""))
	f.Add([]byte("\xf0\x9f"), []byte("\x98"), []byte("\x80"))
	f.Add([]byte("\xed"), []byte("\xa0\x80"), []byte("é"))
	f.Add([]byte("\xe0\x80"), []byte("\x80"), []byte("\xff"))
	f.Fuzz(func(t *testing.T, a, b, c []byte) {
		bud := budget{left: 1 << 20}
		var v value
		var want []byte
		for _, p := range [][]byte{a, b, c} {
			v.addBytes(&bud, p)
			want = append(want, toValid(p)...)
		}
		if got := toValid(v.b); string(got) != string(want) {
			t.Fatalf("%q %q %q: recorded %q, decoded %q", a, b, c, got, want)
		}
	})
}
