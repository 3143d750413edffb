package litefuse

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/litefuse/litefuse-go/internal/fakeark"
	"github.com/litefuse/litefuse-go/internal/otlpreceiver"
	openai "github.com/sashabaranov/go-openai"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// pipeline is a private instance exporting to baseURL, with a traced
// client for a fake Ark endpoint.
type pipeline struct {
	inst   *instance
	client *Client
	bare   *openai.Client
	hc     *http.Client
	logs   *syncBuffer
}

func newPipeline(t *testing.T, baseURL string, opts ...Option) *pipeline {
	t.Helper()
	ark := fakeark.New()
	t.Cleanup(ark.Close)
	logs := &syncBuffer{}
	cfg := defaultConfig()
	cfg.apply(append([]Option{
		WithCredentials("pk-lf-1", "sk-lf-secret"),
		WithBaseURL(baseURL),
		WithTimeout(300 * time.Millisecond),
		WithFlushAt(5),
		WithFlushInterval(20 * time.Millisecond),
		WithMaxQueueSize(20),
		WithLogger(slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))),
	}, opts...))
	inst, err := newInstance(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = inst.tp.Shutdown(ctx)
	})
	ocfg := openai.DefaultConfig("ark-key")
	ocfg.BaseURL = ark.BaseURL()
	hc := &http.Client{Transport: &http.Transport{}}
	ocfg.HTTPClient = hc
	return &pipeline{
		hc:     hc,
		inst:   inst,
		client: NewClientWithConfig(ocfg, WithTracerProvider(inst.tp)),
		bare:   openai.NewClientWithConfig(ocfg),
		logs:   logs,
	}
}

// callMany makes n calls and fails the test if they do not all return,
// which would mean a call waited on export.
func (p *pipeline) callMany(t *testing.T, n int) {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		for range n {
			resp, err := p.client.CreateChatCompletion(context.Background(), openai.ChatCompletionRequest{
				Model: fakeark.Model, Messages: []openai.ChatCompletionMessage{{Role: "user", Content: "hi"}},
			})
			if err != nil || len(resp.Choices) != 1 {
				done <- errors.Join(err, errors.New("bad response"))
				return
			}
		}
		done <- nil
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("calls blocked while Litefuse was failing")
	}
}

// flushWithin checks Flush returns by its context's deadline (plus slack).
func (p *pipeline) flushWithin(t *testing.T, d time.Duration) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	start := time.Now()
	err := p.inst.flush(ctx)
	if took := time.Since(start); took > d+2*time.Second {
		t.Errorf("Flush took %v with a %v deadline", took, d)
	}
	return err
}

func closedPortURL(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return "http://" + addr
}

