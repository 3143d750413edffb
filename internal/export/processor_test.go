package export

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// fakeExporter answers at once, or waits for gate (or its context).
type fakeExporter struct {
	mu       sync.Mutex
	gate     chan struct{} // nil: answer at once; else wait for it (or ctx)
	outcome  func(n int) (accepted int, err error)
	ctxErrs  []error
	exported int
	shut     bool
}

func (f *fakeExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	f.mu.Lock()
	gate := f.gate
	f.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			f.mu.Lock()
			f.ctxErrs = append(f.ctxErrs, ctx.Err())
			f.mu.Unlock()
			return ctx.Err()
		}
	}
	n := len(spans)
	accepted, err := n, error(nil)
	if f.outcome != nil {
		accepted, err = f.outcome(n)
		if r := resultFrom(ctx); r != nil && err == nil {
			r.set = true
			r.add(accepted, n-accepted, "rejected by the fake")
		}
	}
	f.mu.Lock()
	f.exported += accepted
	f.mu.Unlock()
	return err
}

func (f *fakeExporter) Shutdown(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.shut = true
	return nil
}

func newTestProcessor(t *testing.T, exp *fakeExporter, mod func(*ProcessorConfig)) (*Processor, trace.Tracer) {
	t.Helper()
	cfg := ProcessorConfig{Exporter: exp, BatchSize: 4, Interval: time.Hour, Timeout: 10 * time.Second,
		MaxSpans: 8, MaxBytes: 1 << 30, MaxSpanName: 1000}
	if mod != nil {
		mod(&cfg)
	}
	p := NewProcessor(cfg)
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(p))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		_ = p.Shutdown(ctx)
		_ = tp.Shutdown(ctx)
	})
	return p, tp.Tracer("test")
}

func emit(tr trace.Tracer, n int, attrs ...attribute.KeyValue) {
	for range n {
		_, s := tr.Start(context.Background(), "s")
		s.SetAttributes(attrs...)
		s.End()
	}
}

func invariant(t *testing.T, c Counts) {
	t.Helper()
	if c.Ended != c.Exported+c.Failed+c.Dropped+c.Queued {
		t.Errorf("counts %+v: Ended != Exported + Failed + Dropped + Queued", c)
	}
}

func TestFlushTimeoutNeverCancelsTheExport(t *testing.T) {
	exp := &fakeExporter{gate: make(chan struct{})}
	p, tr := newTestProcessor(t, exp, nil)
	emit(tr, 3)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := p.Flush(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Flush: %v, want its deadline", err)
	}
	close(exp.gate)
	if err := p.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if c := p.Counts(); c.Exported != 3 || c.Failed != 0 || len(exp.ctxErrs) != 0 {
		t.Errorf("counts %+v, export contexts ended %v: the export was cancelled", c, exp.ctxErrs)
	}
}

func TestTimedOutFlushesCostNoCapacity(t *testing.T) {
	exp := &fakeExporter{gate: make(chan struct{})}
	p, tr := newTestProcessor(t, exp, nil) // 8 waiting spans at most
	emit(tr, 4)                            // one batch, stuck in flight
	for range 100 {
		ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
		_ = p.Flush(ctx)
		cancel()
	}
	emit(tr, 8) // the queue's full capacity is still there
	if c := p.Counts(); c.Dropped != 0 || c.Queued != 12 {
		t.Errorf("counts %+v: timed-out flushes took capacity", c)
	}
	close(exp.gate)
	if err := p.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	c := p.Counts()
	if c.Exported != 12 || c.Queued != 0 {
		t.Errorf("counts %+v", c)
	}
	invariant(t, c)
}

func TestShutdownDeadlineCountsWhatIsLeft(t *testing.T) {
	exp := &fakeExporter{gate: make(chan struct{})} // never opens
	p, tr := newTestProcessor(t, exp, nil)
	emit(tr, 7)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := p.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown: %v", err)
	}
	select {
	case <-p.done:
	default:
		t.Error("the export goroutine outlived Shutdown")
	}
	c := p.Counts()
	if c.Queued != 0 || c.Failed+c.Dropped != 7 {
		t.Errorf("counts %+v: want all 7 failed or dropped", c)
	}
	invariant(t, c)
	if !exp.shut {
		t.Error("exporter not shut down")
	}
	if err := p.Flush(context.Background()); !errors.Is(err, ErrShutdown) || !strings.Contains(err.Error(), "shut down") {
		t.Errorf("Flush after Shutdown: %v", err)
	}
	emit(tr, 1)
	if c := p.Counts(); c.Dropped+c.Failed != 8 {
		t.Errorf("a span ended after Shutdown is not counted: %+v", c)
	}
}

