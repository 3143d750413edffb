package wire

import (
	"io"
	"runtime"
	"strings"
	"testing"
)

// genReader generates an Ark stream of about size bytes without holding it.
type genReader struct {
	event []byte
	left  int
	tail  []byte
	off   int
}

func newGenReader(size int) *genReader {
	ev := []byte("data: " + arkDelta(0, `"content":"`+strings.Repeat("token ", 80)+`"`) + "\n\n")
	tail := []byte("data: " + arkFinish(0, "stop") + "\n\ndata: " + arkUsageChunk() + "\n\ndata: [DONE]\n\n")
	return &genReader{event: ev, left: size / len(ev), tail: tail}
}

func (g *genReader) Read(p []byte) (int, error) {
	if g.left == 0 {
		if g.off == len(g.tail) {
			return 0, io.EOF
		}
		n := copy(p, g.tail[g.off:])
		g.off += n
		return n, nil
	}
	n := copy(p, g.event[g.off:])
	if g.off += n; g.off == len(g.event) {
		g.off = 0
		g.left--
	}
	return n, nil
}

func (g *genReader) Close() error { return nil }

// TestStreamMemoryBounded reads a 100 MB stream through the Body: what is
// allocated is bounded by what is recorded (MaxValue), not by the stream.
func TestStreamMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 100 MB")
	}
	const size = 100 << 20
	opt := Options{InjectUsage: true, MaxValue: 1 << 20}
	req := streamReq(t, "", opt)
	e := newEnded()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	b := req.WrapBody(200, sseHeader, newGenReader(size), opt, e.onEnd)
	n, err := io.CopyBuffer(io.Discard, b, make([]byte, 4<<10))
	if err != nil || n < size-(1<<20) {
		t.Fatalf("read %d, %v", n, err)
	}
	res := e.wait(t)
	runtime.ReadMemStats(&after)
	allocated := after.TotalAlloc - before.TotalAlloc
	t.Logf("read %d MB, allocated %.1f MB in total, output %d bytes, omitted %d", n>>20, float64(allocated)/(1<<20), len(res.Output), res.Omitted)
	if allocated > 12<<20 {
		t.Errorf("allocated %d bytes for a %d-byte stream", allocated, n)
	}
	if len(res.Output) > 2<<20 || res.Omitted < size/2 || res.Usage != arkUsageWant || res.CutShort {
		t.Errorf("output %d bytes, omitted %d, usage %+v", len(res.Output), res.Omitted, res.Usage)
	}
	runtime.KeepAlive(res)
}

// TestStreamAllocsPerChunk: no allocation per chunk in steady state.
func TestStreamAllocsPerChunk(t *testing.T) {
	opt := Options{InjectUsage: true}
	for _, req := range []*Request{streamReq(t, "", opt), streamReq(t, `,"stream_options":{"include_usage":true}`, opt)} {
		g := newGenReader(1 << 30)
		b := req.WrapBody(200, sseHeader, g, opt, func(*Result) {})
		buf := make([]byte, len(g.event))
		for range 100 { // warm up: buffers reach their size
			b.Read(buf)
		}
		if n := testing.AllocsPerRun(1000, func() { b.Read(buf) }); n > 0.01 {
			t.Errorf("UsageInjected %v: %v allocations per chunk", req.UsageInjected, n)
		}
	}
}
