package wire

import (
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
	"unsafe"
)

// TestPooledHeadNotAliased: a JSON answer's copy goes back to a pool once
// the recording has read it. Nothing the Result carries may be a view of
// it: with every released buffer overwritten before the Result is
// delivered, each Result equals the one recorded without scribbling.
func TestPooledHeadNotAliased(t *testing.T) {
	chatTools := `{"choices":[{"finish_reason":"tool_calls","index":0,"logprobs":null,"message":{"content":"caf\u00e9 \"quoted\" plain","reasoning_content":"Need the weather.","role":"assistant","tool_calls":[{"function":{"arguments":"{\"city\":\"Paris\"}","name":"get_weather"},"id":"call_1","type":"function"}]}}],"created":1732987012,"id":"` + arkID + `","model":"` + arkModel + `","service_tier":"default","object":"chat.completion","usage":` + arkUsage + `}`
	cases := []struct {
		name   string
		route  Route
		status int
		body   string
		opt    Options
	}{
		{"chat", Chat, 200, chatTools, Options{}},
		{"chat-cut-by-budget", Chat, 200, chatTools, Options{MaxValue: 20}},
		{"chat-plain", Chat, 200, `{"id":"x1","model":"m-2","choices":[{"index":0,"message":{"role":"assistant","content":"hello there"},"finish_reason":"stop"}]}`, Options{}},
		{"completion", Completion, 200, `{"id":"cmpl-1","object":"text_completion","model":"m","choices":[{"text":"one","index":0,"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}}`, Options{}},
		{"embeddings", Embedding, 200, `{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.1,-0.2]}],"model":"emb-model","id":"e1","usage":{"prompt_tokens":9,"total_tokens":9}}`, Options{}},
		{"responses", Responses, 200, respObject("completed", ""), Options{}},
		{"responses-failed", Responses, 200, respObject("failed", `,"error":{"code":"server_error","message":"The model failed."}`), Options{}},
		{"responses-incomplete", Responses, 200, respObject("incomplete", `,"incomplete_details":{"reason":"max_output_tokens"}`), Options{}},
		{"error-400", Chat, 400, `{"error":{"message":"bad model name","type":"invalid_request_error","code":"model_not_found"}}`, Options{}},
		{"error-500-text", Chat, 500, `upstream failed`, Options{}},
		{"not-json", Chat, 200, `<html>oops</html>`, Options{}},
	}
	// A Result rendered to text: a copy that shares nothing with it.
	render := func(r *Result) string {
		c := *r
		c.ReadErr, c.Output = nil, nil
		return fmt.Sprintf("%+v output=%q", c, r.Output)
	}
	record := func() []string {
		var out []string
		for _, tc := range cases {
			for _, hint := range []int64{0, int64(len(tc.body))} {
				opt := tc.opt
				opt.SizeHint = hint
				_, res := readThrough(t, &Request{Route: tc.route}, tc.status, jsonHeader, tc.body, 7, opt)
				out = append(out, render(res))
				// Closed without reading to EOF, as go-openai does.
				e := newEnded()
				b := (&Request{Route: tc.route}).WrapBody(tc.status, jsonHeader, nopCloser(tc.body), opt, e.onEnd)
				if _, err := io.ReadFull(b, make([]byte, len(tc.body))); err != nil {
					t.Fatal(err)
				}
				_ = b.Close()
				out = append(out, render(e.wait(t)))
			}
		}
		return out
	}
	want := record()
	released := 0
	releaseHeadHook = func(buf []byte) {
		released++
		for i := range buf {
			buf[i] = 'X'
		}
	}
	defer func() { releaseHeadHook = nil }()
	got := record()
	if released < len(want) {
		t.Fatalf("%d buffers released for %d answers: the pool is not used", released, len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("%s: the Result changed when the released buffer was overwritten:\n got %s\nwant %s", cases[i/4].name, got[i], want[i])
		}
	}
}

// TestPooledHeadBounded: answers larger than the largest pooled class are
// not pooled; the copy still records them.
func TestPooledHeadBounded(t *testing.T) {
	long := strings.Repeat("a", 200<<10)
	body := `{"id":"x","model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"` + long + `"},"finish_reason":"stop"}]}`
	pooled := 0
	releaseHeadHook = func([]byte) { pooled++ }
	defer func() { releaseHeadHook = nil }()
	_, res := readThrough(t, &Request{Route: Chat}, 200, jsonHeader, body, 32<<10, Options{SizeHint: int64(len(body))})
	if !strings.Contains(string(res.Output), long) || pooled != 0 {
		t.Fatalf("pooled %d; output %d bytes", pooled, len(res.Output))
	}
}

