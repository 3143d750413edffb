package clients_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/litefuse/litefuse-go"
	"github.com/litefuse/litefuse-go/internal/fakeark"
	"github.com/litefuse/litefuse-go/internal/otlpreceiver"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/shared"
)

// openaiGoClient is an openai-go v3 client for base, over hc (nil: bare).
func openaiGoClient(base string, hc *http.Client, extra ...option.RequestOption) openai.Client {
	opts := []option.RequestOption{option.WithBaseURL(base), option.WithAPIKey(arkKey)}
	if hc != nil {
		opts = append(opts, option.WithHTTPClient(hc))
	}
	return openai.NewClient(append(opts, extra...)...)
}

func openaiGoParams() openai.ChatCompletionNewParams {
	return openai.ChatCompletionNewParams{
		Model:    fakeark.Model,
		Messages: []openai.ChatCompletionMessageParamUnion{openai.SystemMessage(systemPrompt), openai.UserMessage(userPrompt)},
	}
}

// reasoningOf reads Ark's reasoning_content, which openai-go keeps as an
// extra field.
func reasoningOf(extra map[string]interface{ Raw() string }) string {
	var s string
	if f, ok := extra["reasoning_content"]; ok {
		_ = json.Unmarshal([]byte(f.Raw()), &s)
	}
	return s
}

func TestOpenAIGoChat(t *testing.T) {
	w := newWorld(t)
	reply := slowReply()
	w.ark.SetReply(reply)
	ctx := context.Background()

	bare := openaiGoClient(w.ark.BaseURL(), nil)
	want, err := bare.Chat.Completions.New(ctx, openaiGoParams())
	if err != nil {
		t.Fatal(err)
	}

	client := openaiGoClient(w.ark.BaseURL(), litefuse.NewHTTPClient(w.opts()...))
	start := time.Now()
	got, err := client.Chat.Completions.New(ctx, openaiGoParams())
	end := time.Now()
	if err != nil {
		t.Fatal(err)
	}
	if got.RawJSON() != want.RawJSON() {
		t.Errorf("recording client's answer differs from the bare client's:\n got %s\nwant %s", got.RawJSON(), want.RawJSON())
	}
	if got.Choices[0].Message.Content != reply.Content {
		t.Errorf("content = %q, want %q", got.Choices[0].Message.Content, reply.Content)
	}
	var extra struct {
		Reasoning string `json:"reasoning_content"`
	}
	_ = json.Unmarshal([]byte(got.Choices[0].Message.RawJSON()), &extra)
	if extra.Reasoning != reply.Reasoning {
		t.Errorf("reasoning_content the caller reads = %q, want %q", extra.Reasoning, reply.Reasoning)
	}
	reqs := w.ark.Requests()
	if len(reqs) != 2 || string(reqs[0].Body) != string(reqs[1].Body) {
		t.Errorf("the recording client sent a different body:\n bare %s\n rec  %s", reqs[0].Body, reqs[len(reqs)-1].Body)
	}

	spans := w.generations(t, 1)
	checkGeneration(t, spans[0], expect{reply: reply, start: start, end: end})
	if got := spans[0].Attrs["langfuse.observation.metadata.attempt"]; got != nil {
		t.Errorf("first attempt marked attempt=%v", got)
	}
}

