package wire

import (
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"
)

var clock = func() time.Time { return time.Date(2026, 11, 28, 6, 0, 0, 0, time.UTC) }

func TestStreamArkReasoningInjectedUsageHidden(t *testing.T) {
	opt := Options{InjectUsage: true, Now: clock}
	req := streamReq(t, "", opt)
	if !req.UsageInjected {
		t.Fatal("usage not injected")
	}
	server := sse(arkStream(true)...)
	want := sse(arkStream(false)...) // what the caller would get without the library
	for _, n := range []int{1, 7, 100, 32 << 10} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			got, res := readThrough(t, req, 200, sseHeader, server, n, opt)
			if string(got) != want {
				t.Fatalf("caller read\n%q\nwant\n%q", got, want)
			}
			wantOut := `{"role":"assistant","content":"Litefuse is an LLM observability platform — \"open\".","reasoning_content":"The user asks what Litefuse is."}`
			if string(res.Output) != wantOut {
				t.Errorf("Output\n%s\nwant\n%s", res.Output, wantOut)
			}
			if res.Usage != arkUsageWant {
				t.Errorf("Usage %+v", res.Usage)
			}
			if res.Model != arkModel || res.ID != arkID || res.ServiceTier != "default" || res.Status != 200 {
				t.Errorf("model %q id %q tier %q status %d", res.Model, res.ID, res.ServiceTier, res.Status)
			}
			if !reflect.DeepEqual(res.FinishReasons, []string{"stop"}) || res.CutShort || res.ReadErr != nil {
				t.Errorf("finish %v cut %v err %v", res.FinishReasons, res.CutShort, res.ReadErr)
			}
			if !res.FirstToken.Equal(clock()) {
				t.Errorf("FirstToken %v", res.FirstToken)
			}
		})
	}
}

func TestStreamUsageAskedByCallerIsNotHidden(t *testing.T) {
	opt := Options{InjectUsage: true}
	req := streamReq(t, `,"stream_options":{"include_usage":true}`, opt)
	if req.UsageInjected {
		t.Fatal("usage injected although the caller asked for it")
	}
	server := sse(arkStream(true)...)
	got, res := readThrough(t, req, 200, sseHeader, server, 512, opt)
	if string(got) != server {
		t.Fatal("bytes differ")
	}
	if res.Usage != arkUsageWant {
		t.Errorf("Usage %+v", res.Usage)
	}
}

func TestStreamUsageOnContentChunkIsNotHidden(t *testing.T) {
	opt := Options{InjectUsage: true}
	req := streamReq(t, "", opt)
	last := strings.Replace(arkFinish(0, "stop"), `"usage":null`, `"usage":`+arkUsage, 1)
	server := sse(arkDelta(0, `"content":"hi"`), last)
	got, res := readThrough(t, req, 200, sseHeader, server, 64, opt)
	if string(got) != server {
		t.Fatalf("caller read %q", got)
	}
	if res.Usage != arkUsageWant {
		t.Errorf("Usage %+v", res.Usage)
	}
}

func TestStreamOnlyOneUsageEventHidden(t *testing.T) {
	opt := Options{InjectUsage: true}
	req := streamReq(t, "", opt)
	server := sse(arkDelta(0, `"content":"hi"`), arkFinish(0, "stop"), arkUsageChunk(), arkUsageChunk())
	want := sse(arkDelta(0, `"content":"hi"`), arkFinish(0, "stop"), arkUsageChunk())
	got, _ := readThrough(t, req, 200, sseHeader, server, 3, opt)
	if string(got) != want {
		t.Fatalf("caller read %q", got)
	}
}