func TestCleanStringCommon(t *testing.T) {
	for _, s := range []string{"assistant", "stop", "tool_calls", "default", "other", "caf\u00e9"} {
		if got := cleanString([]byte(s), false, 100); got != s {
			t.Errorf("%q: %q", s, got)
		}
	}
	if got := cleanString([]byte("assistant"), false, 4); got != "assi" {
		t.Errorf("cut: %q", got)
	}
	if n := testing.AllocsPerRun(100, func() { _ = cleanString([]byte("tool_calls"), false, 100) }); n != 0 {
		t.Errorf("%v allocations for a common value", n)
	}
}

// TestParseRequestCopies: the transport reads the request body into a
// pooled buffer and gives it back after ParseRequest; nothing the Request
// keeps may be a view of the body.
func TestParseRequestCopies(t *testing.T) {
	bodies := []struct {
		route Route
		body  string
	}{
		{Chat, `{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"temperature":0.5,"n":2,"stream":true}`},
		{Chat, `{"model":"m","messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":"auto"}`},
		{Completion, `{"model":"m","prompt":"once upon","max_tokens":5}`},
		{Embedding, `{"model":"emb","input":["a","b"]}`},
		{Responses, `{"model":"m","input":"hi","instructions":"be brief","stream":true}`},
	}
	render := func(r *Request) string { return fmt.Sprintf("%+v %q %q", *r, r.Input, r.Parameters) }
	for _, tc := range bodies {
		for _, opt := range []Options{{}, {InjectUsage: true}, {MaxValue: 10}} {
			buf := []byte(tc.body)
			req, send := ParseRequest(tc.route, buf, opt)
			want, wantSend := render(req), string(send)
			for i := range buf {
				buf[i] = 'X'
			}
			if got := render(req); got != want || string(send) != wantSend {
				t.Errorf("%s: the Request changed when the body was overwritten:\n got %s\nwant %s", tc.body, got, want)
			}
		}
	}
}

// TestWholeAnswerArena: a whole answer's values share one buffer; a value
// added to twice (a choice with both "message" content and "text"), or
// shortened by unescaping, never writes into the next value's share.
func TestWholeAnswerArena(t *testing.T) {
	body := `{"choices":[{"index":0,"message":{"role":"assistant","content":"a\"b\u00e9c","reasoning_content":"think \"hard\"","tool_calls":[{"id":"c1","type":"function","function":{"name":"f1","arguments":"{\"x\":1}"}},{"id":"c2","type":"function","function":{"name":"f2","arguments":"{}"}}]},"text":"+more","finish_reason":"stop"}]}`
	_, res := readThrough(t, &Request{Route: Chat}, 200, jsonHeader, body, 4096, Options{})
	want := `{"role":"assistant","content":"a\"béc+more","reasoning_content":"think \"hard\"","tool_calls":[{"id":"c1","type":"function","function":{"name":"f1","arguments":"{\"x\":1}"}},{"id":"c2","type":"function","function":{"name":"f2","arguments":"{}"}}]}`
	if string(res.Output) != want {
		t.Errorf("Output\n%s\nwant\n%s", res.Output, want)
	}
}

// TestPooledStreamBuffersNotAliased: a filtered stream's read buffer and
// framer buffers go back to a pool at Close. Nothing the Result carries
// may be a view of them: overwritten after Close, the Result (and the
// caller's bytes) are unchanged; the next stream, on the reused buffers,
// records and passes on the same again.
func TestPooledStreamBuffersNotAliased(t *testing.T) {
	opt := Options{InjectUsage: true}
	req := streamReq(t, "", opt)
	body := sse(arkStream(true)...) + "data: [DONE]\n\n"
	want := sse(arkStream(false)...) + "data: [DONE]\n\n"
	render := func(r *Result) string {
		c := *r
		c.ReadErr, c.Output = nil, nil
		c.FirstToken = time.Time{} // the clock's, per stream
		return fmt.Sprintf("%+v output=%q", c, r.Output)
	}
	var first string
	for round := range 3 {
		for _, step := range []int{7, 64, 4096} { // events cut between reads (line, data and held bytes) and whole
			e := newEnded()
			b := req.WrapBody(200, sseHeader, io.NopCloser(&stepReader{data: []byte(body), step: step}), opt, e.onEnd)
			got, err := io.ReadAll(b)
			if err != nil {
				t.Fatal(err)
			}
			if err := b.Close(); err != nil {
				t.Fatal(err)
			}
			res := e.wait(t)
			s := render(res)
			var taken []*filterBufs
			for range 4 {
				f, ok := filterPool.Get().(*filterBufs)
				if !ok {
					break
				}
				for _, p := range [][]byte{f.buf, f.out[:cap(f.out)], f.line[:cap(f.line)], f.data[:cap(f.data)], f.held[:cap(f.held)]} {
					for i := range p {
						p[i] = 'X'
					}
				}
				taken = append(taken, f)
			}
			for _, f := range taken {
				filterPool.Put(f)
			}
			if after := render(res); after != s {
				t.Fatalf("round %d, %d-byte reads: the Result changed with the pooled buffers:\n%s\n%s", round, step, s, after)
			}
			if string(got) != want {
				t.Fatalf("round %d, %d-byte reads: the caller read %q", round, step, got)
			}
			if first == "" {
				first = s
			} else if s != first {
				t.Fatalf("round %d, %d-byte reads: %s, first %s", round, step, s, first)
			}
		}
	}
	if !strings.Contains(first, "Litefuse is") {
		t.Fatalf("nothing recorded: %s", first)
	}
}