func TestOutages(t *testing.T) {
	for _, tc := range []struct {
		name    string
		setup   func(r *otlpreceiver.Receiver)
		refused bool
		logWant string
	}{
		{name: "connection refused", refused: true, logWant: "unreachable"},
		{name: "503", setup: func(r *otlpreceiver.Receiver) { r.SetStatus(http.StatusServiceUnavailable, nil) }, logWant: "export failed"},
		{name: "429 Retry-After", setup: func(r *otlpreceiver.Receiver) {
			r.SetStatus(http.StatusTooManyRequests, http.Header{"Retry-After": {"1"}})
		}, logWant: "export failed"},
		{name: "401 bad keys", setup: func(r *otlpreceiver.Receiver) { r.SetStatus(http.StatusUnauthorized, nil) }, logWant: "rejected the keys"},
		{name: "never answers", setup: func(r *otlpreceiver.Receiver) { r.Hang(true) }, logWant: "export failed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			recv := otlpreceiver.New()
			defer recv.Close()
			base := recv.BaseURL()
			if tc.refused {
				base = closedPortURL(t)
			} else {
				tc.setup(recv)
			}
			p := newPipeline(t, base)
			p.callMany(t, 100)
			if err := p.flushWithin(t, 500*time.Millisecond); err == nil {
				t.Error("Flush reported success while Litefuse was failing")
			}
			// Let in-flight exports finish failing.
			deadline := time.Now().Add(5 * time.Second)
			for p.inst.stats().Queued > 0 && time.Now().Before(deadline) {
				_ = p.flushWithin(t, 500*time.Millisecond)
			}
			st := p.inst.stats()
			if st.Ended != 100 || st.Ended != st.Exported+st.Failed+st.Dropped+st.Queued {
				t.Errorf("stats %+v: want 100 ended = exported + failed + dropped + queued", st)
			}
			if st.Exported != 0 {
				t.Errorf("stats %+v: exported during an outage", st)
			}
			if tc.name == "never answers" && st.Dropped == 0 {
				t.Errorf("stats %+v: the queue was not bounded", st)
			}
			if st.Failed == 0 && st.Dropped == 0 {
				t.Errorf("stats %+v: nothing counted as failed or dropped", st)
			}
			logs := p.logs.String()
			if n := strings.Count(logs, "level=WARN"); n != 1 || !strings.Contains(logs, tc.logWant) {
				t.Errorf("%d warnings (want 1 per outage) containing %q:\n%s", n, tc.logWant, logs)
			}
			if tc.refused {
				return
			}
			// Litefuse comes back: export resumes by itself.
			recv.Hang(false)
			recv.SetStatus(http.StatusOK, nil)
			p.callMany(t, 3)
			deadline = time.Now().Add(10 * time.Second)
			for p.inst.stats().Exported < 3 && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
			}
			if st := p.settle(t); st.Exported < 3 {
				t.Errorf("export did not resume: %+v", st)
			} else {
				checkInvariant(t, st)
			}
			if !strings.Contains(p.logs.String(), "export recovered") {
				t.Errorf("no recovery line:\n%s", p.logs.String())
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			if err := p.inst.tp.Shutdown(ctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("Shutdown: %v", err)
			}
		})
	}
}

func TestNoGoroutineLeakAfterShutdown(t *testing.T) {
	before := runtime.NumGoroutine()
	recv := otlpreceiver.New()
	p := newPipeline(t, recv.BaseURL())
	p.callMany(t, 20)
	st, err := p.client.CreateChatCompletionStream(context.Background(), openai.ChatCompletionRequest{Model: fakeark.Model})
	if err != nil {
		t.Fatal(err)
	}
	_ = st.Close()
	if err := p.inst.tp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	p.hc.CloseIdleConnections()
	recv.Close()
	checkGoroutines(t, before)
}

