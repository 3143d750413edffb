package clients_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/litefuse/litefuse-go"
	"github.com/litefuse/litefuse-go/internal/fakeark"
	"github.com/volcengine/volcengine-go-sdk/service/arkruntime"
	"github.com/volcengine/volcengine-go-sdk/service/arkruntime/model"
	"github.com/volcengine/volcengine-go-sdk/volcengine"
)

// arkClient is an arkruntime client for base, over hc (nil: bare).
func arkClient(base string, hc *http.Client, extra ...arkruntime.ConfigOption) *arkruntime.Client {
	opts := []arkruntime.ConfigOption{arkruntime.WithBaseUrl(base)}
	if hc != nil {
		opts = append(opts, arkruntime.WithHTTPClient(hc))
	}
	return arkruntime.NewClientWithApiKey(arkKey, append(opts, extra...)...)
}

func arkRequest() model.CreateChatCompletionRequest {
	return model.CreateChatCompletionRequest{
		Model: fakeark.Model,
		Messages: []*model.ChatCompletionMessage{
			{Role: model.ChatMessageRoleSystem, Content: &model.ChatCompletionMessageContent{StringValue: volcengine.String(systemPrompt)}},
			{Role: model.ChatMessageRoleUser, Content: &model.ChatCompletionMessageContent{StringValue: volcengine.String(userPrompt)}},
		},
	}
}

// arkChat makes one call and returns the answer as JSON, without the
// response headers (Date differs between calls).
func arkChat(t *testing.T, c *arkruntime.Client) (model.ChatCompletionResponse, string) {
	t.Helper()
	resp, err := c.CreateChatCompletion(context.Background(), arkRequest())
	if err != nil {
		t.Fatalf("CreateChatCompletion: %v", err)
	}
	resp.HttpHeader = nil
	b, err := json.Marshal(resp)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

func TestArkruntimeChat(t *testing.T) {
	w := newWorld(t)
	reply := slowReply()
	w.ark.SetReply(reply)

	_, want := arkChat(t, arkClient(w.ark.BaseURL(), nil))
	client := arkClient(w.ark.BaseURL(), litefuse.NewHTTPClient(w.opts()...))
	start := time.Now()
	resp, got := arkChat(t, client)
	end := time.Now()
	if got != want {
		t.Errorf("recording client's answer differs from the bare client's:\n got %s\nwant %s", got, want)
	}
	msg := resp.Choices[0].Message
	if msg.Content == nil || msg.Content.StringValue == nil || *msg.Content.StringValue != reply.Content {
		t.Errorf("content = %+v", msg.Content)
	}
	if msg.ReasoningContent == nil || *msg.ReasoningContent != reply.Reasoning {
		t.Errorf("reasoning_content = %v, want %q", msg.ReasoningContent, reply.Reasoning)
	}
	reqs := w.ark.Requests()
	if len(reqs) != 2 || string(reqs[0].Body) != string(reqs[1].Body) {
		t.Errorf("the recording client sent a different body:\n bare %s\n rec  %s", reqs[0].Body, reqs[len(reqs)-1].Body)
	}

	spans := w.generations(t, 1)
	checkGeneration(t, spans[0], expect{reply: reply, start: start, end: end})
}

// arkStream reads an arkruntime chat stream to its end (as arkruntime's
// README does: Recv until io.EOF, then Close).
func arkStream(t *testing.T, c *arkruntime.Client) (chunks []string, content, reasoning string) {
	t.Helper()
	stream, err := c.CreateChatCompletionStream(context.Background(), arkRequest())
	if err != nil {
		t.Fatalf("CreateChatCompletionStream: %v", err)
	}
	defer stream.Close()
	var cb, rb strings.Builder
	for {
		chunk, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("Recv: %v", err)
		}
		b, _ := json.Marshal(chunk)
		chunks = append(chunks, string(b))
		if len(chunk.Choices) > 0 {
			cb.WriteString(chunk.Choices[0].Delta.Content)
			if r := chunk.Choices[0].Delta.ReasoningContent; r != nil {
				rb.WriteString(*r)
			}
		}
	}
	return chunks, cb.String(), rb.String()
}