// TestPooledReadingNotAliased: a JSON answer is read with a pooled
// reading whose arena (the values' bytes) and scratch buffer the next
// answer reuses. Nothing a Result carries may be a view of them: with
// both overwritten as they go back to the pool, before the Result is
// delivered, every Result equals the one recorded without scribbling,
// answer after answer.
func TestPooledReadingNotAliased(t *testing.T) {
	bodies := []struct {
		route Route
		body  string
		opt   Options
	}{
		{Chat, `{"choices":[{"finish_reason":"tool_calls","index":0,"message":{"content":"caf\u00e9 \"quoted\" plain","reasoning_content":"Need the weather.","refusal":"no","role":"assistant","tool_calls":[{"function":{"arguments":"{\"city\":\"Paris\"}","name":"get_weather"},"id":"call_1","type":"function"}],"function_call":{"name":"f","arguments":"{}"}}}],"id":"` + arkID + `","model":"` + arkModel + `","service_tier":"default","usage":` + arkUsage + `}`, Options{}},
		{Chat, `{"id":"x1","model":"m-2","choices":[{"index":1,"message":{"role":"assistant","content":"second"},"finish_reason":"length"},{"index":0,"message":{"role":"assistant","content":"first"},"finish_reason":"stop"}]}`, Options{}},
		{Chat, `{"id":"x\u00e92","model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"cut by the budget, long enough"},"finish_reason":"stop"}]}`, Options{MaxValue: 12}},
		{Completion, `{"id":"cmpl-1","object":"text_completion","model":"m","choices":[{"text":"one","index":0,"finish_reason":"stop"}]}`, Options{}},
		{Completion, `{"id":"cmpl-2","model":"m","choices":[{"text":"a","index":0},{"text":"b","index":1}]}`, Options{}},
	}
	render := func(r *Result) string {
		c := *r
		c.ReadErr, c.Output = nil, nil
		return fmt.Sprintf("%+v output=%q", c, r.Output)
	}
	record := func() []string {
		var out []string
		for range 3 {
			for _, tc := range bodies {
				_, res := readThrough(t, &Request{Route: tc.route, Model: "m"}, 200, jsonHeader, tc.body, 7, tc.opt)
				out = append(out, render(res))
			}
		}
		return out
	}
	want := record()
	released := 0
	releaseReadingHook = func(arena, scratch []byte) {
		released++
		for i := range arena {
			arena[i] = 'X'
		}
		for i := range scratch {
			scratch[i] = 'Y'
		}
	}
	defer func() { releaseReadingHook = nil }()
	got := record()
	if released < len(want) {
		t.Fatalf("%d readings released for %d answers: the pool is not used", released, len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("answer %d: the Result changed when the released reading was overwritten:\n got %s\nwant %s", i, got[i], want[i])
		}
	}
}

// TestIDSharesOutputBuffer: a whole chat answer's id is copied into the
// output's allocation, before the output: growing the output (as a
// caller appending to it would) never reaches the id.
func TestIDSharesOutputBuffer(t *testing.T) {
	body := `{"id":"chatcmpl-123","model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"hello"},"finish_reason":"stop"}]}`
	_, res := readThrough(t, &Request{Route: Chat}, 200, jsonHeader, body, 1<<10, Options{})
	if res.ID != "chatcmpl-123" || string(res.Output) != `{"role":"assistant","content":"hello"}` {
		t.Fatalf("id %q output %s", res.ID, res.Output)
	}
	out := res.Output
	for range 2 * cap(out) {
		out = append(out, 'Z')
	}
	if res.ID != "chatcmpl-123" {
		t.Fatalf("appending to the output changed the id: %q", res.ID)
	}
	// An escaped or empty id, and one with no choices, are kept as before.
	for body, id := range map[string]string{
		`{"id":"a\/b","choices":[{"index":0,"message":{"content":"x"}}]}`: "a/b",
		`{"id":"","choices":[{"index":0,"message":{"content":"x"}}]}`:     "",
		`{"id":"lone","choices":[]}`:                                      "lone",
	} {
		_, res := readThrough(t, &Request{Route: Chat}, 200, jsonHeader, body, 1<<10, Options{})
		if res.ID != id {
			t.Errorf("%s: id %q, want %q", body, res.ID, id)
		}
	}
}

