package litefuse_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/litefuse/litefuse-go"
	"github.com/litefuse/litefuse-go/internal/fakeark"
	"github.com/litefuse/litefuse-go/internal/otlpreceiver"
	openai "github.com/sashabaranov/go-openai"
)

// A call whose recording is finished beside the caller (an input over
// 256 KB) records the Generation as it was when the call was made: once
// the call returns, its Metadata map and Prompt are the caller's again,
// to change or reuse for the next call. Reading them later was a data race
// (a map written while the recording ranged over it is a fatal error, not
// a panic), and recorded values the call never had.
func TestLargeCallRecordsTheGenerationAsCalled(t *testing.T) {
	e := newEnv(t)
	md := map[string]any{"step": 0, "nested": map[string]any{"step": 0}}
	prompt := &litefuse.PromptRef{Name: "triage", Version: 1}
	ctx := litefuse.WithGeneration(context.Background(), litefuse.Generation{Metadata: md, Prompt: prompt})
	req := seedRequest()
	req.Messages[1].Content = strings.Repeat("Litefuse ", 40<<10) // 360 KB
	const calls = 4
	for i := range calls {
		if _, err := e.client.CreateChatCompletion(ctx, req); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
		// The next call's values, set as soon as this one returned.
		md["step"] = i + 1
		md["nested"].(map[string]any)["step"] = i + 1
		md[fmt.Sprintf("added_%d", i)] = true
		prompt.Version = i + 2
	}
	spans := e.spans(t, calls)
	got := map[string]bool{}
	for _, s := range spans {
		step := s.Attrs["langfuse.observation.metadata.step"]
		nested := s.Attrs["langfuse.observation.metadata.nested"]
		version := s.Attrs["langfuse.observation.prompt.version"]
		want := fmt.Sprintf(`{"step":%v}`, step)
		if nested != want || fmt.Sprint(version) != fmt.Sprint(toInt(step)+1) {
			t.Errorf("a call recorded step %v, nested %v, prompt version %v: values from different moments", step, nested, version)
		}
		for k := range s.Attrs {
			if strings.HasPrefix(k, "langfuse.observation.metadata.added_") {
				n := toInt(strings.TrimPrefix(k, "langfuse.observation.metadata.added_"))
				if n >= toInt(step) {
					t.Errorf("the call with step %v recorded %s, set after it returned", step, k)
				}
			}
		}
		got[fmt.Sprint(step)] = true
	}
	if len(got) != calls {
		t.Errorf("steps recorded: %v; want each of 0..%d once", got, calls-1)
	}
}

func toInt(v any) int {
	var n int
	_, _ = fmt.Sscan(fmt.Sprint(v), &n)
	return n
}

// A stream closed right after its finish chunk is read on for its usage
// after Close returned: its recording ends then, and records the
// Generation as the call began too.
func TestDrainedStreamRecordsTheGenerationAsCalled(t *testing.T) {
	e := newEnv(t)
	reply := fakeark.DefaultReply()
	reply.ChunkDelay = 30 * time.Millisecond // the usage event comes after Close
	e.ark.SetReply(reply)
	md := map[string]any{"step": 0}
	prompt := &litefuse.PromptRef{Name: "triage", Version: 1}
	ctx := litefuse.WithGeneration(context.Background(), litefuse.Generation{Metadata: md, Prompt: prompt})
	s, err := e.client.CreateChatCompletionStream(ctx, seedRequest())
	if err != nil {
		t.Fatal(err)
	}
	recvToFinish(t, s)
	_ = s.Close()
	md["step"] = 1
	md["late"] = true
	prompt.Version = 2
	span := e.spans(t, 1)[0]
	if got := span.Attrs["langfuse.observation.metadata.step"]; got != "0" {
		t.Errorf("metadata step = %v, want 0, as the call began", got)
	}
	if got, ok := span.Attrs["langfuse.observation.metadata.late"]; ok {
		t.Errorf("metadata late = %v, set after the call returned", got)
	}
	if got := span.Attrs["langfuse.observation.prompt.version"]; fmt.Sprint(got) != "1" {
		t.Errorf("prompt version = %v, want 1", got)
	}
	if _, ok := span.Attrs["gen_ai.usage.input_tokens"]; !ok {
		t.Errorf("no usage: the stream was not read on after Close, so this test shows nothing")
	}
}

// ownClient is a client with a pipeline of its own (WithCredentials,
// WithBaseURL), as an application configures one: its calls' ends run
// beside the callers, and Flush waits for them.
func ownClient(t *testing.T, opts ...litefuse.Option) (*litefuse.Client, *fakeark.Server, *otlpreceiver.Receiver) {
	t.Helper()
	ark, recv := fakeark.New(), otlpreceiver.New()
	t.Cleanup(ark.Close)
	t.Cleanup(recv.Close)
	cfg := openai.DefaultConfig(testArkKey)
	cfg.BaseURL = ark.BaseURL()
	c := litefuse.NewClientWithConfig(cfg, append([]litefuse.Option{
		litefuse.WithCredentials(testPublicKey, testSecretKey),
		litefuse.WithBaseURL(recv.BaseURL()),
		litefuse.WithFlushInterval(time.Hour),
		litefuse.WithLogger(discardLogger()),
	}, opts...)...)
	return c, ark, recv
}