func TestStreamTwoChoicesInterleaved(t *testing.T) {
	var ev []string
	var w0, w1 strings.Builder
	for i := range 300 {
		a, b := fmt.Sprintf("w%d ", i), fmt.Sprintf("v%d ", i)
		w0.WriteString(a)
		w1.WriteString(b)
		ev = append(ev, arkChunk(fmt.Sprintf(`[{"delta":{"content":%q},"index":0},{"delta":{"content":%q},"index":1}]`, a, "")),
			arkDelta(1, fmt.Sprintf(`"content":%q`, b)))
	}
	ev = append(ev, arkFinish(1, "length"), arkFinish(0, "stop"))
	req := streamReq(t, `,"n":2`, Options{})
	_, res := readThrough(t, req, 200, sseHeader, sse(ev...), 4096, Options{})
	want := `[{"role":"assistant","content":"` + w0.String() + `"},{"role":"assistant","content":"` + w1.String() + `"}]`
	if string(res.Output) != want {
		t.Fatalf("Output %s", res.Output)
	}
	if !reflect.DeepEqual(res.FinishReasons, []string{"stop", "length"}) {
		t.Errorf("finish %v", res.FinishReasons)
	}
}

func TestStreamToolCallsInterleaved(t *testing.T) {
	tc := func(idx int, fields string) string {
		return arkChunk(fmt.Sprintf(`[{"delta":{"content":"","tool_calls":[{"index":%d,%s}]},"index":0}]`, idx, fields))
	}
	ev := []string{
		tc(0, `"id":"call_a","type":"function","function":{"name":"get_weather","arguments":""}`),
		tc(1, `"id":"call_b","type":"function","function":{"name":"get_time","arguments":""}`),
		tc(0, `"function":{"arguments":"{\"city\":"}`),
		tc(1, `"function":{"arguments":"{\"tz\":"}`),
		tc(0, `"function":{"arguments":"\"Paris\"}"}`),
		tc(1, `"function":{"arguments":"\"CET\"}"}`),
		arkFinish(0, "tool_calls"),
	}
	_, res := readThrough(t, streamReq(t, "", Options{}), 200, sseHeader, sse(ev...), 50, Options{})
	want := `{"role":"assistant","content":"","tool_calls":[` +
		`{"id":"call_a","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}},` +
		`{"id":"call_b","type":"function","function":{"name":"get_time","arguments":"{\"tz\":\"CET\"}"}}]}`
	if string(res.Output) != want {
		t.Fatalf("Output\n%s\nwant\n%s", res.Output, want)
	}
}

func TestStreamThousandToolCalls(t *testing.T) {
	var ev []string
	for i := range 1000 {
		ev = append(ev, arkChunk(fmt.Sprintf(`[{"delta":{"tool_calls":[{"index":%d,"id":"call_%d","type":"function","function":{"name":"f","arguments":"{\"i\":%d}"}}]},"index":0}]`, i, i, i)))
	}
	ev = append(ev, arkFinish(0, "tool_calls"))
	_, res := readThrough(t, streamReq(t, "", Options{}), 200, sseHeader, sse(ev...), 4096, Options{})
	var msg struct {
		ToolCalls []struct {
			ID       string
			Function struct{ Arguments string }
		} `json:"tool_calls"`
	}
	if err := json.Unmarshal(res.Output, &msg); err != nil {
		t.Fatal(err)
	}
	if len(msg.ToolCalls) != 1000 || res.Omitted != 0 {
		t.Fatalf("%d tool calls recorded, %d bytes omitted", len(msg.ToolCalls), res.Omitted)
	}
	for i, c := range msg.ToolCalls {
		if c.ID != fmt.Sprintf("call_%d", i) || c.Function.Arguments != fmt.Sprintf(`{"i":%d}`, i) {
			t.Fatalf("tool call %d: %+v", i, c)
		}
	}
}

func TestStreamValuesCutAtMaxValueStayValidJSON(t *testing.T) {
	opt := Options{MaxValue: 100}
	var ev []string
	for range 50 {
		ev = append(ev, arkDelta(0, `"content":"é\"\u0000x"`))
	}
	ev = append(ev, arkFinish(0, "stop"))
	_, res := readThrough(t, streamReq(t, "", opt), 200, sseHeader, sse(ev...), 4096, opt)
	var msg map[string]any
	if err := json.Unmarshal(res.Output, &msg); err != nil {
		t.Fatalf("Output not JSON: %v: %s", err, res.Output)
	}
	kept := len(msg["content"].(string))
	if kept > 100 || res.Omitted == 0 || int64(kept)+res.Omitted != 50*5 || len(res.FinishReasons) != 1 {
		t.Errorf("kept %d, omitted %d", kept, res.Omitted)
	}
}

