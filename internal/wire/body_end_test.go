package wire

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// blockingBody yields its bytes, then blocks like a connection the server
// keeps open after [DONE], until closed.
type blockingBody struct {
	r    io.Reader
	stop chan struct{}
}

func (b *blockingBody) Read(p []byte) (int, error) {
	if n, _ := b.r.Read(p); n > 0 {
		return n, nil
	}
	<-b.stop
	return 0, io.EOF
}

func (b *blockingBody) Close() error { close(b.stop); return nil }

// A client that stops reading at [DONE] and never closes still gets its
// call recorded: the answer ends at [DONE], not at the body's EOF.
func TestStreamEndsAtDoneWithoutEOFOrClose(t *testing.T) {
	req := streamReq(t, `,"stream_options":{"include_usage":true}`, Options{})
	e := newEnded()
	raw := &blockingBody{r: strings.NewReader(sse(append(arkStream(false), arkUsageChunk())...)), stop: make(chan struct{})}
	b := req.WrapBody(200, sseHeader, raw, Options{}, e.onEnd)
	defer b.Close()
	buf := make([]byte, 64<<10)
	var got strings.Builder
	for !strings.Contains(got.String(), "[DONE]") {
		n, err := b.Read(buf)
		got.WriteString(string(buf[:n]))
		if err != nil {
			t.Fatal(err)
		}
	}
	res := e.wait(t)
	if res.CutShort || !res.Usage.Present || len(res.FinishReasons) != 1 {
		t.Errorf("result at [DONE] = %+v", res)
	}
}

func TestMalformedAnswersRecorded(t *testing.T) {
	chat, _ := ParseRequest(Chat, []byte(`{"model":"m","messages":[]}`), Options{})
	_, res := readThrough(t, chat, 200, http.Header{"Content-Type": {"application/json"}}, `<html>502 Bad Gateway</html>`, 512, Options{})
	if res.Malformed == "" {
		t.Errorf("a 200 body that is not JSON: %+v", res)
	}
	_, res = readThrough(t, chat, 200, http.Header{"Content-Type": {"application/json"}}, `{"id":"r","choices":[]}`, 512, Options{})
	if res.Malformed != "" {
		t.Errorf("valid JSON marked malformed: %+v", res)
	}
	stream := streamReq(t, "", Options{})
	_, res = readThrough(t, stream, 200, sseHeader, sse(arkDelta(0, `"content":"a"`), `{not json}`), 512, Options{})
	if res.Malformed == "" || !strings.Contains(string(res.Output), `"a"`) {
		t.Errorf("an event that is not JSON: %+v", res)
	}
	// A chunk the fast scanner refuses but that is valid JSON is not an error.
	_, res = readThrough(t, stream, 200, sseHeader, sse(`{"choices":[{"index":0,"delta":{"con\u0074ent":"x"}}]}`), 512, Options{})
	if res.Malformed != "" {
		t.Errorf("valid JSON event marked malformed: %+v", res)
	}
}

// An error answer closed unread (openai-go closes it before retrying) is
// still recorded with the server's message.
func TestErrorBodyClosedUnreadStillRecorded(t *testing.T) {
	req, _ := ParseRequest(Chat, []byte(`{"model":"m","messages":[]}`), Options{})
	e := newEnded()
	body := `{"error":{"code":"InternalServiceError","message":"The service encountered an unexpected internal error.","param":"","type":"Internal Server Error"}}`
	b := req.WrapBody(500, jsonHeader, nopCloser(body), Options{}, e.onEnd)
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	res := e.wait(t)
	if res.ErrCode != "InternalServiceError" || !strings.Contains(res.ErrMessage, "unexpected internal error") || res.Status != 500 {
		t.Errorf("result = %+v", res)
	}
	e.none(t)
}

// A stream that ends with an error event is recorded at that event, even
// when the client stops reading there and never closes.
func TestStreamEndsAtErrorEvent(t *testing.T) {
	req := streamReq(t, `,"stream_options":{"include_usage":true}`, Options{})
	e := newEnded()
	body := "data: " + arkDelta(0, `"content":"a"`) + "\n\n" +
		"event: error\ndata: {\"error\":{\"code\":\"InternalServiceError\",\"message\":\"boom\",\"type\":\"InternalServerError\"}}\n\n"
	raw := &blockingBody{r: strings.NewReader(body), stop: make(chan struct{})}
	b := req.WrapBody(200, sseHeader, raw, Options{}, e.onEnd)
	defer b.Close()
	buf := make([]byte, 64<<10)
	var got strings.Builder
	for !strings.Contains(got.String(), "boom") {
		n, err := b.Read(buf)
		got.WriteString(string(buf[:n]))
		if err != nil {
			t.Fatal(err)
		}
	}
	if res := e.wait(t); res.ErrCode != "InternalServiceError" || res.ErrMessage != "boom" {
		t.Errorf("result = %+v", res)
	}
}

