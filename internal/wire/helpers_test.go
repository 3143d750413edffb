package wire

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// Ark's answers, as BytePlus ModelArk sends them for an "ep-…" endpoint.
const (
	arkID    = "0217329870123456789abcdef"
	arkModel = "doubao-seed-1-6-250615"
	arkUsage = `{"completion_tokens":50,"prompt_tokens":20,"total_tokens":70,"prompt_tokens_details":{"cached_tokens":4},"completion_tokens_details":{"reasoning_tokens":12}}`
)

var arkUsageWant = Usage{Present: true, Prompt: 20, Completion: 50, Total: 70, CachedPrompt: 4, Reasoning: 12}

// arkChunk is one chat.completion.chunk with the given choices JSON.
func arkChunk(choices string) string {
	return `{"choices":` + choices + `,"created":1732987012,"id":"` + arkID + `","model":"` + arkModel + `","service_tier":"default","object":"chat.completion.chunk","usage":null}`
}

// arkDelta is a one-choice chunk with delta fields (JSON members).
func arkDelta(index int, delta string) string {
	return arkChunk(fmt.Sprintf(`[{"delta":{%s},"index":%d}]`, delta, index))
}

func arkFinish(index int, reason string) string {
	return arkChunk(fmt.Sprintf(`[{"delta":{"content":"","role":"assistant"},"finish_reason":%q,"index":%d}]`, reason, index))
}

// arkUsageChunk is the usage-only chunk include_usage causes.
func arkUsageChunk() string {
	return `{"choices":[],"created":1732987012,"id":"` + arkID + `","model":"` + arkModel + `","service_tier":"default","object":"chat.completion.chunk","usage":` + arkUsage + `}`
}

// sse frames events as Ark does, ending with [DONE].
func sse(events ...string) string {
	var b strings.Builder
	for _, e := range events {
		b.WriteString("data: " + e + "\n\n")
	}
	b.WriteString("data: [DONE]\n\n")
	return b.String()
}

// sseSep frames events with sep after each data line, ending with
// [DONE]: "\n" for servers that send no blank lines, "\r\r" or "\r" for
// lone-\r line ends.
func sseSep(sep string, events ...string) string {
	var b strings.Builder
	for _, e := range events {
		b.WriteString("data: " + e + sep)
	}
	b.WriteString("data: [DONE]" + sep)
	return b.String()
}

// arkStream is a thinking model's streamed answer: role, reasoning,
// content, finish, and the usage chunk when withUsage.
func arkStream(withUsage bool) []string {
	ev := []string{
		arkDelta(0, `"content":"","reasoning_content":"","role":"assistant"`),
		arkDelta(0, `"content":"","reasoning_content":"The user asks","role":"assistant"`),
		arkDelta(0, `"content":"","reasoning_content":" what Litefuse is.","role":"assistant"`),
		arkDelta(0, `"content":"Litefuse is","role":"assistant"`),
		arkDelta(0, `"content":" an LLM observability platform \u2014 \"open\".","role":"assistant"`),
		arkFinish(0, "stop"),
	}
	if withUsage {
		ev = append(ev, arkUsageChunk())
	}
	return ev
}

var sseHeader = http.Header{"Content-Type": {"text/event-stream"}}
var jsonHeader = http.Header{"Content-Type": {"application/json; charset=utf-8"}}

// chatStreamRequest is a go-openai style stream request for an endpoint id.
func chatStreamRequest(extra string) []byte {
	return []byte(`{"model":"ep-20250615-abcde","messages":[{"role":"user","content":"What is Litefuse?"}],"stream":true` + extra + `}`)
}

// ended collects the Result onEnd delivers, and counts calls.
type ended struct {
	ch    chan *Result
	calls int
}

func newEnded() *ended { return &ended{ch: make(chan *Result, 16)} }

func (e *ended) onEnd(r *Result) { e.ch <- r }

func (e *ended) wait(t *testing.T) *Result {
	t.Helper()
	select {
	case r := <-e.ch:
		return r
	case <-time.After(5 * time.Second):
		t.Fatal("onEnd was not called")
		return nil
	}
}

// none checks that onEnd is not called again.
func (e *ended) none(t *testing.T) {
	t.Helper()
	select {
	case r := <-e.ch:
		t.Fatalf("onEnd called again: %+v", r)
	case <-time.After(50 * time.Millisecond):
	}
}

// readThrough wraps body for req and reads it all with reads of n bytes.
func readThrough(t *testing.T, req *Request, status int, h http.Header, body string, n int, opt Options) ([]byte, *Result) {
	t.Helper()
	e := newEnded()
	b := req.WrapBody(status, h, io.NopCloser(strings.NewReader(body)), opt, e.onEnd)
	var got []byte
	buf := make([]byte, n)
	for {
		k, err := b.Read(buf)
		got = append(got, buf[:k]...)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("Read: %v", err)
		}
	}
	res := e.wait(t)
	if err := b.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	e.none(t)
	return got, res
}

// streamReq parses a chat stream request with usage injection.
func streamReq(t testing.TB, extra string, opt Options) *Request {
	t.Helper()
	req, _ := ParseRequest(Chat, chatStreamRequest(extra), opt)
	return req
}

func nopCloser(s string) io.ReadCloser { return io.NopCloser(strings.NewReader(s)) }

// chatOut is chatOutput without an id to carry.
func (a *aggregate) chatOut() []byte {
	b, _, _ := a.chatOutput(nil)
	return b
}