// streamChunks reads an openai-go chat stream to its end: the raw JSON
// of every chunk, the text and reasoning joined.
func streamChunks(t *testing.T, client openai.Client, ctx context.Context) (raw []string, content, reasoning string) {
	t.Helper()
	stream := client.Chat.Completions.NewStreaming(ctx, openaiGoParams())
	defer stream.Close()
	var c, r strings.Builder
	for stream.Next() {
		chunk := stream.Current()
		raw = append(raw, chunk.RawJSON())
		if len(chunk.Choices) > 0 {
			c.WriteString(chunk.Choices[0].Delta.Content)
			var d struct {
				Reasoning string `json:"reasoning_content"`
			}
			_ = json.Unmarshal([]byte(chunk.Choices[0].Delta.RawJSON()), &d)
			r.WriteString(d.Reasoning)
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatalf("stream: %v", err)
	}
	return raw, c.String(), r.String()
}

func TestOpenAIGoStream(t *testing.T) {
	w := newWorld(t)
	reply := slowReply()
	w.ark.SetReply(reply)
	ctx := context.Background()

	wantRaw, _, _ := streamChunks(t, openaiGoClient(w.ark.BaseURL(), nil), ctx)

	client := openaiGoClient(w.ark.BaseURL(), litefuse.NewHTTPClient(w.opts()...))
	start := time.Now()
	gotRaw, content, reasoning := streamChunks(t, client, ctx)
	end := time.Now()
	if strings.Join(gotRaw, "\n") != strings.Join(wantRaw, "\n") {
		t.Errorf("recording client's chunks differ from the bare client's:\n got %d: %s\nwant %d: %s",
			len(gotRaw), strings.Join(gotRaw, "\n     "), len(wantRaw), strings.Join(wantRaw, "\n     "))
	}
	if content != reply.Content || reasoning != reply.Reasoning {
		t.Errorf("caller read content %q reasoning %q", content, reasoning)
	}

	spans := w.generations(t, 1)
	checkGeneration(t, spans[0], expect{reply: reply, stream: true, start: start, end: end})
}

// The caller's own base transport stays in the chain: NewTransport(myRT).
func TestOpenAIGoCustomBaseTransport(t *testing.T) {
	w := newWorld(t)
	reply := slowReply()
	w.ark.SetReply(reply)
	mine := &markingTransport{base: http.DefaultTransport}
	client := openaiGoClient(w.ark.BaseURL(), &http.Client{Transport: litefuse.NewTransport(mine, w.opts()...)})

	if _, err := client.Chat.Completions.New(context.Background(), openaiGoParams()); err != nil {
		t.Fatal(err)
	}
	_, _, _ = streamChunks(t, client, context.Background())
	if n := mine.n.Load(); n != 2 {
		t.Errorf("the caller's transport carried %d requests, want 2", n)
	}
	for i, r := range w.ark.Requests() {
		if r.Header.Get(markHeader) != "yes" {
			t.Errorf("request %d reached Ark without the caller's transport", i)
		}
	}
	spans := w.generations(t, 2)
	for _, s := range spans {
		checkGeneration(t, s, expect{reply: reply, stream: s.Str("langfuse.observation.completion_start_time") != ""})
	}
}

// Another route (the models list) passes through, unrecorded and unchanged.
func TestOpenAIGoOtherRoutePassesThrough(t *testing.T) {
	w := newWorld(t)
	f := newFront(t, w.ark)
	client := openaiGoClient(f.BaseURL(), litefuse.NewHTTPClient(w.opts()...))
	page, err := client.Models.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Data) != 1 || page.Data[0].ID != fakeark.Model {
		t.Errorf("models = %+v", page.Data)
	}
	if page.RawJSON() != ModelsList {
		t.Errorf("models list body = %s, want %s", page.RawJSON(), ModelsList)
	}
	if spans := w.spans(t, 0); len(spans) != 0 {
		t.Errorf("a models list was recorded:%s", describe(spans))
	}
}

