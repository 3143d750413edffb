package wire

import (
	"bufio"
	"errors"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// slowServer writes events into a pipe, pausing before the ones marked.
func slowServer(t *testing.T, parts []string, pause map[int]time.Duration) *io.PipeReader {
	t.Helper()
	pr, pw := io.Pipe()
	go func() {
		for i, p := range parts {
			time.Sleep(pause[i])
			if _, err := pw.Write([]byte(p)); err != nil {
				return
			}
		}
		pw.Close()
	}()
	return pr
}

func TestCloseRightAfterFinishStillGetsInjectedUsage(t *testing.T) {
	closeAfterFinish(t, "")
}

func TestCloseRightAfterFinishStillGetsUsageAskedFor(t *testing.T) {
	closeAfterFinish(t, `,"stream_options":{"include_usage":true}`)
}

func closeAfterFinish(t *testing.T, extra string) {
	opt := Options{InjectUsage: true}
	req := streamReq(t, extra, opt)
	ev := arkStream(false)
	var parts []string
	for _, e := range ev {
		parts = append(parts, "data: "+e+"\n\n")
	}
	parts = append(parts, "data: "+arkUsageChunk()+"\n\n", "data: [DONE]\n\n")
	pr := slowServer(t, parts, map[int]time.Duration{len(ev): 30 * time.Millisecond})
	e := newEnded()
	b := req.WrapBody(200, sseHeader, pr, opt, e.onEnd)
	// The usual loop: read events until the finish reason, then Close.
	r := bufio.NewReader(b)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(line, `"finish_reason":"stop"`) {
			break
		}
	}
	start := time.Now()
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 10*time.Millisecond {
		t.Errorf("Close took %v", d)
	}
	res := e.wait(t)
	if res.Usage != arkUsageWant || res.CutShort {
		t.Fatalf("usage %+v cut short %v", res.Usage, res.CutShort)
	}
	if !strings.Contains(string(res.Output), "Litefuse is an LLM") {
		t.Errorf("Output %s", res.Output)
	}
	e.none(t)
	if err := b.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := b.Read(make([]byte, 1)); err == nil {
		t.Error("Read after Close succeeded")
	}
}

func TestCloseAfterFinishWithoutUsageWaitsBounded(t *testing.T) {
	opt := Options{InjectUsage: true}
	req := streamReq(t, "", opt)
	pr, pw := io.Pipe()
	defer pw.Close()
	// The server sends the finish chunk and then nothing (no usage, no [DONE]).
	go pw.Write([]byte("data: " + arkDelta(0, `"content":"hi"`) + "\n\ndata: " + arkFinish(0, "stop") + "\n\n"))
	e := newEnded()
	b := req.WrapBody(200, sseHeader, pr, opt, e.onEnd)
	r := bufio.NewReader(b)
	for {
		line, _ := r.ReadString('\n')
		if strings.Contains(line, "finish_reason") {
			break
		}
	}
	start := time.Now()
	b.Close()
	res := e.wait(t)
	if d := time.Since(start); d > drainWait+100*time.Millisecond {
		t.Errorf("recorded after %v", d)
	}
	if res.Usage.Present || res.CutShort || string(res.Output) != `{"role":"assistant","content":"hi"}` {
		t.Errorf("%+v", res)
	}
}

func TestCloseBeforeTheEndIsCutShort(t *testing.T) {
	opt := Options{InjectUsage: true}
	req := streamReq(t, "", opt)
	pr, pw := io.Pipe()
	defer pw.Close()
	go pw.Write([]byte("data: " + arkDelta(0, `"content":"partial"`) + "\n\n"))
	e := newEnded()
	b := req.WrapBody(200, sseHeader, pr, opt, e.onEnd)
	buf := make([]byte, 4096)
	if _, err := b.Read(buf); err != nil {
		t.Fatal(err)
	}
	b.Close()
	res := e.wait(t)
	if !res.CutShort || string(res.Output) != `{"role":"assistant","content":"partial"}` {
		t.Errorf("%+v", res)
	}
}

