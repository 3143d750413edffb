package litefuse_test

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/litefuse/litefuse-go"
	openai "github.com/sashabaranov/go-openai"
)

// jsonServer answers every request with body.
func jsonServer(t *testing.T, body string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/api/v3"
}

// sameAsBare calls both clients against baseURL and checks the wrapped
// answer equals go-openai's.
func sameAsBare(t *testing.T, e *env, baseURL string, req openai.ChatCompletionRequest) openai.ChatCompletionResponse {
	t.Helper()
	cfg := openai.DefaultConfig(testArkKey)
	cfg.BaseURL = baseURL
	bare := openai.NewClientWithConfig(cfg)
	wrapped := litefuse.NewClientWithConfig(cfg, litefuse.WithTracerProvider(e.tp))
	w, werr := wrapped.CreateChatCompletion(context.Background(), req)
	b, berr := bare.CreateChatCompletion(context.Background(), req)
	w.Header().Del("Date")
	b.Header().Del("Date")
	if !reflect.DeepEqual(w, b) || !reflect.DeepEqual(werr, berr) {
		t.Fatalf("wrapped differs from bare:\n%+v %v\n%+v %v", w, werr, b, berr)
	}
	return w
}

func TestHugeMessageTruncatedWithMarker(t *testing.T) {
	e := newEnv(t, litefuse.WithMaxAttributeLength(64<<10))
	req := seedRequest()
	req.Messages[1].Content = strings.Repeat("x", 5<<20) // 5 MB
	resp, err := e.client.CreateChatCompletion(context.Background(), req)
	if err != nil || len(resp.Choices) != 1 {
		t.Fatalf("call: %v", err)
	}
	if got := len(e.ark.Requests()[0].Chat.Messages[1].Content); got != 5<<20 {
		t.Fatalf("the server got %d bytes of the message", got)
	}
	s := e.one(t)
	in := s.Str("langfuse.observation.input")
	if len(in) > 64<<10+64 || !strings.Contains(in, "[litefuse: truncated ") {
		t.Errorf("input is %d bytes, ends %q: want cut to the limit with a marker", len(in), in[max(0, len(in)-60):])
	}
	if s.Str("langfuse.observation.output") == "" || s.Str("langfuse.observation.usage_details") == "" {
		t.Error("the rest of the generation was lost")
	}
}

