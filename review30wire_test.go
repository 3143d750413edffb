package litefuse_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/litefuse/litefuse-go"
	openai "github.com/sashabaranov/go-openai"
)

// Review 30 (F2, F3, F8): what Litefuse records of a chat answer is what
// the caller's client (encoding/json) decoded of it, read at the local
// OTLP receiver.

// r30Server serves body, as SSE or JSON, to every request.
func r30Server(t *testing.T, contentType, body string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/api/v3"
}

// r30Stream reads a stream with the bare client and the traced one: the
// content each got and the error that ended it (nil for io.EOF); the two
// must agree.
func r30Stream(t *testing.T, e *env, base string) (string, error) {
	t.Helper()
	read := func(c interface {
		CreateChatCompletionStream(context.Context, openai.ChatCompletionRequest) (*openai.ChatCompletionStream, error)
	}) (string, error) {
		st, err := c.CreateChatCompletionStream(context.Background(), seedRequest())
		if err != nil {
			return "", err
		}
		defer st.Close()
		chunks, err := drain(st)
		var got strings.Builder
		for _, c := range chunks {
			if len(c.Choices) > 0 {
				got.WriteString(c.Choices[0].Delta.Content)
			}
		}
		if errors.Is(err, io.EOF) {
			err = nil
		}
		return got.String(), err
	}
	cfg := openai.DefaultConfig(testArkKey)
	cfg.BaseURL = base
	bareGot, bareErr := read(openai.NewClientWithConfig(cfg))
	got, err := read(litefuse.NewClientWithConfig(cfg, litefuse.WithTracerProvider(e.tp)))
	if got != bareGot || (err == nil) != (bareErr == nil) || (err != nil && err.Error() != bareErr.Error()) {
		t.Fatalf("traced caller got %q %v; bare %q %v", got, err, bareGot, bareErr)
	}
	return got, err
}

func r30Chunk(delta string) string {
	return `data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m1","choices":[{"index":0,"delta":{` + delta + `}}]}` + "\n\n"
}

const r30Finish = `data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m1","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}` + "\n\n" + "data: [DONE]\n\n"

func r30Content(t *testing.T, e *env) (content, level, errType string) {
	t.Helper()
	s := e.one(t)
	out, _ := jsonAttr(t, s, "langfuse.observation.output").(map[string]any)
	content, _ = out["content"].(string)
	return content, s.Str("langfuse.observation.level"), s.Str("error.type")
}

// TestReview30InvalidStringInChunkRecordedAsFailure (F2): a chunk whose
// string encoding/json refuses fails the caller's stream; the generation
// is recorded as failed (invalid_response), with only the content the
// caller got. It used to be a success recording "okA\tB".
func TestReview30InvalidStringInChunkRecordedAsFailure(t *testing.T) {
	for name, s := range map[string]string{
		"bad-u":       `"A\uZZZZB"`,
		"bad-escape":  `"A\xB"`,
		"raw-control": "\"A\x01B\"",
		"raw-tab":     "\"A\tB\"",
	} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			base := r30Server(t, "text/event-stream", r30Chunk(`"role":"assistant","content":"ok"`)+r30Chunk(`"content":`+s)+r30Finish)
			got, err := r30Stream(t, e, base)
			if err == nil {
				t.Fatalf("the client accepted %s: got %q", s, got)
			}
			content, level, errType := r30Content(t, e)
			if level != "ERROR" || errType != "invalid_response" || content != got {
				t.Errorf("caller got %q, %v; recorded %q, level %q, error.type %q", got, err, content, level, errType)
			}
		})
	}
}

