package export

import (
	"errors"
	"log/slog"
	"sync"
)

// Reporter logs export outcomes: one warning when exports start failing,
// one line when they recover, debug lines in between (when Debug), and one
// warning the first time Litefuse rejects part of a batch. Every line is
// bounded: error texts carry at most MaxBodyInError bytes of a body.
type Reporter struct {
	Log      *slog.Logger
	Debug    bool
	Endpoint string            // as it may be shown: no credentials, no query
	Explain  func(error) error // adds what the user can do; may be nil

	mu            sync.Mutex
	failing       bool
	partialWarned bool
}

// Report is a [ProcessorConfig.Report] function.
func (r *Reporter) Report(n, accepted int, partialMsg string, err error) {
	if err != nil && r.Explain != nil {
		err = r.Explain(err)
	}
	r.mu.Lock()
	wasFailing := r.failing
	r.failing = err != nil
	warnPartial := err == nil && accepted < n && !r.partialWarned
	if warnPartial {
		r.partialWarned = true
	}
	r.mu.Unlock()
	var cut *ErrCutByShutdown
	switch {
	case errors.As(err, &cut):
		// Not an outage: the application stopped waiting.
		r.Log.Warn("litefuse: Shutdown's deadline passed while spans were being sent; they are not sent (counted Failed): give Shutdown's context a longer timeout (a few seconds is usual)",
			"endpoint", r.Endpoint, "spans", n-accepted)
	case err != nil && !wasFailing:
		r.Log.Warn("litefuse: export failed; spans are counted Failed until Litefuse answers again",
			"endpoint", r.Endpoint, "spans", n-accepted, "error", err.Error())
	case err != nil:
		if r.Debug {
			r.Log.Debug("litefuse: export failed", "spans", n, "error", err.Error())
		}
	case wasFailing:
		r.Log.Info("litefuse: export recovered", "endpoint", r.Endpoint)
	}
	if err != nil {
		return
	}
	if accepted < n {
		if warnPartial {
			r.Log.Warn("litefuse: Litefuse rejected part of an export (counted Failed); later rejections are logged at debug level",
				"endpoint", r.Endpoint, "spans", n, "rejected", n-accepted, "message", partialMsg)
		} else if r.Debug {
			r.Log.Debug("litefuse: Litefuse rejected part of an export", "spans", n, "rejected", n-accepted, "message", partialMsg)
		}
	}
	if r.Debug {
		r.Log.Debug("litefuse: exported", "spans", accepted)
	}
}
