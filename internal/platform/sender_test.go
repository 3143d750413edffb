package platform

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fault answers codes[i] to the i-th request (200 once they run out) and
// records every body.
type fault struct {
	mu     sync.Mutex
	codes  []int
	header http.Header
	bodies []string
	srv    *httptest.Server
}

func newFault(t *testing.T, codes ...int) *fault {
	f := &fault{codes: codes}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.bodies = append(f.bodies, string(b))
		code := 200
		if len(f.codes) > 0 {
			code, f.codes = f.codes[0], f.codes[1:]
		}
		for k, v := range f.header {
			w.Header()[k] = v
		}
		f.mu.Unlock()
		w.WriteHeader(code)
		_, _ = w.Write([]byte(`{"message":"status"}`))
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fault) got() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.bodies...)
}

type logBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func newSender(url string, log io.Writer, mod func(*SenderConfig)) *Sender {
	cfg := SenderConfig{
		Client:      testClient(url),
		Kind:        "scores",
		QueueSize:   10,
		Workers:     1,
		MaxAttempts: 4,
		Backoff:     Backoff{Initial: 5 * time.Millisecond, Max: 20 * time.Millisecond},
		Log:         slog.New(slog.NewTextHandler(log, nil)),
	}
	if mod != nil {
		mod(&cfg)
	}
	return NewSender(cfg)
}