type closeCounter struct {
	io.Reader
	n   atomic.Int32
	err error
}

func (c *closeCounter) Close() error { c.n.Add(1); return c.err }

func TestCloseIsIdempotent(t *testing.T) {
	errX := errors.New("close failed")
	cc := &closeCounter{Reader: strings.NewReader(`{"id":"x"`), err: errX}
	req, _ := ParseRequest(Chat, []byte(`{"model":"m"}`), Options{})
	e := newEnded()
	b := req.WrapBody(200, jsonHeader, cc, Options{}, e.onEnd)
	io.ReadAll(io.LimitReader(b, 3))
	if err := b.Close(); err != errX {
		t.Fatalf("Close = %v", err)
	}
	if err := b.Close(); err != errX {
		t.Fatalf("second Close = %v", err)
	}
	if cc.n.Load() != 1 {
		t.Errorf("underlying closed %d times", cc.n.Load())
	}
	if res := e.wait(t); !res.CutShort {
		t.Errorf("not cut short: %+v", res)
	}
	e.none(t)
}

func TestAbortConcurrentWithRead(t *testing.T) {
	for range 20 {
		opt := Options{InjectUsage: true}
		req := streamReq(t, "", opt)
		pr, pw := io.Pipe()
		go func() {
			for i := 0; ; i++ {
				if _, err := pw.Write([]byte("data: " + arkDelta(0, `"content":"x"`) + "\n\n")); err != nil {
					return
				}
			}
		}()
		var calls atomic.Int32
		var got *Result
		b := req.WrapBody(200, sseHeader, pr, opt, func(r *Result) { calls.Add(1); got = r })
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 100)
			for {
				if _, err := b.Read(buf); err != nil {
					return
				}
			}
		}()
		time.Sleep(time.Millisecond)
		cause := errors.New("context canceled")
		b.Abort(cause)
		b.Abort(cause)
		b.Close()
		pw.Close()
		wg.Wait()
		if calls.Load() != 1 || got.ReadErr != cause || !got.CutShort {
			t.Fatalf("calls %d, %+v", calls.Load(), got)
		}
	}
}

type failingReader struct {
	data string
	err  error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if f.data == "" {
		return 0, f.err
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

func TestReadErrorIsRecorded(t *testing.T) {
	errReset := errors.New("connection reset by peer")
	for _, inject := range []bool{false, true} {
		opt := Options{InjectUsage: inject}
		req := streamReq(t, "", opt)
		e := newEnded()
		b := req.WrapBody(200, sseHeader, io.NopCloser(&failingReader{data: "data: " + arkDelta(0, `"content":"so far"`) + "\n\n", err: errReset}), opt, e.onEnd)
		got, err := io.ReadAll(b)
		if err != errReset || !strings.Contains(string(got), "so far") {
			t.Fatalf("ReadAll = %q, %v", got, err)
		}
		res := e.wait(t)
		if res.ReadErr != errReset || string(res.Output) != `{"role":"assistant","content":"so far"}` {
			t.Errorf("%+v", res)
		}
		b.Close()
		e.none(t)
	}
}

func TestCloseBeforeEveryChoiceFinishedIsCutShort(t *testing.T) {
	// n=2: choice 0 finished, choice 1 not begun; Close is cut short.
	req := streamReq(t, `,"n":2`, Options{})
	if string(req.Parameters) != `{"n":2}` {
		t.Fatalf("Parameters %s", req.Parameters)
	}
	e := newEnded()
	pr, pw := io.Pipe()
	defer pw.Close()
	go pw.Write([]byte("data: " + arkDelta(0, `"content":"a"`) + "\n\ndata: " + arkFinish(0, "stop") + "\n\n"))
	b := req.WrapBody(200, sseHeader, pr, Options{}, e.onEnd)
	r := bufio.NewReader(b)
	for {
		line, _ := r.ReadString('\n')
		if strings.Contains(line, "finish_reason") {
			break
		}
	}
	b.Close()
	if res := e.wait(t); !res.CutShort {
		t.Errorf("%+v", res)
	}
}
