package export

import (
	"context"
	"sync"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// slowExporter takes d per export, or gives up when its context ends.
type slowExporter struct {
	d         time.Duration
	mu        sync.Mutex
	cancelled int
	exported  int
}

func (e *slowExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	select {
	case <-time.After(e.d):
		e.mu.Lock()
		e.exported += len(spans)
		e.mu.Unlock()
		return nil
	case <-ctx.Done():
		e.mu.Lock()
		e.cancelled += len(spans)
		e.mu.Unlock()
		return ctx.Err()
	}
}

func (e *slowExporter) Shutdown(context.Context) error { return nil }

// Why the pipeline owns its processor: the SDK's BatchSpanProcessor runs a
// ForceFlush's export under the flush's own context, so a Flush with a
// short deadline (the "flush at the end of the handler" pattern) cancels
// the export and the spans are lost. The same scenario through
// [Processor] loses nothing (TestFlushTimeoutNeverCancelsTheExport). This
// test records the stock behaviour; if it ever fails, the SDK changed and
// the stock processor may do again.
func TestStockBatchProcessorCancelsExportOnFlushTimeout(t *testing.T) {
	exp := &slowExporter{d: 50 * time.Millisecond}
	bsp := sdktrace.NewBatchSpanProcessor(exp, sdktrace.WithBatchTimeout(time.Hour))
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(bsp))
	defer tp.Shutdown(context.Background())
	_, s := tp.Tracer("t").Start(context.Background(), "s")
	s.End()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	_ = tp.ForceFlush(ctx)
	cancel()
	time.Sleep(100 * time.Millisecond)
	_ = tp.ForceFlush(context.Background())
	exp.mu.Lock()
	defer exp.mu.Unlock()
	if exp.cancelled != 1 || exp.exported != 0 {
		t.Errorf("stock processor: %d spans cancelled, %d exported; the SDK no longer cancels on a flush timeout", exp.cancelled, exp.exported)
	}
}
