package litefuse

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/litefuse/litefuse-go/internal/export"
	api "github.com/litefuse/litefuse-go/internal/platform"
)

// ErrShutdown is returned, wrapped, by [Flush], [Init] and the score
// functions after [Shutdown]: the library was shut down and nothing more
// is recorded or sent. Calls made through recording clients keep working,
// unrecorded. Test with errors.Is.
var ErrShutdown = export.ErrShutdown

// Shutdown is final for the process: once it has begun, no pipeline is
// built any more (not the default one, not a new client's, not a REST
// side), so nothing it stopped starts again. The flag is set while
// holding every lock a pipeline is built under (defaultMu, restMu,
// registry.mu, in that order, the only order they are ever nested in), so
// a pipeline is either built before it, and Shutdown sees and stops it,
// or not at all.
var life struct {
	shut atomic.Bool

	mu   sync.Mutex
	done chan struct{} // made by the first Shutdown, closed when it is done
	err  error         // its result; read after done is closed
}

// isShutDown reports whether Shutdown has been called.
func isShutDown() bool { return life.shut.Load() }

// beginShutdown marks the process shut down. It reports whether this is
// the first Shutdown, and the channel closed when that one is done.
func beginShutdown() (first bool, done chan struct{}) {
	life.mu.Lock()
	first = life.done == nil
	if first {
		life.done = make(chan struct{})
	}
	done = life.done
	life.mu.Unlock()
	if first {
		defaultMu.Lock()
		restMu.Lock()
		registry.mu.Lock()
		life.shut.Store(true)
		registry.mu.Unlock()
		restMu.Unlock()
		defaultMu.Unlock()
	}
	return first, done
}

// Shutdown sends what is queued and stops the default pipeline and every
// per-client pipeline (with their scores and media uploads), returning by
// ctx's deadline. Calls recorded before it (a large call's recording is
// finished beside the call) are waited for. At the deadline the export in
// flight is cancelled and the spans not sent are counted Dropped (or
// Failed); when it returns, no goroutine of the pipelines runs and the idle
// connections of the library's own HTTP transport are closed.
//
// It is final: afterwards nothing is recorded or sent and nothing is
// started again, whatever is first used afterwards (a client with new
// credentials, Observe, scores). Traced clients keep working as plain
// clients; [Flush], [Init] and the score functions return an error
// wrapping [ErrShutdown]. Calling it twice is safe: a second call (a
// signal handler's and a deferred one) waits for the first to finish,
// within its own ctx, and returns the first's result. With tracing off it
// returns what Flush would.
func Shutdown(ctx context.Context) error {
	first, done := beginShutdown()
	if !first {
		if err := api.Await(ctx, done); err != nil {
			return fmt.Errorf("litefuse: shutdown: %w while an earlier Shutdown was still sending", err)
		}
		return life.err
	}
	early := ctx.Err() != nil
	life.err = shutdownAll(ctx)
	if life.err != nil && early {
		life.err = fmt.Errorf("%w\nlitefuse: shutdown: ctx was already done when Shutdown was called (a signal.NotifyContext's ctx is, once the signal came): give Shutdown a fresh timeout, e.g. context.WithTimeout(context.Background(), 5*time.Second)", life.err)
	}
	close(done)
	return life.err
}

// closedRest is a REST side built after Shutdown (nothing used one
// before): GetPrompt and AuthCheck work, without background refreshes;
// nothing is queued and no goroutine starts.
func closedRest(cfg config) *rest {
	r := newRest(cfg, defaultTuning)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_ = r.shutdown(ctx) // nothing is queued: returns at once
	return r
}

// afterShutdownWarned is set once a pipeline first needed after Shutdown
// was warned about.
var afterShutdownWarned atomic.Bool

// warnAfterShutdown says, once, that a pipeline first needed after
// Shutdown is not built: its calls pass through unrecorded.
func warnAfterShutdown(log *slog.Logger) {
	if afterShutdownWarned.CompareAndSwap(false, true) {
		log.Warn("litefuse: a pipeline was first needed after Shutdown: nothing is recorded or sent, calls pass through; Shutdown is final for the process: call it once at exit, and Flush (not Shutdown) between tests")
	}
}