func TestArkruntimeStream(t *testing.T) {
	w := newWorld(t)
	reply := slowReply()
	w.ark.SetReply(reply)

	want, _, _ := arkStream(t, arkClient(w.ark.BaseURL(), nil))
	client := arkClient(w.ark.BaseURL(), litefuse.NewHTTPClient(w.opts()...))
	start := time.Now()
	got, content, reasoning := arkStream(t, client)
	end := time.Now()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("recording client's chunks differ from the bare client's:\n got %d: %s\nwant %d: %s",
			len(got), strings.Join(got, "\n     "), len(want), strings.Join(want, "\n     "))
	}
	if content != reply.Content || reasoning != reply.Reasoning {
		t.Errorf("caller read content %q reasoning %q", content, reasoning)
	}

	spans := w.generations(t, 1)
	checkGeneration(t, spans[0], expect{reply: reply, stream: true, start: start, end: end})
}

// The caller's own base transport stays in the chain.
func TestArkruntimeCustomBaseTransport(t *testing.T) {
	w := newWorld(t)
	reply := fakeark.DefaultReply()
	w.ark.SetReply(reply)
	mine := &markingTransport{base: http.DefaultTransport}
	client := arkClient(w.ark.BaseURL(), &http.Client{Transport: litefuse.NewTransport(mine, w.opts()...)})
	arkChat(t, client)
	arkStream(t, client)
	if n := mine.n.Load(); n != 2 {
		t.Errorf("the caller's transport carried %d requests, want 2", n)
	}
	for i, r := range w.ark.Requests() {
		if r.Header.Get(markHeader) != "yes" {
			t.Errorf("request %d reached Ark without the caller's transport", i)
		}
	}
	for _, s := range w.generations(t, 2) {
		checkGeneration(t, s, expect{reply: reply, stream: s.Str("langfuse.observation.completion_start_time") != ""})
	}
}

// arkruntime retries a 500 (RetryTimes, default 2). Each attempt is its
// own generation. arkruntime sends no retry counter: every attempt is a
// fresh request with a new X-Client-Request-Id, so the transport cannot
// tell a retry from a new call.
func TestArkruntimeRetriesRecordEachAttempt(t *testing.T) {
	for _, stream := range []bool{false, true} {
		name := map[bool]string{false: "chat", true: "stream"}[stream]
		t.Run(name, func(t *testing.T) {
			w := newWorld(t)
			reply := fakeark.DefaultReply()
			w.ark.SetReply(reply)
			f := newFront(t, w.ark)
			f.fail.Store(1)
			client := arkClient(f.BaseURL(), litefuse.NewHTTPClient(w.opts()...))
			if stream {
				_, content, _ := arkStream(t, client)
				if content != reply.Content {
					t.Errorf("content = %q", content)
				}
			} else {
				resp, _ := arkChat(t, client)
				if c := resp.Choices[0].Message.Content; c == nil || c.StringValue == nil || *c.StringValue != reply.Content {
					t.Errorf("content = %+v", c)
				}
			}
			hs := f.headers()
			if len(hs) != 2 {
				t.Fatalf("%d attempts reached the server, want 2", len(hs))
			}
			if a, b := hs[0].Get("X-Client-Request-Id"), hs[1].Get("X-Client-Request-Id"); a == "" || a == b {
				t.Errorf("X-Client-Request-Id %q then %q: expected a new id per attempt", a, b)
			}
			for _, k := range []string{"X-Stainless-Retry-Count", "Retry-Count", "X-Retry-Count"} {
				if v := hs[1].Get(k); v != "" {
					t.Logf("arkruntime now sends %s: %s on a retry: the transport could mark it", k, v)
				}
			}

			spans := w.generations(t, 2)
			var failed, ok int
			for _, s := range spans {
				if s.Str("langfuse.observation.level") == "ERROR" {
					failed++
					if !strings.Contains(s.Str("langfuse.observation.status_message"), "unexpected internal error") {
						t.Errorf("failed attempt's status_message = %q", s.Str("langfuse.observation.status_message"))
					}
					continue
				}
				ok++
				checkGeneration(t, s, expect{reply: reply, stream: stream})
			}
			if failed != 1 || ok != 1 {
				t.Errorf("%d failed and %d successful attempts recorded, want 1 and 1:%s", failed, ok, describe(spans))
			}
		})
	}
}