// openai-go retries a 500 (by default, twice): each attempt is its own
// generation, the retry marked with metadata attempt=1 (from openai-go's
// X-Stainless-Retry-Count header).
func TestOpenAIGoRetriesRecordEachAttempt(t *testing.T) {
	w := newWorld(t)
	reply := fakeark.DefaultReply()
	w.ark.SetReply(reply)
	f := newFront(t, w.ark)
	f.fail.Store(1)
	client := openaiGoClient(f.BaseURL(), litefuse.NewHTTPClient(w.opts()...))

	got, err := client.Chat.Completions.New(context.Background(), openaiGoParams())
	if err != nil {
		t.Fatalf("openai-go did not retry the 500: %v", err)
	}
	if got.Choices[0].Message.Content != reply.Content {
		t.Errorf("content = %q", got.Choices[0].Message.Content)
	}
	hs := f.headers()
	if len(hs) != 2 {
		t.Fatalf("%d attempts reached the server, want 2", len(hs))
	}
	for i, h := range hs {
		if got, want := h.Get("X-Stainless-Retry-Count"), []string{"0", "1"}[i]; got != want {
			t.Errorf("attempt %d: X-Stainless-Retry-Count = %q, want %q", i, got, want)
		}
	}

	spans := w.generations(t, 2)
	var failed, ok int
	for _, s := range spans {
		attempt, _ := s.Attrs["langfuse.observation.metadata.attempt"].(string)
		if s.Str("langfuse.observation.level") == "ERROR" {
			failed++
			if attempt != "" {
				t.Errorf("the first attempt is marked attempt=%q", attempt)
			}
			if s.StatusCode != "STATUS_CODE_ERROR" {
				t.Errorf("failed attempt's OTel status = %s", s.StatusCode)
			}
			// openai-go closes a retried attempt's body unread
			// (requestconfig.Execute: "Close the response body before
			// retrying"): Ark's message must still be recorded, and a
			// chat call is no stream cut short.
			t.Run("failed attempt shows Ark's error", func(t *testing.T) {
				if sm := s.Str("langfuse.observation.status_message"); !strings.Contains(sm, "unexpected internal error") {
					t.Errorf("status_message = %q, want Ark's message (InternalServiceError: The service encountered an unexpected internal error.)", sm)
				}
				if cut := s.Str("langfuse.observation.metadata.stream_cut_short"); cut != "" {
					t.Errorf("a non-streamed call is marked stream_cut_short=%s", cut)
				}
			})
			continue
		}
		ok++
		if attempt != "1" {
			t.Errorf("the retry has metadata attempt=%q, want \"1\"", attempt)
		}
		checkGeneration(t, s, expect{reply: reply})
	}
	if failed != 1 || ok != 1 {
		t.Errorf("%d failed and %d successful attempts recorded, want 1 and 1:%s", failed, ok, describe(spans))
	}
}

// The usual loop: stop at the finish reason, then Close. The usage the
// library asked for follows the finish chunk; it is still recorded, and
// the answer is complete (not cut short).
func TestOpenAIGoStreamBreakOnFinish(t *testing.T) {
	w := newWorld(t)
	reply := fakeark.DefaultReply()
	w.ark.SetReply(reply)
	client := openaiGoClient(w.ark.BaseURL(), litefuse.NewHTTPClient(w.opts()...))
	stream := client.Chat.Completions.NewStreaming(context.Background(), openaiGoParams())
	var content strings.Builder
	for stream.Next() {
		chunk := stream.Current()
		if len(chunk.Choices) == 0 {
			continue
		}
		content.WriteString(chunk.Choices[0].Delta.Content)
		if chunk.Choices[0].FinishReason != "" {
			break
		}
	}
	if err := stream.Close(); err != nil {
		t.Fatal(err)
	}
	if content.String() != reply.Content {
		t.Errorf("content = %q", content.String())
	}
	s := w.generations(t, 1)[0]
	checkGeneration(t, s, expect{reply: reply, stream: true})
	if cut := s.Str("langfuse.observation.metadata.stream_cut_short"); cut != "" {
		t.Errorf("a complete answer is marked stream_cut_short=%s", cut)
	}
}

