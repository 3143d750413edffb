package wire

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// A recording fault (a panic in the framer, as an overflowing MaxValue
// once caused: review 30, F1) reaches the caller neither as a
// panic nor as a Close that blocks: unfiltered, every byte still arrives
// and the call ends as cut short; filtered (the usage event hidden), the
// bytes released before come first, then an error, never a corrupt stream.
func TestRecordingFaultNeverPanicsTheCaller(t *testing.T) {
	sseHeader := http.Header{"Content-Type": {"text/event-stream"}}
	stream := sse(arkStream(true)...)
	for _, filtered := range []bool{false, true} {
		opt := Options{InjectUsage: filtered}
		req := streamReq(t, "", opt)
		if !filtered {
			req = streamReq(t, `,"stream_options":{"include_usage":true}`, opt)
		}
		e := newEnded()
		b := req.WrapBody(http.StatusOK, sseHeader, io.NopCloser(strings.NewReader(stream)), opt, e.onEnd).(*body)
		events := 0
		dispatch := b.fr.dispatch
		b.fr.dispatch = func(name, data []byte, over bool) bool { // a recording bug at the third event
			if events++; events == 3 {
				panic("a recording bug")
			}
			return dispatch(name, data, over)
		}
		var got []byte
		var readErr error
		func() {
			defer func() {
				if p := recover(); p != nil {
					t.Fatalf("filtered=%v: Read panicked: %v", filtered, p)
				}
			}()
			buf := make([]byte, 64)
			for {
				n, err := b.Read(buf)
				got = append(got, buf[:n]...)
				if err != nil {
					if err != io.EOF {
						readErr = err
					}
					return
				}
			}
		}()
		closed := make(chan struct{})
		go func() { _ = b.Close(); close(closed) }()
		select {
		case <-closed:
		case <-time.After(2 * time.Second):
			t.Fatalf("filtered=%v: Close blocks", filtered)
		}
		res := e.wait(t)
		e.none(t)
		if !res.CutShort {
			t.Errorf("filtered=%v: the call is recorded as whole: %+v", filtered, res)
		}
		if filtered {
			if !errors.Is(readErr, errFilterFault) || !strings.HasPrefix(stream, string(got)) {
				t.Errorf("filtered: read %q then %v; want a prefix of the stream, then the fault", got, readErr)
			}
		} else if readErr != nil || string(got) != stream {
			t.Errorf("unfiltered: read %d of %d bytes, %v; want all, EOF", len(got), len(stream), readErr)
		}
	}
}