func TestStreamHostile(t *testing.T) {
	cases := map[string]string{
		"garbage event":     "data: {not json\n\n" + sse(arkDelta(0, `"content":"ok"`), arkFinish(0, "stop")),
		"invalid utf-8":     sse(arkDelta(0, "\"content\":\"a\xff\xfeb\""), arkFinish(0, "stop")),
		"crlf and comments": strings.ReplaceAll(": keep-alive\n\n"+sse(arkDelta(0, `"content":"ok"`), arkFinish(0, "stop")), "\n", "\r\n"),
		"no newline ever":   "data: " + strings.Repeat("x", 3<<20),
		"huge event":        "data: {\"choices\":[{\"delta\":{\"content\":\"" + strings.Repeat("y", 3<<20) + "\"}}]}\n\n" + sse(arkFinish(0, "stop")),
		"error event":       sse(`{"error":{"code":"InternalServiceError","message":"The service encountered an unexpected internal error.","param":"","type":"InternalServerError"}}`),
		"multi-line data":   "data: {\"choices\":[{\"index\":0,\ndata: \"delta\":{\"content\":\"ml\"}}]}\n\n",
		"deep nesting":      "data: " + strings.Repeat("[", 20000) + "\n\n",
		"negative index":    sse(arkChunk(`[{"delta":{"content":"x","tool_calls":[{"index":-1}]},"index":-5}]`)),
	}
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			opt := Options{InjectUsage: true, MaxValue: 1 << 10}
			got, res := readThrough(t, streamReq(t, "", opt), 200, sseHeader, body, 4096, opt)
			if string(got) != body {
				t.Fatal("bytes differ")
			}
			if res.Output != nil && !json.Valid(res.Output) {
				t.Fatalf("invalid Output %q", res.Output)
			}
			switch name {
			case "invalid utf-8":
				if string(res.Output) != `{"role":"assistant","content":"a\ufffd\ufffdb"}` {
					t.Errorf("Output %s", res.Output)
				}
			case "error event":
				if res.ErrCode != "InternalServiceError" || res.ErrType != "InternalServerError" || !strings.HasPrefix(res.ErrMessage, "The service") {
					t.Errorf("error %q %q %q", res.ErrCode, res.ErrType, res.ErrMessage)
				}
			case "multi-line data":
				if string(res.Output) != `{"role":"assistant","content":"ml"}` {
					t.Errorf("Output %s", res.Output)
				}
			case "garbage event", "crlf and comments":
				if string(res.Output) != `{"role":"assistant","content":"ok"}` {
					t.Errorf("Output %s", res.Output)
				}
			}
		})
	}
}

func TestStreamCompletionTwoChoices(t *testing.T) {
	opt := Options{InjectUsage: true}
	req, send := ParseRequest(Completion, []byte(`{"model":"m","prompt":"Say","n":2,"stream":true}`), opt)
	if send == nil || !req.UsageInjected {
		t.Fatal("usage not injected on a completion stream")
	}
	c := func(choices string) string {
		return `{"id":"cmpl-1","object":"text_completion","created":1,"model":"m","choices":` + choices + `}`
	}
	events := []string{
		c(`[{"text":"He","index":0,"logprobs":null,"finish_reason":null}]`),
		c(`[{"text":"Hi","index":1,"logprobs":null,"finish_reason":null}]`),
		c(`[{"text":"llo","index":0,"logprobs":null,"finish_reason":"stop"}]`),
		c(`[{"text":"!","index":1,"logprobs":null,"finish_reason":"stop"}]`),
	}
	usage := `{"id":"cmpl-1","object":"text_completion","created":1,"model":"m","choices":[],"usage":{"prompt_tokens":1,"completion_tokens":4,"total_tokens":5}}`
	got, res := readThrough(t, req, 200, sseHeader, sse(append(events, usage)...), 64, opt)
	if string(got) != sse(events...) {
		t.Fatalf("caller read %q", got)
	}
	if string(res.Output) != `["Hello","Hi!"]` || res.Usage.Total != 5 || len(res.FinishReasons) != 2 {
		t.Errorf("%+v %s", res, res.Output)
	}
}