// Tool calls streamed in pieces: the caller reads the arguments as sent,
// and the generation records the tool call with its arguments joined.
func TestOpenAIGoStreamToolCalls(t *testing.T) {
	w := newWorld(t)
	w.ark.SetReply(fakeark.DefaultReply())
	client := openaiGoClient(w.ark.BaseURL(), litefuse.NewHTTPClient(w.opts()...))
	params := openaiGoParams()
	params.Tools = []openai.ChatCompletionToolUnionParam{openai.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{
		Name:       "get_weather",
		Parameters: shared.FunctionParameters{"type": "object", "properties": map[string]any{"location": map[string]any{"type": "string"}}},
	})}
	stream := client.Chat.Completions.NewStreaming(context.Background(), params)
	var args strings.Builder
	for stream.Next() {
		if c := stream.Current(); len(c.Choices) > 0 && len(c.Choices[0].Delta.ToolCalls) > 0 {
			args.WriteString(c.Choices[0].Delta.ToolCalls[0].Function.Arguments)
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	_ = stream.Close()
	const wantArgs = `{"location":"Boston, MA"}`
	if args.String() != wantArgs {
		t.Errorf("the caller read arguments %q, want %q", args.String(), wantArgs)
	}

	s := w.generations(t, 1)[0]
	var out struct {
		ToolCalls []struct {
			ID       string `json:"id"`
			Function struct {
				Name      string `json:"name"`
				Arguments string `json:"arguments"`
			} `json:"function"`
		} `json:"tool_calls"`
	}
	if err := json.Unmarshal([]byte(s.Str("langfuse.observation.output")), &out); err != nil {
		t.Fatalf("output %q: %v", s.Str("langfuse.observation.output"), err)
	}
	if len(out.ToolCalls) != 1 || out.ToolCalls[0].Function.Name != "get_weather" || out.ToolCalls[0].Function.Arguments != wantArgs || out.ToolCalls[0].ID != "call_0001" {
		t.Errorf("output tool_calls = %+v, want one get_weather call with %s", out.ToolCalls, wantArgs)
	}
	var input map[string]any
	if err := json.Unmarshal([]byte(s.Str("langfuse.observation.input")), &input); err != nil || input["tools"] == nil || input["messages"] == nil {
		t.Errorf("input with tools = %s, want {messages, tools, …}", s.Str("langfuse.observation.input"))
	}
}

// A stream whose context is cancelled half-way: the caller gets the
// cancellation, and the generation ends once, with the part that arrived.
func TestOpenAIGoStreamCancelled(t *testing.T) {
	w := newWorld(t)
	reply := fakeark.DefaultReply()
	reply.Pieces, reply.ChunkDelay = 8, 20*time.Millisecond
	w.ark.SetReply(reply)
	client := openaiGoClient(w.ark.BaseURL(), litefuse.NewHTTPClient(w.opts()...))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stream := client.Chat.Completions.NewStreaming(ctx, openaiGoParams())
	read := 0
	for stream.Next() {
		if read++; read == 12 { // role, 8 reasoning, 3 content pieces
			cancel()
		}
	}
	if err := stream.Err(); err == nil || !strings.Contains(err.Error(), "context canceled") {
		t.Errorf("stream.Err() = %v, want context canceled", err)
	}
	_ = stream.Close()

	s := w.generations(t, 1)[0]
	var out struct {
		Content   string `json:"content"`
		Reasoning string `json:"reasoning_content"`
	}
	_ = json.Unmarshal([]byte(s.Str("langfuse.observation.output")), &out)
	if out.Reasoning != reply.Reasoning {
		t.Errorf("partial output's reasoning = %q, want all of it (%q)", out.Reasoning, reply.Reasoning)
	}
	if out.Content == "" || out.Content == reply.Content || !strings.HasPrefix(reply.Content, out.Content) {
		t.Errorf("partial output's content = %q, want a proper prefix of %q", out.Content, reply.Content)
	}
	if s.Str("langfuse.observation.metadata.stream_cut_short") != "true" && s.Str("langfuse.observation.level") != "ERROR" {
		t.Errorf("a cancelled stream is neither cut short nor an error:%s", describe([]otlpreceiver.Span{s}))
	}
}
