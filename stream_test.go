package litefuse_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/litefuse/litefuse-go"
	"github.com/litefuse/litefuse-go/internal/fakeark"
	"github.com/litefuse/litefuse-go/internal/otlpreceiver"
	openai "github.com/sashabaranov/go-openai"
)

type chunkStream interface {
	Recv() (openai.ChatCompletionStreamResponse, error)
}

// drain reads a stream to its end and returns the chunks and the final error.
func drain(s chunkStream) ([]openai.ChatCompletionStreamResponse, error) {
	var out []openai.ChatCompletionStreamResponse
	for {
		c, err := s.Recv()
		if err != nil {
			return out, err
		}
		out = append(out, c)
	}
}

func toolReply() fakeark.Reply {
	r := fakeark.DefaultReply()
	r.ToolCalls = []openai.ToolCall{
		{ID: "call_weather", Type: openai.ToolTypeFunction, Function: openai.FunctionCall{Name: "get_weather", Arguments: `{"city":"Singapore","unit":"celsius"}`}},
		{ID: "call_time", Type: openai.ToolTypeFunction, Function: openai.FunctionCall{Name: "get_time", Arguments: `{"tz":"Asia/Singapore"}`}},
	}
	r.Finish = openai.FinishReasonToolCalls
	return r
}