func TestByteBudget(t *testing.T) {
	exp := &fakeExporter{gate: make(chan struct{})}
	big := attribute.String("input", strings.Repeat("x", 100<<10))
	p, tr := newTestProcessor(t, exp, func(c *ProcessorConfig) { c.MaxSpans = 1000; c.MaxBytes = 1 << 20 })
	emit(tr, 50, big)
	c := p.Counts()
	if c.Queued > 10 || c.Queued < 8 || c.Dropped != 50-c.Queued {
		t.Errorf("counts %+v: want about 10 spans of 100 KB under a 1 MiB budget", c)
	}
	invariant(t, c)
	close(exp.gate)
	if err := p.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	emit(tr, 5, big) // the budget is back after export
	if c2 := p.Counts(); c2.Dropped != c.Dropped {
		t.Errorf("counts %+v after export, was %+v", c2, c)
	}
}

// The invariant holds at every instant, whatever the outcomes, with spans
// ended from many goroutines.
func TestCountsInvariantUnderRandomOutcomes(t *testing.T) {
	var mu sync.Mutex
	rng := rand.New(rand.NewPCG(1, 2))
	exp := &fakeExporter{outcome: func(n int) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		switch rng.IntN(3) {
		case 0:
			return 0, errors.New("down")
		case 1:
			return rng.IntN(n + 1), nil // partial success
		}
		return n, nil
	}}
	p, tr := newTestProcessor(t, exp, func(c *ProcessorConfig) { c.Interval = time.Millisecond; c.MaxSpans = 16 })
	var wg sync.WaitGroup
	stop := make(chan struct{})
	go func() {
		for {
			select {
			case <-stop:
				return
			default:
				invariant(t, p.Counts())
			}
		}
	}()
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			emit(tr, 500)
		}()
	}
	wg.Wait()
	_ = p.Flush(context.Background())
	close(stop)
	c := p.Counts()
	if c.Ended != 4000 || c.Queued != 0 || c.Exported != int64(exp.exported) {
		t.Errorf("counts %+v, exporter took %d", c, exp.exported)
	}
	invariant(t, c)
}

func TestSpanNameCutOnStart(t *testing.T) {
	exp := &fakeExporter{}
	p, tr := newTestProcessor(t, exp, func(c *ProcessorConfig) { c.MaxSpanName = 10 })
	_, s := tr.Start(context.Background(), strings.Repeat("é", 30))
	ro := s.(sdktrace.ReadOnlySpan)
	if got := ro.Name(); got != strings.Repeat("é", 10) {
		t.Errorf("name %q", got)
	}
	s.End()
	_ = p.Flush(context.Background())
}

// TestShutdownCutIsNotReportedAsAnOutage: an export that Shutdown's
// deadline cancels is reported as that, with the number of spans not
// sent and the fix, not as Litefuse failing ("until Litefuse answers
// again"); an export that fails on its own still is.
func TestShutdownCutIsNotReportedAsAnOutage(t *testing.T) {
	var logs strings.Builder
	var mu sync.Mutex
	rep := &Reporter{Log: slog.New(slog.NewTextHandler(lockedWriter{&mu, &logs}, nil)), Endpoint: "http://127.0.0.1:1/v1/traces"}
	exp := &fakeExporter{gate: make(chan struct{})} // never opens
	p, tr := newTestProcessor(t, exp, func(c *ProcessorConfig) { c.Report = rep.Report })
	emit(tr, 4) // one batch, in flight
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_ = p.Shutdown(ctx)
	mu.Lock()
	got := logs.String()
	mu.Unlock()
	if !strings.Contains(got, "Shutdown's deadline passed") || !strings.Contains(got, "spans=4") || !strings.Contains(got, "longer timeout") || strings.Contains(got, "until Litefuse answers again") {
		t.Errorf("a batch cut by Shutdown was logged as:\n%s", got)
	}

	logs.Reset()
	rep2 := &Reporter{Log: slog.New(slog.NewTextHandler(lockedWriter{&mu, &logs}, nil))}
	rep2.Report(4, 1, "", errors.New("503 Service Unavailable"))
	mu.Lock()
	got = logs.String()
	mu.Unlock()
	if !strings.Contains(got, "until Litefuse answers again") || !strings.Contains(got, "spans=3") {
		t.Errorf("a failed export was logged as:\n%s", got)
	}
}