func TestDefaultLimitKeepsMultiMegabyteSpansExportable(t *testing.T) {
	e := newEnv(t)
	req := seedRequest()
	req.Messages[1].Content = strings.Repeat("y", 5<<20)
	for range 3 {
		if _, err := e.client.CreateChatCompletion(context.Background(), req); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range e.spans(t, 3) {
		if in := s.Str("langfuse.observation.input"); len(in) > litefuse.DefaultMaxAttributeLen+64 {
			t.Errorf("input %d bytes over the default limit", len(in))
		}
	}
}

func TestImagesInMultiContent(t *testing.T) {
	e := newEnv(t)
	img := "data:image/png;base64," + base64.StdEncoding.EncodeToString(make([]byte, 300<<10))
	req := seedRequest()
	req.Messages[1] = openai.ChatCompletionMessage{Role: "user", MultiContent: []openai.ChatMessagePart{
		{Type: openai.ChatMessagePartTypeText, Text: "What is in this image?"},
		{Type: openai.ChatMessagePartTypeImageURL, ImageURL: &openai.ChatMessageImageURL{URL: img, Detail: openai.ImageURLDetailLow}},
	}}
	if _, err := e.client.CreateChatCompletion(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	in := jsonAttr(t, e.one(t), "langfuse.observation.input").([]any)
	parts := in[1].(map[string]any)["content"].([]any)
	if parts[1].(map[string]any)["image_url"].(map[string]any)["url"] != img {
		t.Errorf("image part not recorded as sent")
	}
}

func TestInvalidUTF8StaysExportable(t *testing.T) {
	e := newEnv(t)
	bad := "caf\xc3\x28 \xff"
	base := jsonServer(t, `{"id":"r1","model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"ok `+"\xff\xfe"+`"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}`)
	req := seedRequest()
	req.Messages[1].Content = bad
	ctx := litefuse.WithGeneration(context.Background(), litefuse.Generation{Name: "utf8 \xff", Metadata: map[string]any{"k\xff": "v\xfe"}})
	ctx = litefuse.PropagateAttributes(ctx, litefuse.Attributes{UserID: "u\xff"})
	cfg := openai.DefaultConfig(testArkKey)
	cfg.BaseURL = base
	c := litefuse.NewClientWithConfig(cfg, litefuse.WithTracerProvider(e.tp))
	if _, err := c.CreateChatCompletion(ctx, req); err != nil {
		t.Fatal(err)
	}
	s := e.one(t) // an invalid string would fail the whole protobuf export
	if !strings.Contains(s.Str("langfuse.observation.output"), "ok ") || s.Str("user.id") != "u\uFFFD" {
		t.Errorf("output %q user %q", s.Str("langfuse.observation.output"), s.Str("user.id"))
	}
}

func TestOddServerAnswers(t *testing.T) {
	for name, body := range map[string]string{
		"empty choices":    `{"id":"r1","object":"chat.completion","model":"m","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":0,"total_tokens":3}}`,
		"missing usage":    `{"id":"r1","object":"chat.completion","model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}]}`,
		"unknown fields":   `{"id":"r1","brand_new":{"x":[1,2]},"model":"m","choices":[{"index":0,"extra":true,"message":{"role":"assistant","content":"hi","audio":null},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2,"new_bucket":7}}`,
		"zero tokens":      `{"id":"r1","model":"m","choices":[{"index":0,"message":{"role":"assistant","content":""},"finish_reason":"length"}],"usage":{"prompt_tokens":0,"completion_tokens":0,"total_tokens":0}}`,
		"negative usage":   `{"id":"r1","model":"m","choices":[],"usage":{"prompt_tokens":-5,"completion_tokens":3,"total_tokens":-2,"prompt_tokens_details":{"cached_tokens":9},"completion_tokens_details":{"reasoning_tokens":-1}}}`,
		"choice index far": `{"id":"r1","model":"m","choices":[{"index":1000000,"message":{"role":"assistant","content":"x"}}]}`,
		"not json":         `<html>502 Bad Gateway</html>`,
	} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			resp := sameAsBare(t, e, jsonServer(t, body), seedRequest())
			_ = resp
			s := e.one(t)
			if name == "zero tokens" && s.Str("langfuse.observation.usage_details") != `{"input":0,"output":0,"total":0}` {
				t.Errorf("the zero usage the server sent: %v", s.Attrs["langfuse.observation.usage_details"])
			}
			if name == "missing usage" {
				if _, ok := s.Attrs["langfuse.observation.usage_details"]; ok {
					t.Errorf("usage recorded that the server did not send: %v", s.Attrs["langfuse.observation.usage_details"])
				}
			}
			if name == "negative usage" {
				u := jsonAttr(t, s, "langfuse.observation.usage_details").(map[string]any)
				for k, v := range u {
					if v.(float64) < 0 {
						t.Errorf("usage bucket %s = %v", k, v)
					}
				}
			}
			if name == "not json" && s.Str("langfuse.observation.level") != "ERROR" {
				t.Errorf("a failed decode is not an error span: %v", s.Attrs)
			}
		})
	}
}

func TestOddStreams(t *testing.T) {
	for name, write := range map[string]string{
		"garbage lines":   ": keep-alive\nevent: message\nretry: 100\n" + chunkLine("a") + "nonsense\n\n" + chunkLine("b") + "data: [DONE]\n\n",
		"error event":     chunkLine("a") + "event: error\ndata: {\"error\":{\"code\":\"InternalServiceError\",\"message\":\"boom\",\"type\":\"InternalServerError\"}}\n\n",
		"bad chunk json":  chunkLine("a") + "data: {not json}\n\n" + "data: [DONE]\n\n",
		"no done":         chunkLine("a") + chunkLine("b"),
		"empty choices":   "data: {\"id\":\"x\",\"choices\":[]}\n\n" + chunkLine("a") + "data: [DONE]\n\n",
		"huge tool index": "data: {\"id\":\"x\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":99999999,\"function\":{\"arguments\":\"{\"}}]}}]}\n\n" + "data: [DONE]\n\n",
	} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			base := sseServer(t, func(w http.ResponseWriter, flush func()) {
				_, _ = io.WriteString(w, write)
				flush()
			})
			cfg := openai.DefaultConfig(testArkKey)
			cfg.BaseURL = base
			ws, err := e.clientFor(base).CreateChatCompletionStream(context.Background(), seedRequest())
			if err != nil {
				t.Fatal(err)
			}
			bs, err := openai.NewClientWithConfig(cfg).CreateChatCompletionStream(context.Background(), seedRequest())
			if err != nil {
				t.Fatal(err)
			}
			wc, werr := drain(ws)
			bc, berr := drain(bs)
			if !reflect.DeepEqual(wc, bc) || !reflect.DeepEqual(werr, berr) {
				t.Fatalf("stream differs from bare:\n%+v %v\n%+v %v", wc, werr, bc, berr)
			}
			s := e.one(t)
			if werr != nil && !errors.Is(werr, io.EOF) && s.Str("langfuse.observation.level") != "ERROR" {
				t.Errorf("stream error %v not recorded: %v", werr, s.Attrs)
			}
		})
	}
}