// TestReview30InvalidStringInJSONAnswerRecordedAsFailure (F2): the same in
// a whole answer: the caller's decoding fails, the generation is recorded
// as failed, without the content the caller never got. It used to be a
// success (or, for \uZZZZ, nothing at all).
func TestReview30InvalidStringInJSONAnswerRecordedAsFailure(t *testing.T) {
	for name, s := range map[string]string{
		"bad-u":       `A\uZZZZB`,
		"bad-escape":  `A\xB`,
		"raw-control": "A\x01B",
		"raw-newline": "A\nB",
	} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			base := r30Server(t, "application/json", `{"id":"c1","object":"chat.completion","created":1,"model":"m1","choices":[{"index":0,"message":{"role":"assistant","content":"`+s+`"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":5,"total_tokens":8}}`)
			cfg := openai.DefaultConfig(testArkKey)
			cfg.BaseURL = base
			_, err := litefuse.NewClientWithConfig(cfg, litefuse.WithTracerProvider(e.tp)).CreateChatCompletion(context.Background(), seedRequest())
			if err == nil {
				t.Fatal("the client accepted it")
			}
			sp := e.one(t)
			if sp.Str("langfuse.observation.level") != "ERROR" || sp.Str("error.type") != "invalid_response" ||
				strings.Contains(sp.Str("langfuse.observation.output"), "B") {
				t.Errorf("caller got %v; recorded level %q, error.type %q, output %q", err, sp.Str("langfuse.observation.level"), sp.Str("error.type"), sp.Str("langfuse.observation.output"))
			}
		})
	}
}

// TestReview30EscapedKeysRecorded (F3): keys with escapes are read as the
// client reads them. The stream used to record "A" of "ABC"; the answer
// with "obj\u0065ct" used to lose its output, usage and model.
func TestReview30EscapedKeysRecorded(t *testing.T) {
	t.Run("stream", func(t *testing.T) {
		e := newEnv(t)
		body := r30Chunk(`"role":"assistant","content":"A"`) +
			`data: {"id":"c1","choices":[{"index":0,"delta":{"content":"B"},"lo\u0067probs":null}]}` + "\n\n" +
			r30Chunk(`"\u0063ontent":"C"`) + r30Finish
		got, err := r30Stream(t, e, r30Server(t, "text/event-stream", body))
		if err != nil || got != "ABC" {
			t.Fatalf("caller: %q %v", got, err)
		}
		if content, level, _ := r30Content(t, e); content != got || level == "ERROR" {
			t.Errorf("caller got %q, recorded %q, level %q", got, content, level)
		}
	})
	for name, body := range map[string]string{
		"top-level": `{"id":"c1","obj\u0065ct":"chat.completion","created":1,"model":"m1","choices":[{"index":0,"message":{"role":"assistant","content":"Hi there"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":5,"total_tokens":8}}`,
		"in-choice": `{"id":"c1","object":"chat.completion","created":1,"model":"m1","choices":[{"index":0,"message":{"role":"assistant","c\u006fntent":"Hi there"},"finish_re\u0061son":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":5,"total_tokens":8}}`,
	} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			cfg := openai.DefaultConfig(testArkKey)
			cfg.BaseURL = r30Server(t, "application/json", body)
			resp, err := litefuse.NewClientWithConfig(cfg, litefuse.WithTracerProvider(e.tp)).CreateChatCompletion(context.Background(), seedRequest())
			if err != nil || resp.Choices[0].Message.Content != "Hi there" || resp.Usage.TotalTokens != 8 {
				t.Fatalf("caller: %+v %v", resp, err)
			}
			sp := e.one(t)
			out, _ := jsonAttr(t, sp, "langfuse.observation.output").(map[string]any)
			usage, _ := jsonAttr(t, sp, "langfuse.observation.usage_details").(map[string]any)
			if out["content"] != "Hi there" || usage["total"] != float64(8) || sp.Str("gen_ai.response.model") != "m1" || sp.Str("langfuse.observation.level") == "ERROR" {
				t.Errorf("recorded output %v, usage %v, model %q, level %q", out, usage, sp.Str("gen_ai.response.model"), sp.Str("langfuse.observation.level"))
			}
		})
	}
}

// TestReview30InvalidUTF8AcrossChunksAsCallerGot (F8): invalid UTF-8 split
// over two chunks: the client decodes each chunk on its own (two U+FFFD);
// the recording used to join the halves into "ׇ".
func TestReview30InvalidUTF8AcrossChunksAsCallerGot(t *testing.T) {
	e := newEnv(t)
	body := r30Chunk("\"role\":\"assistant\",\"content\":\"a\xd7\"") + r30Chunk("\"content\":\"\x87b\"") + r30Finish
	got, err := r30Stream(t, e, r30Server(t, "text/event-stream", body))
	if err != nil || got != "a\ufffd\ufffdb" {
		t.Fatalf("caller: %q %v", got, err)
	}
	if content, _, _ := r30Content(t, e); content != got {
		t.Errorf("caller got %q, recorded %q", got, content)
	}
}