func ctxT(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func TestSenderRetriesWithTheSameBody(t *testing.T) {
	f := newFault(t, 503, 502, 429)
	s := newSender(f.srv.URL, io.Discard, nil)
	s.Enqueue(Job{Method: "POST", Path: "/api/public/scores", Body: []byte(`{"id":"abc"}`)})
	if err := s.Flush(ctxT(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	got := f.got()
	if len(got) != 4 {
		t.Fatalf("%d attempts, want 4", len(got))
	}
	for _, b := range got {
		if b != `{"id":"abc"}` {
			t.Fatalf("attempt body %q", b)
		}
	}
	if c := s.Counts(); c != (Counts{Sent: 1}) {
		t.Fatalf("counts %+v", c)
	}
	_ = s.Shutdown(ctxT(t, time.Second))
}

func TestSenderHonoursRetryAfter(t *testing.T) {
	f := newFault(t, 429)
	f.header = http.Header{"Retry-After": {"1"}}
	s := newSender(f.srv.URL, io.Discard, func(c *SenderConfig) { c.Backoff.Max = time.Second })
	start := time.Now()
	s.Enqueue(Job{Method: "POST", Path: "/x", Body: []byte(`{}`)})
	if err := s.Flush(ctxT(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 900*time.Millisecond {
		t.Fatalf("retried after %s, before Retry-After's 1s", d)
	}
	_ = s.Shutdown(ctxT(t, time.Second))
}

func TestSenderNoRetryOn400LogsOnce(t *testing.T) {
	f := newFault(t, 400, 400, 400)
	var log logBuf
	s := newSender(f.srv.URL, &log, nil)
	for range 3 {
		s.Enqueue(Job{Method: "POST", Path: "/x", Body: []byte(`{}`)})
	}
	err := s.Flush(ctxT(t, 5*time.Second))
	if err == nil || !strings.Contains(err.Error(), "3 scores failed") || !strings.Contains(err.Error(), "HTTP 400") {
		t.Fatalf("Flush: %v", err)
	}
	if n := len(f.got()); n != 3 {
		t.Fatalf("%d requests, want 3 (no retries)", n)
	}
	if c := s.Counts(); c != (Counts{Failed: 3}) {
		t.Fatalf("counts %+v", c)
	}
	if n := strings.Count(log.String(), "sending scores failed"); n != 1 {
		t.Fatalf("logged %d times, want once:\n%s", n, log.String())
	}
	if strings.Contains(log.String(), testSecret) {
		t.Fatal("log holds the secret")
	}
	if err := s.Flush(ctxT(t, time.Second)); err != nil {
		t.Fatalf("second Flush with no new failure: %v", err)
	}
	_ = s.Shutdown(ctxT(t, time.Second))
}

func TestSenderGivesUpAfterMaxAttempts(t *testing.T) {
	f := newFault(t, 500, 500, 500, 500, 500)
	s := newSender(f.srv.URL, io.Discard, nil)
	s.Enqueue(Job{Method: "POST", Path: "/x", Body: []byte(`{}`)})
	_ = s.Flush(ctxT(t, 5*time.Second))
	if n := len(f.got()); n != 4 {
		t.Fatalf("%d attempts, want 4", n)
	}
	if c := s.Counts(); c != (Counts{Failed: 1}) {
		t.Fatalf("counts %+v", c)
	}
	_ = s.Shutdown(ctxT(t, time.Second))
}

// shutdownNow stops s within a second: in a cleanup, before the test
// server closes, so that no request hangs the server's Close.
func shutdownNow(s *Sender) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = s.Shutdown(ctx)
}

// blocker holds every request until released.
func blocker(t *testing.T) (*httptest.Server, chan struct{}, *atomic.Int64) {
	release := make(chan struct{})
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body) // so that the server sees the client go away
		n.Add(1)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	return srv, release, &n
}

func TestSenderDropsWhenFullAndNeverBlocks(t *testing.T) {
	srv, release, inFlight := blocker(t)
	var log logBuf
	s := newSender(srv.URL, &log, func(c *SenderConfig) { c.QueueSize = 2 })
	t.Cleanup(func() { shutdownNow(s) }) // before srv.Close: cancels what hangs
	s.Enqueue(Job{Method: "POST", Path: "/x", Body: []byte(`{}`)})
	waitFor(t, func() bool { return inFlight.Load() == 1 }) // the one worker is busy
	start := time.Now()
	accepted := 0
	for range 10 {
		if s.Enqueue(Job{Method: "POST", Path: "/x", Body: []byte(`{}`)}) {
			accepted++
		}
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("Enqueue blocked for %s", d)
	}
	if c := s.Counts(); accepted != 2 || c.Dropped != 8 || c.Queued != 3 {
		t.Fatalf("accepted %d, counts %+v; want 2 accepted, 8 dropped, 3 queued", accepted, c)
	}
	if n := strings.Count(log.String(), "dropping scores"); n != 1 {
		t.Fatalf("drop logged %d times, want once", n)
	}
	close(release)
	if err := s.Flush(ctxT(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	if c := s.Counts(); c.Sent != 3 || c.Queued != 0 {
		t.Fatalf("counts %+v", c)
	}
}

func TestSenderFlushWaitsAndRespectsDeadline(t *testing.T) {
	srv, release, n := blocker(t)
	s := newSender(srv.URL, io.Discard, nil)
	t.Cleanup(func() { shutdownNow(s) })
	s.Enqueue(Job{Method: "POST", Path: "/x", Body: []byte(`{}`)})
	start := time.Now()
	err := s.Flush(ctxT(t, 100*time.Millisecond))
	if err == nil || time.Since(start) > 2*time.Second {
		t.Fatalf("Flush = %v after %s; want a deadline error", err, time.Since(start))
	}
	done := make(chan error, 1)
	go func() { done <- s.Flush(ctxT(t, 5*time.Second)) }()
	select {
	case err := <-done:
		t.Fatalf("Flush returned %v while the score was in flight", err)
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n.Load() != 1 || s.Counts().Sent != 1 {
		t.Fatalf("requests %d counts %+v", n.Load(), s.Counts())
	}
	_ = s.Shutdown(ctxT(t, time.Second))
}

func TestSenderShutdownStopsEverything(t *testing.T) {
	srv, _, _ := blocker(t)
	s := newSender(srv.URL, io.Discard, func(c *SenderConfig) { c.Workers = 2 })
	for range 5 {
		s.Enqueue(Job{Method: "POST", Path: "/x", Body: []byte(`{}`)})
	}
	time.Sleep(20 * time.Millisecond) // let two requests be in flight
	start := time.Now()
	err := s.Shutdown(ctxT(t, 100*time.Millisecond))
	if err == nil || time.Since(start) > 2*time.Second {
		t.Fatalf("Shutdown = %v after %s", err, time.Since(start))
	}
	c := s.Counts()
	if c.Queued != 0 || c.Failed+c.Dropped != 5 || c.Sent != 0 {
		t.Fatalf("counts %+v: every job must end counted", c)
	}
	if s.Enqueue(Job{Method: "POST", Path: "/x"}) || s.Counts().Dropped != c.Dropped+1 {
		t.Fatal("a job after Shutdown must be dropped and counted")
	}
	if err := s.Shutdown(ctxT(t, time.Second)); err != nil {
		t.Fatalf("second Shutdown: %v", err)
	}
	// The workers are gone: wg.Wait returned inside Shutdown.
	s.wg.Wait()
}

func TestSenderStartsNoGoroutineUntilUsed(t *testing.T) {
	s := newSender("http://127.0.0.1:1", io.Discard, nil)
	if s.started {
		t.Fatal("started before the first job")
	}
	if err := s.Shutdown(ctxT(t, time.Second)); err != nil {
		t.Fatal(err)
	}
}

// A job whose retries a shutdown cut short: the warning says both the
// shutdown and the last real failure (review of issue 20, finding 12).
func TestSenderShutdownKeepsTheLastRealError(t *testing.T) {
	f := newFault(t, 503, 503, 503, 503, 503, 503, 503, 503, 503, 503)
	var log logBuf
	s := newSender(f.srv.URL, &log, func(c *SenderConfig) {
		c.MaxAttempts = 10
		c.Backoff = Backoff{Initial: 300 * time.Millisecond, Max: 300 * time.Millisecond}
	})
	s.Enqueue(Job{Method: "POST", Path: "/x", Body: []byte(`{}`)})
	deadline := time.Now().Add(5 * time.Second)
	for len(f.got()) == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	_ = s.Shutdown(ctxT(t, 50*time.Millisecond))
	out := log.String()
	if !strings.Contains(out, "shut down") || !strings.Contains(out, "503") {
		t.Errorf("want the shutdown and the last real error (503) said:\n%s", out)
	}
}
