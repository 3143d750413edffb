package wire

import (
	"io"
	"net/http"
	"strings"
	"testing"
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