// TestModelStringShared: a request naming the model the last one named
// shares its string (no allocation); any other, escaped, invalid or
// longer than the bound is cleaned as before.
func TestModelStringShared(t *testing.T) {
	first := modelString([]byte("gpt-4o-mini"), false, 100)
	again := modelString([]byte("gpt-4o-mini"), false, 100)
	if first != "gpt-4o-mini" || unsafe.StringData(first) != unsafe.StringData(again) {
		t.Fatalf("%q %q: not shared", first, again)
	}
	if n := testing.AllocsPerRun(100, func() { _ = modelString([]byte("gpt-4o-mini"), false, 100) }); n != 0 {
		t.Errorf("%v allocations for the same model", n)
	}
	for _, tc := range []struct {
		raw   string
		esc   bool
		limit int
		want  string
	}{
		{"gpt-4o-mini", false, 4, "gpt-"},          // the last one, but longer than this bound
		{`caf\u00e9`, true, 100, "caf\u00e9"},      // escaped
		{"bad\xff", false, 100, "bad\uFFFD"},       // invalid UTF-8: repaired, not shared
		{"bad\xff", false, 100, "bad\uFFFD"},       // and again
		{"other-model", false, 100, "other-model"}, // a new one
	} {
		if got := modelString([]byte(tc.raw), tc.esc, tc.limit); got != tc.want {
			t.Errorf("modelString(%q, %v, %d) = %q, want %q", tc.raw, tc.esc, tc.limit, got, tc.want)
		}
	}
}

// TestWrapBodyIn: a body wrapped in the caller's store records as one
// wrapped on its own, and tells the caller's Ender.
func TestWrapBodyIn(t *testing.T) {
	body := `{"id":"x1","model":"m-2","choices":[{"index":0,"message":{"role":"assistant","content":"hello there"},"finish_reason":"stop"}]}`
	_, want := readThrough(t, &Request{Route: Chat}, 200, jsonHeader, body, 7, Options{})
	var st BodyStore
	e := newEnded()
	b := (&Request{Route: Chat}).WrapBodyIn(&st, 200, jsonHeader, nopCloser(body), Options{}, endFunc(e.onEnd))
	if got, err := io.ReadAll(b); err != nil || string(got) != body {
		t.Fatalf("read %q, %v", got, err)
	}
	_ = b.Close()
	if got := e.wait(t); fmt.Sprintf("%+v %s", *got, got.Output) != fmt.Sprintf("%+v %s", *want, want.Output) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	if _, err := b.Read(make([]byte, 1)); err != errClosed {
		t.Fatalf("Read after Close: %v", err)
	}
}

// FuzzPooledReadingIndependent: a JSON answer records the same Result
// whatever answer the pooled reading (and its arena) served before: A,
// then B, then A again, with B's reading and arena scribbled on release.
func FuzzPooledReadingIndependent(f *testing.F) {
	f.Add(`{"id":"x1","model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"hello"},"finish_reason":"stop"}]}`,
		`{"id":"y\u00e9","choices":[{"index":1,"message":{"content":"a longer answer \"quoted\"","tool_calls":[{"id":"c","function":{"name":"f","arguments":"{}"}}]}},{"index":0,"message":{"content":"b"}}],"usage":{"prompt_tokens":3}}`, 0, true)
	f.Add(`{"choices":[{"text":"one"}],"id":"cmpl"}`, `{"choices":[{"text":"two","index":3}],"id":"c2","model":"m2"}`, 5, false)
	f.Fuzz(func(t *testing.T, a, b string, maxValue int, chat bool) {
		route := Completion
		if chat {
			route = Chat
		}
		opt := Options{MaxValue: maxValue % 4096}
		render := func(body string) string {
			e := newEnded()
			w := (&Request{Route: route, Model: "m"}).WrapBody(200, jsonHeader, nopCloser(body), opt, e.onEnd)
			_, _ = io.Copy(io.Discard, w)
			_ = w.Close()
			r := e.wait(t)
			c := *r
			c.ReadErr, c.Output = nil, nil
			return fmt.Sprintf("%+v output=%q", c, r.Output)
		}
		first := render(a)
		releaseReadingHook = func(arena, scratch []byte) {
			for i := range arena {
				arena[i] = 'X'
			}
			for i := range scratch {
				scratch[i] = 'Y'
			}
		}
		defer func() { releaseReadingHook = nil }()
		_ = render(b)
		if again := render(a); again != first {
			t.Fatalf("the same answer recorded differently after another:\n first %s\n again %s", first, again)
		}
	})
}