// Ark answers the real model for an ep-… endpoint id: the generation
// carries it, the request's id stays in gen_ai.request.model.
func TestArkruntimeEndpointIDResolvesModel(t *testing.T) {
	w := newWorld(t)
	reply := fakeark.DefaultReply()
	reply.Model = fakeark.Model
	w.ark.SetReply(reply)
	req := arkRequest()
	req.Model = "ep-20250101123456-abcde"
	client := arkClient(w.ark.BaseURL(), litefuse.NewHTTPClient(w.opts()...))
	if _, err := client.CreateChatCompletion(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	s := w.generations(t, 1)[0]
	checkGeneration(t, s, expect{reply: reply})
	if got := s.Str("gen_ai.request.model"); got != req.Model {
		t.Errorf("gen_ai.request.model = %q, want %q", got, req.Model)
	}
}

// Ark's bot route (…/bots/chat/completions) records like chat.
func TestArkruntimeBotChat(t *testing.T) {
	w := newWorld(t)
	reply := fakeark.DefaultReply()
	reply.Model = fakeark.Model
	w.ark.SetReply(reply)
	client := arkClient(w.ark.BaseURL(), litefuse.NewHTTPClient(w.opts()...))
	resp, err := client.CreateBotChatCompletion(context.Background(), model.BotChatCompletionRequest{
		BotId:    "bot-20250101123456-abcde",
		Messages: arkRequest().Messages,
	})
	if err != nil {
		t.Fatal(err)
	}
	if c := resp.Choices[0].Message.Content; c == nil || c.StringValue == nil || *c.StringValue != reply.Content {
		t.Errorf("content = %+v", c)
	}
	if reqs := w.ark.Requests(); len(reqs) != 1 || !strings.HasSuffix(reqs[0].Path, "/bots/chat/completions") {
		t.Fatalf("requests = %+v", reqs)
	}
	checkGeneration(t, w.generations(t, 1)[0], expect{reply: reply})
}

// An Ark error on a stream request: arkruntime decodes the error body with
// a json.Decoder and never closes it, so the recording must end without
// EOF or Close. The error is recorded as ERROR with Ark's message.
func TestArkruntimeStreamErrorRecorded(t *testing.T) {
	for _, size := range []int{60, 5000} { // one read, and more than the decoder's first read
		t.Run(fmt.Sprintf("message=%dB", size), func(t *testing.T) {
			w := newWorld(t)
			msg := "The parameter `messages` specified in the request are not valid: " + strings.Repeat("x", size)
			w.ark.SetReply(fakeark.Reply{Status: http.StatusBadRequest, ErrorCode: "InvalidParameter", ErrorMsg: msg})
			client := arkClient(w.ark.BaseURL(), litefuse.NewHTTPClient(w.opts()...))
			_, err := client.CreateChatCompletionStream(context.Background(), arkRequest())
			var apiErr *model.APIError
			if !errors.As(err, &apiErr) || apiErr.Code != "InvalidParameter" || apiErr.HTTPStatusCode != 400 {
				t.Fatalf("err = %v, want Ark's 400 InvalidParameter", err)
			}
			s := w.generations(t, 1)[0]
			if s.Str("langfuse.observation.level") != "ERROR" || s.StatusCode != "STATUS_CODE_ERROR" {
				t.Errorf("level %q, status %s: want ERROR", s.Str("langfuse.observation.level"), s.StatusCode)
			}
			if sm := s.Str("langfuse.observation.status_message"); !strings.Contains(sm, "InvalidParameter") && !strings.Contains(sm, "not valid") {
				t.Errorf("status_message = %q: Ark's code or message missing", sm)
			}
		})
	}
}
