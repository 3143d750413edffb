package export

import (
	"context"
	"sync"
)

// Result is what one export achieved, filled in by [Client.UploadTraces]
// when the exporter's context carries it (see [WithResult]).
type Result struct {
	mu       sync.Mutex
	set      bool
	accepted int
	rejected int
	message  string // the server's partial-success message, if any
}

type resultKey struct{}

// WithResult returns ctx carrying r.
func WithResult(ctx context.Context, r *Result) context.Context {
	return context.WithValue(ctx, resultKey{}, r)
}

func resultFrom(ctx context.Context) *Result {
	r, _ := ctx.Value(resultKey{}).(*Result)
	return r
}

func (r *Result) add(accepted, rejected int, msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.accepted += accepted
	r.rejected += rejected
	if msg != "" {
		r.message = msg
	}
}

// Accepted returns how many of n spans the server accepted, given the
// exporter's error: what the client recorded when it ran, else all or
// nothing.
func (r *Result) Accepted(n int, err error) (accepted int, partialMsg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.set {
		if err != nil {
			return 0, ""
		}
		return n, ""
	}
	return min(r.accepted, n), r.message
}