func TestPlainHTTPRemoteWarns(t *testing.T) {
	logs := &syncBuffer{}
	cfg := defaultConfig()
	cfg.apply([]Option{WithCredentials("pk", "sk"), WithBaseURL("http://litefuse.internal:3000"), WithLogger(slog.New(slog.NewTextHandler(logs, nil)))})
	inst, err := newInstance(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer inst.tp.Shutdown(context.Background())
	if !strings.Contains(logs.String(), "plain HTTP") {
		t.Errorf("no warning for plain HTTP to a remote host: %q", logs.String())
	}
	// Review 34: a name under .localhost goes to DNS, and to a proxy.
	for endpoint, remote := range map[string]bool{"http://litefuse.localhost:3000": true, "http://localhost:3000": false, "http://[::1]:3000": false, "https://litefuse.localhost": false} {
		if plainHTTPRemote(endpoint) != remote {
			t.Errorf("%s: plain HTTP to a remote host %v, want %v", endpoint, !remote, remote)
		}
	}
}

// TestSoakConcurrentCalls runs many goroutines of plain and streaming calls
// for a fixed count (under -race in CI), then checks every span arrived and
// no goroutine outlives Shutdown.
func TestSoakConcurrentCalls(t *testing.T) {
	const workers, perWorker = 16, 25
	before := runtime.NumGoroutine()
	recv := otlpreceiver.New()
	p := newPipeline(t, recv.BaseURL(), WithMaxQueueSize(4096), WithFlushAt(64), WithTimeout(20*time.Second))
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := openai.ChatCompletionRequest{Model: fakeark.Model, Messages: []openai.ChatCompletionMessage{{Role: "user", Content: "hi"}}}
			for i := range perWorker {
				if (w+i)%2 == 0 {
					if _, err := p.client.CreateChatCompletion(context.Background(), req); err != nil {
						errs <- err
						return
					}
					continue
				}
				st, err := p.client.CreateChatCompletionStream(context.Background(), req)
				if err != nil {
					errs <- err
					return
				}
				for {
					if _, err := st.Recv(); err != nil {
						break
					}
				}
				_ = st.Close()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if err := p.flushWithin(t, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if st := p.inst.stats(); st.Exported != workers*perWorker || st.Dropped != 0 || st.Failed != 0 {
		t.Errorf("stats %+v, want %d exported", st, workers*perWorker)
	}
	if n := len(recv.Spans()); n != workers*perWorker {
		t.Errorf("receiver got %d spans", n)
	}
	if err := p.inst.tp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	p.hc.CloseIdleConnections()
	recv.Close()
	checkGoroutines(t, before)
}

func nopLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// checkGoroutines fails the test when more than two goroutines beyond
// before are still running 5 s after Shutdown, and shows their stacks.
func checkGoroutines(t *testing.T, before int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before+2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if after := runtime.NumGoroutine(); after > before+2 {
		buf := make([]byte, 1<<16)
		t.Errorf("%d goroutines before, %d after Shutdown:\n%s", before, after, buf[:runtime.Stack(buf, true)])
	}
}

// settle flushes until nothing is queued (exports still failing are
// allowed to fail), and returns the stats.
func (p *pipeline) settle(t *testing.T) Stats {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for p.inst.stats().Queued > 0 && time.Now().Before(deadline) {
		_ = p.flushWithin(t, time.Second)
	}
	st := p.inst.stats()
	if st.Queued != 0 {
		t.Fatalf("stats %+v: spans still queued after 10s", st)
	}
	return st
}

// checkInvariant asserts every ended span is counted exactly once.
func checkInvariant(t *testing.T, st Stats) {
	t.Helper()
	if st.Ended != st.Exported+st.Failed+st.Dropped+st.Queued {
		t.Errorf("stats %+v: Ended != Exported + Failed + Dropped + Queued", st)
	}
}

func (p *pipeline) warnings() int { return strings.Count(p.logs.String(), "level=WARN") }

// Row: Flush(ctx) with a 10 ms deadline after each request, healthy
// receiver taking 30 ms: every span is exported, none failed or lost, and
// no warning is logged.
func TestFlushShortDeadlineLosesNothing(t *testing.T) {
	recv := otlpreceiver.NewWithFault(otlpreceiver.Slow(30 * time.Millisecond))
	defer recv.Close()
	p := newPipeline(t, recv.BaseURL(), WithMaxQueueSize(2048), WithTimeout(5*time.Second))
	const workers, perWorker = 4, 25
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range perWorker {
				p.callMany(t, 1)
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
				_ = p.inst.flush(ctx) // the handler's "flush at the end": times out
				cancel()
			}
		}()
	}
	wg.Wait()
	st := p.settle(t)
	if st.Exported != workers*perWorker || st.Failed != 0 || st.Dropped != 0 {
		t.Errorf("stats %+v: want all %d exported", st, workers*perWorker)
	}
	if n := len(recv.Spans()); n != workers*perWorker {
		t.Errorf("receiver got %d spans, want %d", n, workers*perWorker)
	}
	if n := p.warnings(); n != 0 {
		t.Errorf("%d warnings with a healthy receiver:\n%s", n, p.logs.String())
	}
}

// Row: Flush calls timing out during an outage leave nothing behind: the
// queue keeps its capacity, Queued returns to 0, and healthy traffic
// afterwards is not dropped.
func TestFlushTimeoutsDuringOutageCostNoCapacity(t *testing.T) {
	recv := otlpreceiver.New()
	defer recv.Close()
	recv.Hang(true)
	p := newPipeline(t, recv.BaseURL()) // queue of 20 spans, batches of 5
	p.callMany(t, 5)
	for i := range 200 {
		ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
		if err := p.inst.flush(ctx); err == nil && i == 0 {
			t.Fatal("Flush succeeded while Litefuse hangs")
		}
		cancel()
		if i%20 == 0 {
			p.callMany(t, 1)
		}
	}
	recv.Hang(false)
	st := p.settle(t)
	checkInvariant(t, st)
	before := st
	// Healthy again: 20 spans at a time fit the queue, as they did before
	// the outage.
	for range 10 {
		p.callMany(t, 20)
		if err := p.flushWithin(t, 5*time.Second); err != nil {
			t.Fatalf("Flush after recovery: %v", err)
		}
	}
	st = p.settle(t)
	if st.Dropped != before.Dropped || st.Exported-before.Exported != 200 {
		t.Errorf("after recovery: %+v (before %+v): want 200 more exported, none dropped", st, before)
	}
	checkInvariant(t, st)
}

// persistConns counts the HTTP client connections alive and the
// goroutines of export pipelines, and reports the stacks of the latter.
// Another test's pipeline may still run (a per-client pipeline lives in
// the process's registry until Shutdown): compare with a count taken before.
func persistConns() (conns int, pipeline string, n int) {
	buf := make([]byte, 1<<20)
	all := string(buf[:runtime.Stack(buf, true)])
	for _, g := range strings.Split(all, "\n\n") {
		if strings.Contains(g, "net/http.(*persistConn)") {
			conns++
		}
		if strings.Contains(g, "litefuse-go/internal/export.") {
			pipeline += g + "\n\n"
			n++
		}
	}
	return conns, pipeline, n
}

// Row: Shutdown(ctx) while Litefuse hangs returns by its deadline, then
// nothing runs: no export goroutine, no request afterwards, no connection
// left; the spans not sent are counted.
func TestShutdownWhileLitefuseHangsLeavesNothingRunning(t *testing.T) {
	recv := otlpreceiver.New()
	defer recv.Close()
	recv.Hang(true)
	_, _, others := persistConns() // other tests' pipelines, still running
	p := newPipeline(t, recv.BaseURL(), WithTimeout(time.Minute))
	p.callMany(t, 30)
	p.hc.CloseIdleConnections() // the fake Ark's client: count the export's connection alone
	time.Sleep(50 * time.Millisecond)
	connsBefore, _, _ := persistConns()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	st0 := p.inst.stats()
	start := time.Now()
	err := p.inst.shutdown(ctx)
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("Shutdown took %v with a 300ms deadline", took)
	}
	if err == nil {
		t.Error("Shutdown reported success with spans not sent")
	}
	st := p.inst.stats()
	if st.Queued != 0 || st.Exported != 0 || st.Failed+st.Dropped != 30 {
		t.Errorf("stats %+v: want all 30 counted Failed or Dropped, none queued", st)
	}
	checkInvariant(t, st)
	// Review of issue 18, finding 4: the error says what ReadStats shows.
	dropped, failed := st.Dropped-st0.Dropped, st.Failed-st0.Failed
	if want := fmt.Sprintf("%d spans not sent: %d counted Dropped", dropped+failed, dropped); err == nil || !strings.Contains(err.Error(), want) ||
		!strings.Contains(err.Error(), fmt.Sprintf("%d counted Failed", failed)) {
		t.Errorf("Shutdown's error %q does not match the stats %+v (before it: %+v)", err, st, st0)
	}
	reqs := len(recv.Requests())
	deadline := time.Now().Add(3 * time.Second)
	var conns, running int
	var left string
	for time.Now().Before(deadline) {
		if conns, left, running = persistConns(); running <= others && conns < connsBefore {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if running > others {
		t.Errorf("export goroutines still running after Shutdown:\n%s", left)
	}
	if conns >= connsBefore {
		t.Errorf("%d client connections before Shutdown, %d after: the export connection outlived it", connsBefore, conns)
	}
	time.Sleep(200 * time.Millisecond)
	if n := len(recv.Requests()); n != reqs {
		t.Errorf("%d export requests after Shutdown returned", n-reqs)
	}
	if err := p.inst.flush(context.Background()); err == nil || !strings.Contains(err.Error(), "shut down") {
		t.Errorf("Flush after Shutdown: %v, want an error saying the pipeline is shut down", err)
	}
}

// Row: 300 KB prompts while Litefuse hangs: the queue is bounded in bytes,
// so the heap stays bounded; the spans beyond are dropped and counted.
func TestByteBudgetBoundsMemory(t *testing.T) {
	recv := otlpreceiver.New()
	defer recv.Close()
	recv.Hang(true)
	const budget = 4 << 20
	p := newPipeline(t, recv.BaseURL(), WithMaxQueueSize(2048), WithMaxQueueBytes(budget), WithTimeout(time.Minute))
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	before := heap()
	prompt := strings.Repeat("p", 300<<10)
	// Ark answers from memory, keeping nothing: the heap measured is the
	// pipeline's.
	ocfg := openai.DefaultConfig("ark-key")
	ocfg.HTTPClient = &http.Client{Transport: cannedTransport{chatBody(), "application/json"}}
	client := NewClientWithConfig(ocfg, WithTracerProvider(p.inst.tp))
	for range 100 {
		if _, err := client.CreateChatCompletion(context.Background(), openai.ChatCompletionRequest{
			Model: fakeark.Model, Messages: []openai.ChatCompletionMessage{{Role: "user", Content: prompt}},
		}); err != nil {
			t.Fatal(err)
		}
	}
	st := p.inst.stats()
	if st.Queued > budget/(300<<10)+1 || st.Dropped == 0 {
		t.Errorf("stats %+v: want at most %d spans of 300 KB queued under a %d-byte budget, the rest dropped", st, budget/(300<<10)+1, budget)
	}
	checkInvariant(t, st)
	if grown := int64(heap()) - int64(before); grown > 32<<20 {
		t.Errorf("heap grew by %d MiB for a 4 MiB budget", grown>>20)
	}
}

// Row: LANGFUSE_FLUSH_AT above the queue size, healthy receiver: clamped
// with a warning, and nothing is dropped.
func TestFlushAtAboveQueueSizeNoDrops(t *testing.T) {
	recv := otlpreceiver.New()
	defer recv.Close()
	p := newPipeline(t, recv.BaseURL(), WithFlushAt(5000), WithMaxQueueSize(100), WithFlushInterval(5*time.Second), WithTimeout(10*time.Second))
	if p.inst.cfg.flushAt != 100 {
		t.Fatalf("flushAt = %d, want clamped to the queue size", p.inst.cfg.flushAt)
	}
	// Rounds of one queue's worth, each waited out without Flush: a full
	// queue must be sent at once (with flushAt above the queue size, a
	// batch would never fill and only the 5 s interval would send it).
	// Waiting between rounds keeps a slow machine from dropping spans the
	// test did not mean to overflow.
	for round := range 10 {
		p.callMany(t, 100)
		deadline := time.Now().Add(3 * time.Second)
		for p.inst.stats().Queued > 0 && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		if st := p.inst.stats(); st.Queued != 0 {
			t.Fatalf("round %d: stats %+v: a full queue was not sent within 3s", round, st)
		}
	}
	st := p.settle(t)
	if st.Dropped != 0 || st.Exported != 1000 {
		t.Errorf("stats %+v: want 1000 exported, none dropped", st)
	}
}
