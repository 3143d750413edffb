package wire

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestJSONChatArk(t *testing.T) {
	body := `{"choices":[{"finish_reason":"tool_calls","index":0,"logprobs":null,"message":{"content":"","reasoning_content":"Need the weather.","role":"assistant","tool_calls":[{"function":{"arguments":"{\"city\":\"Paris\"}","name":"get_weather"},"id":"call_1","type":"function"},{"function":{"arguments":"{}","name":"get_time"},"id":"call_2","type":"function"}]}}],"created":1732987012,"id":"` + arkID + `","model":"` + arkModel + `","service_tier":"default","object":"chat.completion","usage":` + arkUsage + `}`
	req, _ := ParseRequest(Chat, []byte(`{"model":"ep-20250615-abcde","messages":[]}`), Options{})
	got, res := readThrough(t, req, 200, jsonHeader, body, 100, Options{})
	if string(got) != body {
		t.Fatal("bytes differ")
	}
	want := `{"role":"assistant","content":"","reasoning_content":"Need the weather.","tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}},{"id":"call_2","type":"function","function":{"name":"get_time","arguments":"{}"}}]}`
	if string(res.Output) != want {
		t.Errorf("Output\n%s\nwant\n%s", res.Output, want)
	}
	if res.Usage != arkUsageWant || res.Model != arkModel || res.ID != arkID || res.ServiceTier != "default" {
		t.Errorf("%+v", res)
	}
	if !reflect.DeepEqual(res.FinishReasons, []string{"tool_calls"}) || res.CutShort || !res.FirstToken.IsZero() {
		t.Errorf("%+v", res)
	}
}

func TestJSONChatTwoChoicesAndNullContent(t *testing.T) {
	body := `{"id":"x","model":"m","choices":[{"index":1,"message":{"role":"assistant","content":"b"},"finish_reason":"stop"},{"index":0,"message":{"role":"assistant","content":null},"finish_reason":"length"}]}`
	_, res := readThrough(t, &Request{Route: Chat}, 200, jsonHeader, body, 4096, Options{})
	if string(res.Output) != `[{"role":"assistant","content":""},{"role":"assistant","content":"b"}]` {
		t.Errorf("Output %s", res.Output)
	}
	if !reflect.DeepEqual(res.FinishReasons, []string{"length", "stop"}) {
		t.Errorf("%v", res.FinishReasons)
	}
}

func TestJSONCompletion(t *testing.T) {
	body := `{"id":"cmpl-1","object":"text_completion","model":"m","choices":[{"text":"one","index":0,"finish_reason":"stop"},{"text":"two","index":1,"finish_reason":"length"}],"usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}}`
	_, res := readThrough(t, &Request{Route: Completion}, 200, jsonHeader, body, 4096, Options{})
	if string(res.Output) != `["one","two"]` || res.Usage.Total != 7 {
		t.Errorf("%s %+v", res.Output, res.Usage)
	}
	body = strings.Replace(body, `,{"text":"two","index":1,"finish_reason":"length"}`, "", 1)
	_, res = readThrough(t, &Request{Route: Completion}, 200, jsonHeader, body, 4096, Options{})
	if string(res.Output) != `"one"` {
		t.Errorf("%s", res.Output)
	}
}

func TestJSONEmbeddings(t *testing.T) {
	body := `{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.1,-0.2,3e-5,0]},{"object":"embedding","index":1,"embedding":[1,2,3,4]}],"model":"doubao-embedding-text-240715","usage":{"prompt_tokens":9,"total_tokens":9}}`
	_, res := readThrough(t, &Request{Route: Embedding}, 200, jsonHeader, body, 4096, Options{})
	if string(res.Output) != `{"count":2,"dimensions":4}` || res.Usage.Prompt != 9 || res.Model != "doubao-embedding-text-240715" {
		t.Errorf("%s %+v", res.Output, res)
	}
	b64 := `{"data":[{"embedding":"AAAAAAAAAAAAAAAA","index":0}],"usage":{"prompt_tokens":1,"total_tokens":1}}` // 12 bytes: 3 float32
	_, res = readThrough(t, &Request{Route: Embedding}, 200, jsonHeader, b64, 4096, Options{})
	if string(res.Output) != `{"count":1,"dimensions":3}` {
		t.Errorf("%s", res.Output)
	}
}

func TestJSONBodyOverTheBoundKeepsUsage(t *testing.T) {
	// A body past the bound: the vectors are not kept, the usage at the end is found.
	var b strings.Builder
	b.WriteString(`{"object":"list","model":"emb","data":[`)
	for i := range 200000 {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"object":"embedding","index":0,"embedding":[0.123456,0.654321]}`)
	}
	b.WriteString(`],"usage":{"prompt_tokens":123,"total_tokens":123}}`)
	_, res := readThrough(t, &Request{Route: Embedding}, 200, jsonHeader, b.String(), 32<<10, Options{MaxValue: 1 << 10})
	if res.Usage.Prompt != 123 || res.Omitted == 0 || res.CutShort || res.Model != "emb" || string(res.Output) != `{"count":200000,"dimensions":2}` {
		t.Errorf("%+v", res)
	}
}

func TestJSONErrors(t *testing.T) {
	cases := []struct {
		status         int
		body           string
		msg, typ, code string
	}{
		{400, `{"error":{"code":"InvalidParameter","message":"The parameter ` + "`messages`" + ` specified in the request are not valid.","param":"messages","type":"BadRequest"},"request_id":"x"}`, "The parameter `messages` specified in the request are not valid.", "BadRequest", "InvalidParameter"},
		{429, `{"error":{"code":429,"message":"Too many requests","type":"TooManyRequests"}}`, "Too many requests", "TooManyRequests", "429"},
		{500, `{"error":"upstream failed"}`, "upstream failed", "", ""},
		{502, `<html>bad gateway</html>`, "", "", ""},
	}
	for _, c := range cases {
		req := streamReq(t, "", Options{InjectUsage: true})
		got, res := readThrough(t, req, c.status, jsonHeader, c.body, 7, Options{InjectUsage: true})
		if string(got) != c.body {
			t.Fatal("bytes differ")
		}
		if res.Status != c.status || res.ErrMessage != c.msg || res.ErrType != c.typ || res.ErrCode != c.code {
			t.Errorf("%d: %+v", c.status, res)
		}
	}
}

func TestJSONClosedEarly(t *testing.T) {
	body := `{"id":"x","model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"whole"},"finish_reason":"stop"}]}`
	for _, n := range []int{len(body), 20} {
		e := newEnded()
		b := (&Request{Route: Chat}).WrapBody(200, jsonHeader, nopCloser(body), Options{}, e.onEnd)
		buf := make([]byte, n)
		b.Read(buf) // go-openai's json.Decoder stops at the value's end, before EOF
		b.Close()
		res := e.wait(t)
		if res.CutShort != (n < len(body)) {
			t.Errorf("read %d of %d: CutShort %v", n, len(body), res.CutShort)
		}
		if n == len(body) && !json.Valid(res.Output) {
			t.Errorf("Output %s", res.Output)
		}
	}
}