func TestStreamChunksEqualBareGoOpenAI(t *testing.T) {
	for _, askUsage := range []bool{false, true} {
		t.Run(fmt.Sprintf("caller_asks_usage=%v", askUsage), func(t *testing.T) {
			e := newEnv(t)
			e.ark.SetReply(toolReply())
			req := seedRequest()
			if askUsage {
				req.StreamOptions = &openai.StreamOptions{IncludeUsage: true}
			}
			ws, err := e.client.CreateChatCompletionStream(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			wrapped, werr := drain(ws)
			bs, err := e.bare.CreateChatCompletionStream(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			bare, berr := drain(bs)
			if !errors.Is(werr, io.EOF) || !errors.Is(berr, io.EOF) {
				t.Fatalf("end errors: wrapped %v, bare %v", werr, berr)
			}
			if !reflect.DeepEqual(wrapped, bare) {
				t.Fatalf("chunks differ from bare go-openai: %d vs %d\nwrapped %+v\nbare    %+v", len(wrapped), len(bare), wrapped, bare)
			}
			for i, c := range wrapped {
				if len(c.Choices) == 0 && !askUsage {
					t.Errorf("chunk %d has no choices: the usage chunk leaked to a caller who did not ask", i)
				}
			}
			if last := wrapped[len(wrapped)-1]; askUsage && last.Usage == nil {
				t.Errorf("the caller asked for usage and did not get it")
			}
			_ = ws.Close()
			_ = bs.Close()
			// Usage reaches Litefuse either way.
			s := e.one(t)
			if got := s.Str("langfuse.observation.usage_details"); got != `{"input":16,"input_cached_tokens":4,"output":38,"output_reasoning_tokens":12,"total":70}` {
				t.Errorf("usage_details = %s", got)
			}
			// Injection asks the server for usage; the caller's own request is left as is.
			if got := e.ark.Requests()[0].Chat.StreamOptions; got == nil || !got.IncludeUsage {
				t.Errorf("server did not receive include_usage: %+v", got)
			}
			if !askUsage && req.StreamOptions != nil {
				t.Errorf("the caller's request was modified")
			}
		})
	}
}

func TestStreamAggregationAndTTFT(t *testing.T) {
	e := newEnv(t)
	reply := toolReply()
	reply.FirstDelay, reply.ChunkDelay, reply.Pieces = 60*time.Millisecond, 5*time.Millisecond, 5
	e.ark.SetReply(reply)
	before := time.Now()
	st, err := e.client.CreateChatCompletionStream(context.Background(), seedRequest())
	if err != nil {
		t.Fatal(err)
	}
	chunks, err := drain(st)
	if !errors.Is(err, io.EOF) {
		t.Fatal(err)
	}
	_ = st.Close()
	if len(chunks) < 15 {
		t.Fatalf("only %d chunks: the test needs arguments split over several", len(chunks))
	}
	s := e.one(t)
	out := jsonAttr(t, s, "langfuse.observation.output").(map[string]any)
	if out["role"] != "assistant" || out["content"] != reply.Content || out["reasoning_content"] != reply.Reasoning {
		t.Errorf("output = %v", out)
	}
	calls := out["tool_calls"].([]any)
	if len(calls) != 2 {
		t.Fatalf("tool_calls = %v", calls)
	}
	for i, want := range reply.ToolCalls {
		got := calls[i].(map[string]any)
		fn := got["function"].(map[string]any)
		if got["id"] != want.ID || got["type"] != "function" || fn["name"] != want.Function.Name || fn["arguments"] != want.Function.Arguments {
			t.Errorf("tool call %d = %v, want %+v", i, got, want)
		}
	}
	if got := s.Attrs["gen_ai.response.finish_reasons"]; !reflect.DeepEqual(got, []string{"tool_calls"}) {
		t.Errorf("finish reasons = %v", got)
	}
	raw := s.Str("langfuse.observation.completion_start_time")
	ttft, err := time.Parse(time.RFC3339Nano, raw)
	if err != nil || !strings.HasSuffix(raw, "Z") {
		t.Fatalf("completion_start_time %q: %v (want RFC 3339 with zone)", raw, err)
	}
	if ttft.Sub(before) < reply.FirstDelay || !ttft.Before(s.End) || ttft.Before(s.Start) {
		t.Errorf("ttft %v: want after the %v first-chunk delay from %v and before the end %v", ttft, reply.FirstDelay, before, s.End)
	}
	if s.End.Sub(ttft) < 10*reply.ChunkDelay {
		t.Errorf("span ended %v after the first chunk; want it to last to the last chunk", s.End.Sub(ttft))
	}
	if s.Str("langfuse.observation.type") != "generation" || s.Str("langfuse.observation.model.name") != fakeark.Model {
		t.Errorf("type %q model %q", s.Str("langfuse.observation.type"), s.Str("langfuse.observation.model.name"))
	}
}

func TestStreamRecvRawMatchesBare(t *testing.T) {
	e := newEnv(t)
	rawAll := func(s interface{ RecvRaw() ([]byte, error) }) []string {
		var out []string
		for {
			b, err := s.RecvRaw()
			if err != nil {
				return out
			}
			out = append(out, string(b))
		}
	}
	ws, err := e.client.CreateChatCompletionStream(context.Background(), seedRequest())
	if err != nil {
		t.Fatal(err)
	}
	bs, err := e.bare.CreateChatCompletionStream(context.Background(), seedRequest())
	if err != nil {
		t.Fatal(err)
	}
	if w, b := rawAll(ws), rawAll(bs); !reflect.DeepEqual(w, b) {
		t.Fatalf("raw chunks differ:\n%q\n%q", w, b)
	}
	out := jsonAttr(t, e.one(t), "langfuse.observation.output").(map[string]any)
	if out["content"] != fakeark.DefaultReply().Content {
		t.Errorf("RecvRaw output not aggregated: %v", out)
	}
}

func TestStreamUsageInjectionOff(t *testing.T) {
	e := newEnv(t, litefuse.WithStreamUsage(false))
	st, err := e.client.CreateChatCompletionStream(context.Background(), seedRequest())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := drain(st); !errors.Is(err, io.EOF) {
		t.Fatal(err)
	}
	if strings.Contains(string(e.ark.Requests()[0].Body), "stream_options") {
		t.Errorf("stream_options sent with injection off: %s", e.ark.Requests()[0].Body)
	}
	if s := e.one(t); s.Attrs["langfuse.observation.usage_details"] != nil {
		t.Errorf("usage recorded without the server sending any")
	}
}

// sseServer serves a handler that writes raw SSE lines, for odd streams.
func sseServer(t *testing.T, write func(w http.ResponseWriter, flush func())) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		flush := func() { w.(http.Flusher).Flush() }
		write(w, flush)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/api/v3"
}

func chunkLine(content string) string {
	b, _ := json.Marshal(openai.ChatCompletionStreamResponse{ID: "r1", Model: fakeark.Model, Choices: []openai.ChatCompletionStreamChoice{{Delta: openai.ChatCompletionStreamChoiceDelta{Content: content}}}})
	return "data: " + string(b) + "\n\n"
}

// clientFor makes a traced client for baseURL exporting to e's receiver.
func (e *env) clientFor(baseURL string) *litefuse.Client {
	cfg := openai.DefaultConfig(testArkKey)
	cfg.BaseURL = baseURL
	return litefuse.NewClientWithConfig(cfg, litefuse.WithTracerProvider(e.tp))
}

func assertPartial(t *testing.T, s otlpreceiver.Span, content, level string) {
	t.Helper()
	out, _ := jsonAttr(t, s, "langfuse.observation.output").(map[string]any)
	if out["content"] != content {
		t.Errorf("partial output = %v, want content %q", out, content)
	}
	if got := s.Str("langfuse.observation.level"); got != level {
		t.Errorf("level = %q, want %q", got, level)
	}
	if level == "ERROR" && (s.StatusCode != "STATUS_CODE_ERROR" || s.Str("langfuse.observation.status_message") == "") {
		t.Errorf("status %s message %q", s.StatusCode, s.Str("langfuse.observation.status_message"))
	}
}

func TestStreamConnectionDroppedMidStream(t *testing.T) {
	e := newEnv(t)
	base := sseServer(t, func(w http.ResponseWriter, flush func()) {
		_, _ = io.WriteString(w, chunkLine("Hello, "))
		_, _ = io.WriteString(w, chunkLine("wor"))
		flush()
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			_ = conn.Close() // mid-chunk: the client sees an unexpected EOF
		}
	})
	st, err := e.clientFor(base).CreateChatCompletionStream(context.Background(), seedRequest())
	if err != nil {
		t.Fatal(err)
	}
	chunks, err := drain(st)
	if err == nil || errors.Is(err, io.EOF) || len(chunks) != 2 {
		t.Fatalf("got %d chunks and %v; want 2 and a transport error", len(chunks), err)
	}
	s := e.one(t)
	assertPartial(t, s, "Hello, wor", "ERROR")
	_ = st.Close()
	if n := len(e.spans(t, 1)); n != 1 {
		t.Errorf("%d spans after Close, want the one", n)
	}
}

