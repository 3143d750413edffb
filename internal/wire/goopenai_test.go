package wire

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	openai "github.com/sashabaranov/go-openai"
)

// arkServer speaks Ark's chat API: a stream (with the usage chunk only
// when stream_options.include_usage is set) or a JSON answer.
func arkServer(t *testing.T, events []string) *httptest.Server {
	t.Helper()
	return arkServerSep(t, events, "\n\n")
}

// arkServerSep is arkServer with sep after each data line.
func arkServerSep(t *testing.T, events []string, sep string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if !bytes.Contains(body, []byte(`"stream":true`)) {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"choices":[{"finish_reason":"stop","index":0,"message":{"content":"Hi!","reasoning_content":"Greet.","role":"assistant"}}],"created":1732987012,"id":"`+arkID+`","model":"`+arkModel+`","object":"chat.completion","usage":`+arkUsage+`}`)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		ev := events
		if bytes.Contains(body, []byte(`"include_usage":true`)) {
			ev = append(ev[:len(ev):len(ev)], arkUsageChunk())
		}
		for _, e := range ev {
			io.WriteString(w, "data: "+e+sep)
			w.(http.Flusher).Flush()
		}
		io.WriteString(w, "data: [DONE]"+sep)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// wireTransport is the transport the root package builds, reduced to the
// wire calls: match, parse (and inject), wrap the body.
type wireTransport struct {
	opt     Options
	results chan *Result
}

func (rt *wireTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	route := Match(r.Method, r.URL.Path)
	if route == None {
		return http.DefaultTransport.RoundTrip(r)
	}
	body, _ := io.ReadAll(r.Body)
	req, send := ParseRequest(route, body, rt.opt)
	if send == nil {
		send = body
	}
	r2 := r.Clone(r.Context())
	r2.Body, r2.ContentLength = io.NopCloser(bytes.NewReader(send)), int64(len(send))
	resp, err := http.DefaultTransport.RoundTrip(r2)
	if err != nil {
		return nil, err
	}
	resp.Body = req.WrapBody(resp.StatusCode, resp.Header, resp.Body, rt.opt, func(res *Result) { rt.results <- res })
	return resp, nil
}

func goopenaiClient(base string, rt http.RoundTripper) *openai.Client {
	cfg := openai.DefaultConfig("ark-key")
	cfg.BaseURL = base + "/api/v3"
	if rt != nil {
		cfg.HTTPClient = &http.Client{Transport: rt}
	}
	return openai.NewClientWithConfig(cfg)
}

func recvAll(t *testing.T, c *openai.Client, req openai.ChatCompletionRequest) []openai.ChatCompletionStreamResponse {
	t.Helper()
	stream, err := c.CreateChatCompletionStream(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Close()
	var out []openai.ChatCompletionStreamResponse
	for {
		resp, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, resp)
	}
}

func TestGoOpenAIStreamThroughBody(t *testing.T) {
	tc := func(idx int, fields string) string {
		return arkChunk(`[{"delta":{"content":"","tool_calls":[{"index":` + string(rune('0'+idx)) + `,` + fields + `}]},"index":0}]`)
	}
	events := append(arkStream(false)[:5:5],
		tc(0, `"id":"call_a","type":"function","function":{"name":"get_weather","arguments":"{\"ci"}`),
		tc(0, `"function":{"arguments":"ty\":\"Paris\"}"}`),
		arkFinish(0, "tool_calls"))
	srv := arkServer(t, events)
	req := openai.ChatCompletionRequest{Model: "ep-20250615-abcde", Messages: []openai.ChatCompletionMessage{{Role: "user", Content: "Weather?"}}}

	bare := recvAll(t, goopenaiClient(srv.URL, nil), req)
	rt := &wireTransport{opt: Options{InjectUsage: true}, results: make(chan *Result, 4)}
	wrapped := recvAll(t, goopenaiClient(srv.URL, rt), req)
	if !reflect.DeepEqual(bare, wrapped) {
		t.Fatalf("Recv results differ:\nbare    %+v\nwrapped %+v", bare, wrapped)
	}
	if len(bare) != len(events) {
		t.Fatalf("%d chunks, want %d", len(bare), len(events))
	}
	res := <-rt.results
	want := `{"role":"assistant","content":"Litefuse is an LLM observability platform — \"open\".","reasoning_content":"The user asks what Litefuse is.","tool_calls":[{"id":"call_a","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]}`
	if string(res.Output) != want || res.Usage != arkUsageWant || res.CutShort || res.Model != arkModel {
		t.Errorf("%+v\n%s", res, res.Output)
	}

	// The caller asks for usage: it gets the usage chunk, through the wrapper too.
	req.StreamOptions = &openai.StreamOptions{IncludeUsage: true}
	bare = recvAll(t, goopenaiClient(srv.URL, nil), req)
	wrapped = recvAll(t, goopenaiClient(srv.URL, rt), req)
	if !reflect.DeepEqual(bare, wrapped) || bare[len(bare)-1].Usage == nil {
		t.Fatal("Recv results differ with usage asked for")
	}
	<-rt.results
}

// A server that ends each event with a single \n, or with \r\n and no
// blank line: go-openai reads it line by line, through the Body as bare.
func TestGoOpenAIStreamNoBlankLines(t *testing.T) {
	req := openai.ChatCompletionRequest{Model: "ep-20250615-abcde", Messages: []openai.ChatCompletionMessage{{Role: "user", Content: "Hi"}}}
	for _, sep := range []string{"\n", "\r\n"} {
		srv := arkServerSep(t, arkStream(false), sep)
		bare := recvAll(t, goopenaiClient(srv.URL, nil), req)
		rt := &wireTransport{opt: Options{InjectUsage: true}, results: make(chan *Result, 4)}
		wrapped := recvAll(t, goopenaiClient(srv.URL, rt), req)
		if !reflect.DeepEqual(bare, wrapped) || len(bare) != len(arkStream(false)) {
			t.Fatalf("%q: Recv results differ:\nbare    %+v\nwrapped %+v", sep, bare, wrapped)
		}
		res := <-rt.results
		if res.Usage != arkUsageWant || res.Malformed != "" || res.CutShort || !strings.Contains(string(res.Output), "observability") {
			t.Errorf("%q: %+v\n%s", sep, res, res.Output)
		}
	}
}

func TestGoOpenAIChatThroughBody(t *testing.T) {
	srv := arkServer(t, nil)
	rt := &wireTransport{opt: Options{InjectUsage: true}, results: make(chan *Result, 4)}
	req := openai.ChatCompletionRequest{Model: "ep-20250615-abcde", Temperature: 0.7, Messages: []openai.ChatCompletionMessage{{Role: "user", Content: "Hi"}}}
	resp, err := goopenaiClient(srv.URL, rt).CreateChatCompletion(context.Background(), req)
	if err != nil || resp.Choices[0].Message.ReasoningContent != "Greet." {
		t.Fatal(resp, err)
	}
	res := <-rt.results
	if string(res.Output) != `{"role":"assistant","content":"Hi!","reasoning_content":"Greet."}` || res.Usage != arkUsageWant || res.CutShort {
		t.Errorf("%+v %s", res, res.Output)
	}
	if !strings.Contains(res.Model, "doubao") {
		t.Errorf("model %q", res.Model)
	}
}

// The usual go-openai loop: Recv until the finish reason, then Close. The
// usage the library asked for comes after; it is still recorded, and the
// answer is not cut short.
func TestGoOpenAIBreakOnFinishThenClose(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "text/event-stream")
		for _, e := range arkStream(false) {
			io.WriteString(w, "data: "+e+"\n\n")
		}
		w.(http.Flusher).Flush()
		if bytes.Contains(body, []byte(`"include_usage":true`)) {
			time.Sleep(30 * time.Millisecond) // the usage comes a little later
			io.WriteString(w, "data: "+arkUsageChunk()+"\n\n")
		}
		io.WriteString(w, "data: [DONE]\n\n")
	}))
	defer srv.Close()
	rt := &wireTransport{opt: Options{InjectUsage: true}, results: make(chan *Result, 4)}
	stream, err := goopenaiClient(srv.URL, rt).CreateChatCompletionStream(context.Background(),
		openai.ChatCompletionRequest{Model: "ep-20250615-abcde", Messages: []openai.ChatCompletionMessage{{Role: "user", Content: "Hi"}}})
	if err != nil {
		t.Fatal(err)
	}
	for {
		resp, err := stream.Recv()
		if err != nil {
			t.Fatal(err)
		}
		if resp.Choices[0].FinishReason != "" {
			break
		}
	}
	start := time.Now()
	stream.Close()
	if d := time.Since(start); d > 20*time.Millisecond {
		t.Errorf("Close took %v", d)
	}
	res := <-rt.results
	if res.Usage != arkUsageWant || res.CutShort {
		t.Errorf("usage %+v, cut short %v", res.Usage, res.CutShort)
	}
}