// failingUntilCancelled fails every attempt with a server error and
// returns it when its context ends, as the client does when Shutdown's
// deadline passes during its backoff.
type failingUntilCancelled struct{}

func (failingUntilCancelled) ExportSpans(ctx context.Context, _ []sdktrace.ReadOnlySpan) error {
	<-ctx.Done()
	return errors.New("Litefuse answered 503 Service Unavailable")
}
func (failingUntilCancelled) Shutdown(context.Context) error { return nil }

// TestShutdownCutOfAnOutageIsReportedAsTheOutage: when Shutdown's deadline
// passes while an export was failing on its own (Litefuse down, the
// client backing off), the warning is the outage's, with its error, not
// "give Shutdown a longer timeout" (review 31, finding 1).
func TestShutdownCutOfAnOutageIsReportedAsTheOutage(t *testing.T) {
	var logs strings.Builder
	var mu sync.Mutex
	rep := &Reporter{Log: slog.New(slog.NewTextHandler(lockedWriter{&mu, &logs}, nil))}
	p := NewProcessor(ProcessorConfig{Exporter: failingUntilCancelled{}, BatchSize: 4, Interval: time.Hour, Timeout: 10 * time.Second,
		MaxSpans: 8, MaxBytes: 1 << 30, Report: rep.Report})
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(p))
	emit(tp.Tracer("test"), 4)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_ = p.Shutdown(ctx)
	mu.Lock()
	got := logs.String()
	mu.Unlock()
	if !strings.Contains(got, "until Litefuse answers again") || !strings.Contains(got, "503") || strings.Contains(got, "longer timeout") {
		t.Errorf("an outage cut by Shutdown was logged as:\n%s", got)
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// namesExporter records the names of the spans it is given.
type namesExporter struct {
	mu    sync.Mutex
	names map[string]int
	bad   int // nil spans in a batch
}

func (e *namesExporter) ExportSpans(_ context.Context, spans []sdktrace.ReadOnlySpan) error {
	time.Sleep(time.Duration(rand.IntN(200)) * time.Microsecond) // spans keep coming meanwhile
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, s := range spans {
		if s == nil {
			e.bad++
			continue
		}
		e.names[s.Name()]++
	}
	return nil
}

func (e *namesExporter) Shutdown(context.Context) error { return nil }

// TestEverySpanExportedOnceAcrossReusedBatches: the processor reuses a
// batch's array as the next queue and its span slice for the next export;
// with spans ending from several goroutines while batches are exported,
// whole or in part, every span reaches the exporter exactly once.
func TestEverySpanExportedOnceAcrossReusedBatches(t *testing.T) {
	exp := &namesExporter{names: map[string]int{}}
	p := NewProcessor(ProcessorConfig{Exporter: exp, BatchSize: 16, Interval: time.Millisecond,
		Timeout: 10 * time.Second, MaxSpans: 1 << 20, MaxBytes: 1 << 40})
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(p))
	tr := tp.Tracer("test")
	const goroutines, each = 4, 3000
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				_, s := tr.Start(context.Background(), strconv.Itoa(g*each+i))
				s.End()
				if i%500 == 0 {
					_ = p.Flush(context.Background())
				}
			}
		}()
	}
	wg.Wait()
	if err := p.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	exp.mu.Lock()
	defer exp.mu.Unlock()
	if exp.bad != 0 || len(exp.names) != goroutines*each {
		t.Fatalf("%d nil spans, %d distinct of %d", exp.bad, len(exp.names), goroutines*each)
	}
	for name, n := range exp.names {
		if n != 1 {
			t.Errorf("span %s exported %d times", name, n)
		}
	}
	if c := p.Counts(); c.Exported != goroutines*each || c.Dropped != 0 {
		t.Errorf("counts %+v", c)
	}
}