func TestStreamArkErrorInsideStream(t *testing.T) {
	e := newEnv(t)
	base := sseServer(t, func(w http.ResponseWriter, flush func()) {
		_, _ = io.WriteString(w, chunkLine("partial"))
		_, _ = io.WriteString(w, `data: {"error":{"code":"ServerOverloaded","message":"The service is overloaded","param":"","type":"TooManyRequests"}}`+"\n\n")
		flush()
	})
	st, err := e.clientFor(base).CreateChatCompletionStream(context.Background(), seedRequest())
	if err != nil {
		t.Fatal(err)
	}
	_, err = drain(st)
	var apiErr *openai.APIError
	if !errors.As(err, &apiErr) || apiErr.Message != "The service is overloaded" {
		t.Fatalf("err = %v, want go-openai's APIError", err)
	}
	s := e.one(t)
	assertPartial(t, s, "partial", "ERROR")
	if s.Str("error.type") != "ServerOverloaded" {
		t.Errorf("error.type = %q", s.Str("error.type"))
	}
}

func TestStreamEarlyClose(t *testing.T) {
	e := newEnv(t)
	reply := fakeark.DefaultReply()
	reply.Reasoning, reply.Pieces, reply.ChunkDelay = "", 8, 20*time.Millisecond
	e.ark.SetReply(reply)
	st, err := e.client.CreateChatCompletionStream(context.Background(), seedRequest())
	if err != nil {
		t.Fatal(err)
	}
	var got string
	for range 3 { // role chunk + two content pieces
		c, err := st.Recv()
		if err != nil {
			t.Fatal(err)
		}
		got += c.Choices[0].Delta.Content
	}
	err1 := st.Close()
	err2 := st.Close()
	if err1 != err2 {
		t.Errorf("second Close = %v, first %v", err2, err1)
	}
	s := e.one(t)
	assertPartial(t, s, got, "")
	if s.Str("langfuse.observation.metadata.stream_cut_short") != "true" {
		t.Errorf("early close not marked: %v", s.Attrs)
	}
	if _, err := st.Recv(); err == nil {
		t.Error("Recv after Close succeeded")
	}
	if n := len(e.spans(t, 1)); n != 1 {
		t.Errorf("%d spans, want exactly one", n)
	}
}