// readSteps wraps body for req and reads it all, the server's bytes
// arriving step bytes at a time (so line ends are cut between feeds).
func readSteps(t *testing.T, req *Request, body string, step int, opt Options) ([]byte, *Result) {
	t.Helper()
	e := newEnded()
	b := req.WrapBody(200, sseHeader, io.NopCloser(&stepReader{data: []byte(body), step: step}), opt, e.onEnd)
	got, err := io.ReadAll(b)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	res := e.wait(t)
	if err := b.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	e.none(t)
	return got, res
}

// Servers that end each event with a single \n (no blank lines), or whose
// lines end in a lone \r: the injected usage event is dropped, byte for
// byte, and the answer is recorded whole, not as malformed.
func TestStreamLineEndsAndNoBlankLines(t *testing.T) {
	wantOut := `{"role":"assistant","content":"Litefuse is an LLM observability platform — \"open\".","reasoning_content":"The user asks what Litefuse is."}`
	for _, sep := range []string{"\n", "\r", "\r\n", "\n\n", "\r\r", "\r\n\r\n"} {
		server := sseSep(sep, arkStream(true)...)
		for _, asked := range []bool{false, true} {
			opt := Options{InjectUsage: true}
			req := streamReq(t, "", opt)
			want := sseSep(sep, arkStream(false)...)
			if asked {
				req = streamReq(t, `,"stream_options":{"include_usage":true}`, opt)
				want = server
			}
			for _, step := range []int{1, 2, 3, 7, 64, 4096} {
				got, res := readSteps(t, req, server, step, opt)
				if string(got) != want {
					t.Fatalf("%q asked %v, %d-byte feeds: caller read\n%q\nwant\n%q", sep, asked, step, got, want)
				}
				if string(res.Output) != wantOut || res.Usage != arkUsageWant || res.Malformed != "" ||
					!reflect.DeepEqual(res.FinishReasons, []string{"stop"}) || res.CutShort {
					t.Fatalf("%q asked %v, %d-byte feeds: %+v\n%s", sep, asked, step, res, res.Output)
				}
			}
		}
	}
}

// An event whose data line is whole is recorded, and released to the
// caller, before the next line arrives: the reader blocks after it.
func TestStreamWholeLineNotHeldForTheNextLine(t *testing.T) {
	line := "data: " + arkDelta(0, `"content":"Hi"`) + "\n"
	for _, extra := range []string{"", `,"stream_options":{"include_usage":true}`} {
		opt := Options{InjectUsage: true, Now: clock}
		req := streamReq(t, extra, opt)
		e := newEnded()
		raw := &blockingBody{r: strings.NewReader(line), stop: make(chan struct{})}
		b := req.WrapBody(200, sseHeader, raw, opt, e.onEnd)
		read := make(chan string, 1)
		go func() {
			buf := make([]byte, 4<<10)
			n, _ := b.Read(buf)
			read <- string(buf[:n])
		}()
		select {
		case got := <-read:
			if got != line {
				t.Errorf("UsageInjected %v: first Read %q", req.UsageInjected, got)
			}
		case <-time.After(5 * time.Second):
			b.Close()
			t.Fatalf("UsageInjected %v: the first chunk waits for the next line", req.UsageInjected)
		}
		b.Abort(nil) // the server sent nothing more: what was recorded so far
		res := e.wait(t)
		if string(res.Output) != `{"role":"assistant","content":"Hi"}` || !res.FirstToken.Equal(clock()) {
			t.Errorf("UsageInjected %v: recorded before the next line: %+v %s", req.UsageInjected, res, res.Output)
		}
		b.Close()
	}
}