// flushOnce flushes every pipeline once and returns the spans that had
// arrived when Flush returned: what a program sees before it exits.
func flushOnce(t *testing.T, recv *otlpreceiver.Receiver) []otlpreceiver.Span {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := litefuse.Flush(ctx); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	return recv.Spans()
}

// Calls to a pipeline of the library's own end beside the callers, in
// batches: one Flush right after them sends every one, each span timed
// within its call and complete.
func TestCallsEndedBesideTheCallerAreFlushed(t *testing.T) {
	c, _, recv := ownClient(t)
	const calls = 50
	type window struct{ before, after time.Time }
	var windows []window
	for i := range calls {
		req := seedRequest()
		req.Messages[1].Content = fmt.Sprintf("question %d", i)
		before := time.Now()
		resp, err := c.CreateChatCompletion(context.Background(), req)
		windows = append(windows, window{before, time.Now()})
		if err != nil || len(resp.Choices) != 1 {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	spans := flushOnce(t, recv)
	if len(spans) != calls {
		t.Fatalf("%d spans when Flush returned, want %d", len(spans), calls)
	}
	for _, s := range spans {
		var i int
		if _, err := fmt.Sscanf(s.Str("langfuse.observation.input")[strings.Index(s.Str("langfuse.observation.input"), "question "):], "question %d", &i); err != nil {
			t.Fatalf("input %s: %v", s.Str("langfuse.observation.input"), err)
		}
		w := windows[i]
		if s.Start.Before(w.before) || s.End.After(w.after) {
			t.Errorf("call %d: span [%v, %v] outside the call [%v, %v]", i, s.Start, s.End, w.before, w.after)
		}
		if !strings.Contains(s.Str("langfuse.observation.output"), "open-source") || s.Attrs["gen_ai.usage.input_tokens"] == nil {
			t.Errorf("call %d recorded without its answer: %v", i, s.Attrs)
		}
	}
}

// A stream closed right after its finish chunk is read on for its usage
// after Close; an error answer closed unread is read after Close. Flush
// waits for both: a program that flushes and exits loses neither
// (review 38, finding 1).
func TestFlushWaitsForBodiesReadAfterClose(t *testing.T) {
	c, ark, recv := ownClient(t)
	reply := fakeark.DefaultReply()
	reply.ChunkDelay = 100 * time.Millisecond // the usage event comes well after Close
	ark.SetReply(reply)
	s, err := c.CreateChatCompletionStream(context.Background(), seedRequest())
	if err != nil {
		t.Fatal(err)
	}
	recvToFinish(t, s)
	_ = s.Close()

	// An error answer closed unread, through a plain HTTP client.
	ark.SetReply(fakeark.Reply{Status: 500, ErrorCode: "InternalServiceError", ErrorMsg: "try again later"})
	hc := &http.Client{Transport: litefuse.NewTransport(nil,
		litefuse.WithCredentials(testPublicKey, testSecretKey), litefuse.WithBaseURL(recv.BaseURL()),
		litefuse.WithFlushInterval(time.Hour), litefuse.WithLogger(discardLogger()))}
	resp, err := hc.Post(ark.BaseURL()+"/chat/completions", "application/json",
		strings.NewReader(`{"model":"`+fakeark.Model+`","messages":[{"role":"user","content":"hi"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()

	spans := flushOnce(t, recv)
	if len(spans) != 2 {
		t.Fatalf("%d spans when Flush returned, want the stream's and the error's", len(spans))
	}
	for _, sp := range spans {
		if sp.Attrs["http.response.status_code"] != nil && fmt.Sprint(sp.Attrs["http.response.status_code"]) == "500" {
			if !strings.Contains(sp.Str("langfuse.observation.status_message"), "try again later") {
				t.Errorf("the error answer was recorded without its message: %v", sp.Attrs)
			}
			continue
		}
		if sp.Attrs["gen_ai.usage.input_tokens"] == nil {
			t.Errorf("the stream was recorded without the usage that came after Close: %v", sp.Attrs)
		}
	}
}

// NewTracerProvider's provider's ForceFlush waits for a call still being
// finished beside its caller, as Flush does: a program holding only the
// provider loses nothing by flushing it.
func TestProviderForceFlushWaitsForLargeCall(t *testing.T) {
	e := newEnv(t)
	req := seedRequest()
	req.Messages[1].Content = strings.Repeat("Litefuse ", 40<<10) // rendered beside the caller
	if _, err := e.client.CreateChatCompletion(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	if err := e.tp.ForceFlush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := len(e.recv.Spans()); n != 1 {
		t.Errorf("%d spans when ForceFlush returned, want 1", n)
	}
}

// WithHeaders copies its map: the options apply when a client first
// records, and a map changed in between (reused for the next tenant) must
// not change what this client sends (review 38, finding 3).
func TestWithHeadersCopiedWhenGiven(t *testing.T) {
	h := map[string]string{"X-Team": "alpha"}
	opt := litefuse.WithHeaders(h)
	h["X-Team"] = "beta"
	c, _, recv := ownClient(t, opt)
	if _, err := c.CreateChatCompletion(context.Background(), seedRequest()); err != nil {
		t.Fatal(err)
	}
	flushOnce(t, recv)
	reqs := recv.Requests()
	if len(reqs) == 0 {
		t.Fatal("nothing exported")
	}
	if got := reqs[0].Header.Get("X-Team"); got != "alpha" {
		t.Errorf("X-Team = %q, want the value given to WithHeaders, alpha", got)
	}
}

// Hiding the injected usage event shortens the stream, so the caller's
// response loses its Content-Length; the base transport's own Header map,
// which a cache or a canned answer may share, is left as it was (review
// 38, finding 6).
func TestHiddenUsageEventLeavesTheBaseHeaderAlone(t *testing.T) {
	e := newEnv(t)
	r := fakeark.DefaultReply()
	r.Model = fakeark.Model
	var body bytes.Buffer
	for _, c := range fakeark.Chunks(r, true) {
		j, _ := json.Marshal(c)
		fmt.Fprintf(&body, "data: %s\n\n", j)
	}
	body.WriteString("data: [DONE]\n\n")
	shared := http.Header{"Content-Type": {"text/event-stream"}, "Content-Length": {strconv.Itoa(body.Len())}}
	hc := &http.Client{Transport: litefuse.NewTransport(roundTripFunc(func(req *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 200, Header: shared, Body: io.NopCloser(bytes.NewReader(body.Bytes())),
			ContentLength: int64(body.Len()), Request: req}, nil
	}), litefuse.WithTracerProvider(e.tp))}
	resp, err := hc.Post("https://ark.example/api/v3/chat/completions", "application/json",
		strings.NewReader(`{"model":"`+fakeark.Model+`","stream":true,"messages":[{"role":"user","content":"hi"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if len(got) >= body.Len() {
		t.Fatalf("read %d bytes of %d: the usage event was not hidden, so this test shows nothing", len(got), body.Len())
	}
	if resp.Header.Get("Content-Length") != "" {
		t.Errorf("the caller's response still says Content-Length %s", resp.Header.Get("Content-Length"))
	}
	if shared.Get("Content-Length") != strconv.Itoa(body.Len()) {
		t.Errorf("the base transport's Header map was written: %v", shared)
	}
}

// With a mask, a call's end is not queued: the mask runs on the caller's
// goroutine before the call returns, once per call, as before the queue.
// A sequential program's mask may keep state without locks (review 39,
// findings 3 and 4; -race shows the race when the end is queued).
func TestMaskedCallsEndOnTheCaller(t *testing.T) {
	var seen []string // no lock: the program makes one call at a time
	mask := func(v any) any {
		seen = append(seen, fmt.Sprint(v))
		return v
	}
	c, _, recv := ownClient(t, litefuse.WithMask(mask))
	for i := range 5 {
		before := len(seen)
		if _, err := c.CreateChatCompletion(context.Background(), seedRequest()); err != nil {
			t.Fatal(err)
		}
		masked := false
		for _, s := range seen[before:] {
			masked = masked || strings.Contains(s, "open-source")
		}
		if !masked {
			t.Fatalf("call %d returned before its output was masked", i)
		}
	}
	if n := len(flushOnce(t, recv)); n != 5 {
		t.Errorf("%d spans, want 5", n)
	}
}

// A stream read to its finish chunk and then cancelled (a deferred cancel
// running before a deferred Close) had its whole answer: it is recorded as
// it is when Close comes first, not as failed with "context canceled"
// (review 40, F3).
func TestStreamCancelledAfterItsFinishIsNotFailed(t *testing.T) {
	e := newEnv(t)
	reply := fakeark.DefaultReply()
	reply.ChunkDelay = 50 * time.Millisecond // the usage event comes after the cancel
	e.ark.SetReply(reply)
	ctx, cancel := context.WithCancel(context.Background())
	s, err := e.client.CreateChatCompletionStream(ctx, seedRequest())
	if err != nil {
		t.Fatal(err)
	}
	recvToFinish(t, s)
	cancel()
	time.Sleep(20 * time.Millisecond) // the context's watch ends the recording
	_ = s.Close()
	span := e.one(t)
	if lvl := span.Str("langfuse.observation.level"); lvl == "ERROR" {
		t.Errorf("a whole answer recorded as failed: %s", span.Str("langfuse.observation.status_message"))
	}
	if !strings.Contains(span.Str("langfuse.observation.output"), "open-source") {
		t.Errorf("output %q", span.Str("langfuse.observation.output"))
	}
}

// recvToFinish reads s up to its finish chunk, as a program that stops
// there does.
func recvToFinish(t *testing.T, s *openai.ChatCompletionStream) {
	t.Helper()
	for {
		c, err := s.Recv()
		if err != nil {
			t.Fatalf("the stream ended before its finish chunk: %v", err)
		}
		if len(c.Choices) > 0 && c.Choices[0].FinishReason != "" {
			return
		}
	}
}