func TestStreamContextCancelledEndsSpan(t *testing.T) {
	e := newEnv(t)
	reply := fakeark.DefaultReply()
	reply.Reasoning, reply.Pieces, reply.ChunkDelay = "", 8, 50*time.Millisecond
	e.ark.SetReply(reply)
	ctx, cancel := context.WithCancel(context.Background())
	st, err := e.client.CreateChatCompletionStream(ctx, seedRequest())
	if err != nil {
		t.Fatal(err)
	}
	c, err := st.Recv()
	if err != nil {
		t.Fatal(err)
	}
	_ = c
	c, err = st.Recv()
	if err != nil {
		t.Fatal(err)
	}
	cancel() // the caller gives up and never reads again
	s := e.one(t)
	assertPartial(t, s, c.Choices[0].Delta.Content, "ERROR")
	if !strings.Contains(s.Str("langfuse.observation.status_message"), "context canceled") {
		t.Errorf("status message = %q", s.Str("langfuse.observation.status_message"))
	}
	_ = st.Close()
}

func TestStreamOpenFailureEndsSpanAtOnce(t *testing.T) {
	e := newEnv(t)
	e.ark.SetReply(fakeark.Reply{Status: http.StatusBadRequest, ErrorCode: "InvalidParameter", ErrorMsg: "bad model"})
	st, werr := e.client.CreateChatCompletionStream(context.Background(), seedRequest())
	_, berr := e.bare.CreateChatCompletionStream(context.Background(), seedRequest())
	if st != nil || werr == nil || !reflect.DeepEqual(werr, berr) {
		t.Fatalf("stream %v, err %#v; bare err %#v", st, werr, berr)
	}
	s := e.one(t)
	if s.Str("langfuse.observation.level") != "ERROR" || s.Str("error.type") != "InvalidParameter" {
		t.Errorf("attrs = %v", s.Attrs)
	}
}

func TestStreamCloseWhileRecvRuns(t *testing.T) {
	e := newEnv(t)
	reply := fakeark.DefaultReply()
	reply.Pieces, reply.ChunkDelay = 20, 10*time.Millisecond
	e.ark.SetReply(reply)
	st, err := e.client.CreateChatCompletionStream(context.Background(), seedRequest())
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_, _ = drain(st)
	}()
	time.Sleep(35 * time.Millisecond)
	var closers sync.WaitGroup
	for range 3 {
		closers.Add(1)
		go func() { defer closers.Done(); _ = st.Close() }()
	}
	closers.Wait()
	wg.Wait()
	if n := len(e.spans(t, 1)); n != 1 {
		t.Errorf("%d spans, want exactly one", n)
	}
}

func TestStreamHeadersReachable(t *testing.T) {
	e := newEnv(t)
	st, err := e.client.CreateChatCompletionStream(context.Background(), seedRequest())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if got := st.Header().Get("Content-Type"); got != "text/event-stream" {
		t.Errorf("Header() Content-Type = %q", got)
	}
	_ = st.GetRateLimitHeaders()
}

func TestStreamSeveralChoicesRecordedAsList(t *testing.T) {
	e := newEnv(t)
	req := seedRequest()
	req.N = 2
	st, err := e.client.CreateChatCompletionStream(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := drain(st); !errors.Is(err, io.EOF) {
		t.Fatal(err)
	}
	out, ok := jsonAttr(t, e.one(t), "langfuse.observation.output").([]any)
	if !ok || len(out) != 2 {
		t.Fatalf("output for n=2 = %v, want a list of two messages", out)
	}
	for i, m := range out {
		if m.(map[string]any)["content"] != fakeark.DefaultReply().Content {
			t.Errorf("choice %d = %v", i, m)
		}
	}
}