// Pretty-printed JSON over several data lines is still one event, read at
// the blank line; a pretty-printed usage event is still dropped.
func TestStreamPrettyPrintedEvent(t *testing.T) {
	pretty := func(sep string, members ...string) string {
		s := "data: {" + sep
		for i, m := range members {
			if i > 0 {
				m = "," + m
			}
			s += "data:   " + m + sep
		}
		return s + "data: }" + sep + sep
	}
	for _, sep := range []string{"\n", "\r", "\r\n"} {
		content := pretty(sep, `"choices": [{"index": 0, "delta": {"content": "pp"}}]`)
		finish := pretty(sep, `"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]`)
		usage := pretty(sep, `"choices": []`, `"usage": `+arkUsage)
		done := "data: [DONE]" + sep + sep
		opt := Options{InjectUsage: true}
		for _, step := range []int{1, 5, 4096} {
			got, res := readSteps(t, streamReq(t, "", opt), content+finish+usage+done, step, opt)
			if string(got) != content+finish+done {
				t.Fatalf("%q, %d-byte feeds: caller read %q", sep, step, got)
			}
			if string(res.Output) != `{"role":"assistant","content":"pp"}` || res.Usage != arkUsageWant || res.Malformed != "" {
				t.Fatalf("%q, %d-byte feeds: %+v %s", sep, step, res, res.Output)
			}
		}
	}
}

// TestStreamEventPastTheBoundCounted: a chunk longer than the framer's
// bound, with any line ends and feed sizes: the caller's bytes are the
// server's; what was recorded is a prefix of what was sent, as much as the
// bound allows (the beginning of the huge chunk's content), the rest is
// counted in Omitted, and the events after it (finish, usage) are still
// read, also when the server sends no blank lines.
func TestStreamEventPastTheBoundCounted(t *testing.T) {
	opt := Options{InjectUsage: true, MaxValue: 1 << 10}
	huge := strings.Repeat("m", 4<<20) // past the framer's 2×MaxValue+1 MiB
	events := []string{arkDelta(0, `"role":"assistant","content":"start "`), arkDelta(0, `"content":"`+huge+`"`),
		arkDelta(0, `"content":" end"`), arkFinish(0, "stop"), arkUsageChunk()}
	for _, sep := range []string{"\n\n", "\n", "\r\n"} {
		body := sseSep(sep, events...)
		for _, step := range []int{4096, 1 << 20, 8 << 20} {
			req := streamReq(t, `,"stream_options":{"include_usage":true}`, opt)
			got, res := readSteps(t, req, body, step, opt)
			if string(got) != body {
				t.Fatalf("%q, %d-byte feeds: the caller's bytes differ", sep, step)
			}
			var out struct{ Content string }
			if err := json.Unmarshal(res.Output, &out); err != nil {
				t.Fatalf("%q, %d-byte feeds: output %q: %v", sep, step, res.Output, err)
			}
			full := "start " + huge + " end"
			if !strings.HasPrefix(full, out.Content) || res.Omitted+int64(len(out.Content)) < int64(len(full)) || len(out.Content) < 1<<10-128 {
				t.Errorf("%q, %d-byte feeds: kept %q, omitted %d of %d", sep, step, out.Content, res.Omitted, len(full))
			}
			if !reflect.DeepEqual(res.FinishReasons, []string{"stop"}) || res.Usage != arkUsageWant || res.Malformed != "" {
				t.Errorf("%q, %d-byte feeds: finish %v usage %+v malformed %q", sep, step, res.FinishReasons, res.Usage, res.Malformed)
			}
		}
	}
}

// TestStreamHugeCommentIsNotOutput: a comment line past the bound is
// passed on, and neither counted as output nor cuts the output after it.
func TestStreamHugeCommentIsNotOutput(t *testing.T) {
	opt := Options{InjectUsage: true, MaxValue: 1 << 10}
	body := "data: " + arkDelta(0, `"role":"assistant","content":"start "`) + "\n\n: " + strings.Repeat("k", 4<<20) + "\n\n" +
		sse(arkDelta(0, `"content":"end"`), arkFinish(0, "stop"))
	got, res := readSteps(t, streamReq(t, `,"stream_options":{"include_usage":true}`, opt), body, 4096, opt)
	if string(got) != body {
		t.Fatal("the caller's bytes differ")
	}
	if string(res.Output) != `{"role":"assistant","content":"start end"}` || res.Omitted != 0 {
		t.Errorf("output %s, omitted %d", res.Output, res.Omitted)
	}
}
