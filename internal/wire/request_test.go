package wire

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseRequestChat(t *testing.T) {
	body := `{"model":"ep-20250615-abcde","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Weather in Paris?"}],` +
		`"temperature":0.7,"max_tokens":512,"thinking":{"type":"enabled"},"stream":false,"user":"u-1",` +
		`"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object"}}}],"tool_choice":"auto","top_p":1.0}`
	req, send := ParseRequest(Chat, []byte(body), Options{InjectUsage: true})
	if send != nil {
		t.Error("a non-stream request was changed")
	}
	if req.Model != "ep-20250615-abcde" || req.Stream || req.Route != Chat {
		t.Errorf("%+v", req)
	}
	wantIn := `{"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Weather in Paris?"}],"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object"}}}],"tool_choice":"auto"}`
	if string(req.Input) != wantIn {
		t.Errorf("Input %s", req.Input)
	}
	// Parameters: everything else, as sent, in order; a parameter no client
	// knows yet ("thinking") included.
	if want := `{"temperature":0.7,"max_tokens":512,"thinking":{"type":"enabled"},"top_p":1.0}`; string(req.Parameters) != want {
		t.Errorf("Parameters %s", req.Parameters)
	}
	req, _ = ParseRequest(Chat, []byte(`{"model":"m","messages":[{"role":"user","content":"hi"}]}`), Options{})
	if string(req.Input) != `[{"role":"user","content":"hi"}]` || req.Parameters != nil {
		t.Errorf("%s %s", req.Input, req.Parameters)
	}
}

func TestParseRequestRoutes(t *testing.T) {
	cases := []struct {
		route      Route
		body, in   string
		parameters string
	}{
		{Completion, `{"model":"m","prompt":["a","b"],"n":2}`, `["a","b"]`, `{"n":2}`},
		{Embedding, `{"model":"e","input":["x"],"encoding_format":"float","dimensions":1024}`, `["x"]`, `{"encoding_format":"float","dimensions":1024}`},
		{Responses, `{"model":"m","input":"Hi","max_output_tokens":100}`, `"Hi"`, `{"max_output_tokens":100}`},
		{Responses, `{"model":"m","instructions":"Be kind.","input":[{"role":"user","content":"Hi"}],"tools":[{"type":"web_search"}],"reasoning":{"effort":"low"}}`,
			`{"instructions":"Be kind.","input":[{"role":"user","content":"Hi"}],"tools":[{"type":"web_search"}]}`, `{"reasoning":{"effort":"low"}}`},
		{Responses, `{"model":"m","instructions":"Be kind."}`, `{"instructions":"Be kind.","input":null}`, ``},
	}
	for _, c := range cases {
		req, _ := ParseRequest(c.route, []byte(c.body), Options{})
		if string(req.Input) != c.in || string(req.Parameters) != c.parameters {
			t.Errorf("%v %s: Input %s Parameters %s", c.route, c.body, req.Input, req.Parameters)
		}
		if !json.Valid(req.Input) {
			t.Errorf("invalid Input %s", req.Input)
		}
	}
}

func TestParseRequestInjectsUsage(t *testing.T) {
	cases := []struct{ body, send string }{
		{`{"model":"m","stream":true}`, `{"stream_options":{"include_usage":true},"model":"m","stream":true}`},
		{` { "model":"m","stream":true,"stream_options":{"chunk_include_usage":false}}`, ` { "model":"m","stream":true,"stream_options":{"chunk_include_usage":false,"include_usage":true}}`},
		{`{"model":"m","stream":true,"stream_options":{"include_usage":false,"x":1}}`, `{"model":"m","stream":true,"stream_options":{"x":1,"include_usage":true}}`},
		{`{"model":"m","stream":true,"stream_options":null}`, `{"model":"m","stream":true,"stream_options":{"include_usage":true}}`},
		{`{"model":"m","stream":true,"stream_options":{"include_usage":true}}`, ``},
		{`{"model":"m","stream":false}`, ``},
		{`{"model":"m","stream":true,`, ``}, // not JSON: sent unchanged
	}
	for _, c := range cases {
		req, send := ParseRequest(Chat, []byte(c.body), Options{InjectUsage: true})
		if string(send) != c.send || req.UsageInjected != (c.send != "") {
			t.Errorf("%s: send %s injected %v", c.body, send, req.UsageInjected)
		}
		if send != nil && !json.Valid(send) {
			t.Errorf("invalid %s", send)
		}
	}
	if req, send := ParseRequest(Chat, []byte(`{"model":"m","stream":true}`), Options{}); send != nil || req.UsageAsked {
		t.Error("injected without InjectUsage")
	}
	req, _ := ParseRequest(Chat, []byte(`{"model":"m","stream":true,"stream_options":{"include_usage":true}}`), Options{})
	if !req.UsageAsked || req.UsageInjected {
		t.Errorf("%+v", req)
	}
	if _, send := ParseRequest(Embedding, []byte(`{"model":"m","stream":true}`), Options{InjectUsage: true}); send != nil {
		t.Error("injected on embeddings")
	}
}

func TestParseRequestNotJSON(t *testing.T) {
	for _, body := range []string{"", "null", "[1,2]", "{", `{"model":"m","messages":[{"role"`, "\xff\xfe", "{\"model\":\"a\xffb\"}"} {
		req, send := ParseRequest(Chat, []byte(body), Options{InjectUsage: true})
		if req == nil || send != nil {
			t.Fatalf("%q: %v %s", body, req, send)
		}
	}
	req, _ := ParseRequest(Chat, []byte(`{"model":"m","messages":[{"role"`), Options{})
	if req.Model != "m" {
		t.Errorf("model %q", req.Model)
	}
	req, _ = ParseRequest(Chat, []byte("{\"model\":\"a\xffb\"}"), Options{})
	if req.Model != "a\uFFFDb" {
		t.Errorf("model %q", req.Model)
	}
}

func TestParseRequestCutsInput(t *testing.T) {
	body := `{"model":"m","messages":[{"role":"user","content":"` + string(make([]byte, 0)) + "ééééééééééé" + `"}],"temperature":1}`
	req, _ := ParseRequest(Chat, []byte(body), Options{MaxValue: 40})
	if len(req.Input) > 40 || req.InputOmitted == 0 || int64(len(req.Input))+req.InputOmitted != int64(len(`[{"role":"user","content":"ééééééééééé"}]`)) {
		t.Errorf("Input %q omitted %d", req.Input, req.InputOmitted)
	}
	req, _ = ParseRequest(Chat, []byte(`{"a":"`+strings.Repeat("x", 100)+`","b":1}`), Options{MaxValue: 40})
	if string(req.Parameters) != `{"b":1}` || req.ParametersOmitted == 0 {
		t.Errorf("Parameters %q omitted %d", req.Parameters, req.ParametersOmitted)
	}
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