// A chat answer too big to keep whole (one huge message) keeps the
// beginning of its content, valid JSON and valid UTF-8, not an empty one.
func TestHugeJSONAnswerKeepsItsBeginning(t *testing.T) {
	req, _ := ParseRequest(Chat, []byte(`{"model":"m","messages":[]}`), Options{})
	content := strings.Repeat("é\"y\\n", 3<<20) // 15 MiB on the wire, escapes and 2-byte runes
	body := `{"id":"x","model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"` + strings.ReplaceAll(strings.ReplaceAll(content, `\`, `\\`), `"`, `\"`) + `"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}}`
	got, res := readThrough(t, req, 200, jsonHeader, body, 32<<10, Options{MaxValue: 1 << 20})
	if string(got) != body {
		t.Fatal("the caller's bytes changed")
	}
	var out struct{ Content string }
	if err := json.Unmarshal(res.Output, &out); err != nil || len(out.Content) < 700<<10 || !strings.HasPrefix(content, out.Content) {
		t.Errorf("output %d bytes, err %v: want the content's first MiB on the wire", len(out.Content), err)
	}
	if !res.Usage.Present || res.Omitted == 0 {
		t.Errorf("usage %+v omitted %d", res.Usage, res.Omitted)
	}
}

// deferrer records the order in which a Deferrer is told things.
type deferrer struct {
	mu     sync.Mutex
	events []string
}

func (d *deferrer) Ended(*Result)  { d.add("Ended") }
func (d *deferrer) Later(int) bool { return false }
func (d *deferrer) Draining()      { d.add("Draining") }
func (d *deferrer) add(e string) {
	d.mu.Lock()
	d.events = append(d.events, e)
	d.mu.Unlock()
}
func (d *deferrer) got() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.events)
}

// A body that reads on after Close (a stream's usage, an error answer
// closed unread) tells its Deferrer so before anything can end the
// recording: a context cancelled right after Close (Abort) used to end it
// first, and the Draining that followed was counted for ever, so every
// Flush and Shutdown ran to its deadline (review 39, finding 1).
func TestDrainingToldBeforeAnAbortCanEnd(t *testing.T) {
	for _, tc := range []struct {
		name string
		open func(d *deferrer) Body
	}{
		{"stream after its finish chunk", func(d *deferrer) Body {
			opt := Options{InjectUsage: true}
			req := streamReq(t, "", opt)
			var parts []string
			for _, e := range arkStream(false) {
				parts = append(parts, "data: "+e+"\n\n")
			}
			var st BodyStore
			b := req.WrapBodyIn(&st, 200, sseHeader, nopCloser(strings.Join(parts, "")), opt, d)
			r := bufio.NewReader(b)
			for {
				line, err := r.ReadString('\n')
				if err != nil {
					t.Fatal(err)
				}
				if strings.Contains(line, `"finish_reason":"stop"`) {
					return b
				}
			}
		}},
		{"error answer closed unread", func(d *deferrer) Body {
			req, _ := ParseRequest(Chat, []byte(`{"model":"m","messages":[]}`), Options{})
			var st BodyStore
			return req.WrapBodyIn(&st, 500, jsonHeader, nopCloser(`{"error":{"code":"E","message":"m"}}`), Options{}, d)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := &deferrer{}
			b := tc.open(d)
			closeGapHook = func() { b.Abort(errors.New("context canceled")) }
			defer func() { closeGapHook = nil }()
			if err := b.Close(); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(2 * time.Second)
			for len(d.got()) < 2 && time.Now().Before(deadline) {
				time.Sleep(time.Millisecond)
			}
			time.Sleep(50 * time.Millisecond) // a second Ended would come now
			if got := d.got(); !slices.Equal(got, []string{"Draining", "Ended"}) {
				t.Errorf("the Deferrer was told %v; want Draining, then one Ended", got)
			}
		})
	}
}

// thenFail yields its bytes, then fails every Read with err: a
// connection whose context was cancelled while the caller waited.
type thenFail struct {
	r   io.Reader
	err error
}

func (t *thenFail) Read(p []byte) (int, error) {
	if n, _ := t.r.Read(p); n > 0 {
		return n, nil
	}
	return 0, t.err
}
func (t *thenFail) Close() error { return nil }

// A stream whose every choice had finished, then whose read failed (its
// context cancelled while the caller waited for the usage event or
// [DONE]), had its whole answer: it is recorded as when the cancel comes
// through Abort or Close comes first, not as failed (review 41, A). A
// stream cut before its finish is still failed.
func TestStreamReadFailingAfterItsFinish(t *testing.T) {
	opt := Options{}
	req := streamReq(t, `,"stream_options":{"include_usage":true}`, opt)
	var whole, cut strings.Builder
	ev := arkStream(false)
	for i, e := range ev {
		whole.WriteString("data: " + e + "\n\n")
		if i < len(ev)-1 {
			cut.WriteString("data: " + e + "\n\n")
		}
	}
	for _, tc := range []struct {
		name   string
		body   string
		failed bool
	}{
		{"after the finish chunk", whole.String(), false},
		{"before the finish chunk", cut.String(), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnded()
			b := req.WrapBody(200, sseHeader, &thenFail{strings.NewReader(tc.body), context.Canceled}, opt, e.onEnd)
			_, err := io.ReadAll(b)
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("the caller read %v, want the transport's error", err)
			}
			res := e.wait(t)
			if failed := res.ReadErr != nil || res.CutShort; failed != tc.failed {
				t.Errorf("recorded ReadErr %v, cut short %v; want failed %v", res.ReadErr, res.CutShort, tc.failed)
			}
			if !strings.Contains(string(res.Output), "Litefuse") {
				t.Errorf("output %s", res.Output)
			}
		})
	}
}
