package litefuse

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	api "github.com/litefuse/litefuse-go/internal/platform"
)

// rest is a pipeline's REST side: prompts, scores, media uploads and the
// project lookup. It is built on first use from the pipeline's config, so
// it sees the same keys, base URL, environment, HTTP client and logger.
// The default pipeline's is restCur; a per-client pipeline's is its own.
type rest struct {
	api     *api.Client // nil when err is set
	prompt  *api.Client // api without a per-attempt timeout: GetPrompt bounds the whole fetch
	err     error       // why the REST API cannot be used: missing keys, bad base URL
	base    string
	to      target // the setting that chose base, for messages
	env     string // a valid environment, else ""
	send    bool   // scores are sent (tracing enabled and usable config)
	timeout time.Duration
	log     *slog.Logger
	debug   bool

	prompts api.Cache[*Prompt]
	scores  *api.Sender
	media   *api.MediaUploader // nil when nothing can be uploaded: data URIs stay inline
	forTest bool               // installed by UsePlatformForTest
	// idle is the library's own transport its requests go through: the
	// pipeline's (export uses it too), closed at Shutdown.
	idle interface{ CloseIdleConnections() }

	projectLock chan struct{} // one project lookup at a time
	project     atomic.Pointer[string]
}

// tuning holds the REST side's limits; tests shorten them.
type tuning struct {
	scoreQueue    int
	scoreWorkers  int
	scoreAttempts int
	mediaQueue    int
	mediaBytes    int64
	backoff       api.Backoff
}

var defaultTuning = tuning{
	scoreQueue:    1000,
	scoreWorkers:  2,
	scoreAttempts: 5,
	mediaQueue:    1000,
	mediaBytes:    64 << 20,
	backoff:       api.Backoff{Initial: 500 * time.Millisecond, Max: 10 * time.Second, MaxRetryAfter: time.Minute},
}

// promptCacheMax bounds the cached prompt versions (name and label/version).
const promptCacheMax = 1000

func newRest(cfg config, tu tuning) *rest {
	r := &rest{
		timeout:     cfg.timeout,
		log:         cfg.log(),
		debug:       cfg.debug,
		projectLock: make(chan struct{}, 1),
	}
	if r.timeout <= 0 {
		r.timeout = DefaultTimeout
	}
	if validEnvironment(cfg.environment) {
		r.env = cfg.environment
	}
	r.err = missingKeys(&cfg, "prompts, scores and media need them (or WithCredentials)")
	r.to = baseTargetOf(&cfg) // the REST API goes to the base URL, even when spans go to a gateway
	if r.err == nil {
		base, err := api.NormalizeBase(cfg.baseURL)
		if err != nil {
			r.err = baseURLError(r.to, cfg.baseURL, err)
		}
		r.base = base
	}
	if r.err == nil {
		// The pipeline's own client: the same TLS, proxy and redirect rule
		// as export (built here when tracing is off).
		hc, idle, _ := cfg.client()
		r.idle = idle
		r.api = &api.Client{
			Base: r.base, PublicKey: cfg.publicKey, SecretKey: cfg.secretKey,
			HTTP: hc, Timeout: r.timeout, SDKName: sdkName, Version: Version,
		}
		pc := *r.api
		pc.Timeout = 0
		r.prompt = &pc
		r.send = cfg.enabled
	}
	r.prompts.MaxEntries = promptCacheMax
	r.prompts.OnRefreshError = func(key string, err error) {
		if !r.debug {
			return
		}
		r.log.Debug("litefuse: refreshing a cached prompt failed; serving the cached version", "prompt", promptKeyName(key), "reason", err.Error())
	}
	r.scores = api.NewSender(api.SenderConfig{
		Client:      r.api,
		Kind:        "scores",
		QueueSize:   tu.scoreQueue,
		Workers:     tu.scoreWorkers,
		MaxAttempts: tu.scoreAttempts,
		Backoff:     tu.backoff,
		Log:         r.log,
		Debug:       r.debug,
	})
	if r.send {
		r.media = api.NewMediaUploader(api.MediaConfig{
			Client:      r.api,
			QueueSize:   tu.mediaQueue,
			MaxBytes:    tu.mediaBytes,
			Workers:     mediaWorkers,
			MaxAttempts: tu.scoreAttempts,
			Backoff:     tu.backoff,
			Remember:    mediaRemember,
			Log:         r.log,
			Debug:       r.debug,
		})
	}
	return r
}

var (
	restMu  sync.Mutex
	restCur atomic.Pointer[rest]
)

// currentRest returns the default pipeline's REST side, building it (and
// so the default pipeline) on first use.
func currentRest() *rest {
	if r := restCur.Load(); r != nil {
		return r
	}
	inst := defaultInstance()
	restMu.Lock()
	defer restMu.Unlock()
	if r := restCur.Load(); r != nil {
		return r
	}
	var r *rest
	if isShutDown() { // first needed after Shutdown: nothing starts
		r = closedRest(inst.cfg)
	} else {
		r = newRest(inst.cfg, defaultTuning)
	}
	restCur.Store(r)
	return r
}

// platformStats returns the score counts for ReadStats: sent (accepted by
// Litefuse), failed (after retries, or refused), dropped (queue full or
// after shutdown; never sent) and queued (waiting or in flight now). All
// zero before the first platform call.
func platformStats() (scoresSent, scoresFailed, scoresDropped, scoresQueued int64) {
	r := restCur.Load()
	if r == nil {
		return 0, 0, 0, 0
	}
	c := r.scores.Counts()
	return c.Sent, c.Failed, c.Dropped, c.Queued
}

// flushPlatform waits until every score and media upload queued so far
// is sent or has failed, within ctx's deadline. It returns ctx's error
// when it gave up, an error naming the last failure when some failed since
// the previous flush, else nil. Flush calls it.
func flushPlatform(ctx context.Context) error {
	r := restCur.Load()
	if r == nil {
		return nil
	}
	return r.flush(ctx)
}

func (r *rest) flush(ctx context.Context) error {
	if r.media == nil {
		return r.scores.Flush(ctx)
	}
	return both(func() error { return r.scores.Flush(ctx) }, func() error { return r.media.Flush(ctx) })
}

// shutdownPlatform sends the queued scores and media within ctx's
// deadline, then stops every goroutine of the REST side (score and upload
// workers, background prompt refreshes). Scores and media created
// afterwards are dropped and counted; GetPrompt keeps working without
// background refreshes. Shutdown calls it; calling it twice is safe.
func shutdownPlatform(ctx context.Context) error {
	r := restCur.Load()
	if r == nil {
		return nil
	}
	return r.shutdown(ctx)
}

func (r *rest) shutdown(ctx context.Context) error {
	media := func() error { return nil }
	if r.media != nil {
		media = func() error { return r.media.Shutdown(ctx) }
	}
	prompts := r.prompts.Close(ctx)
	if prompts != nil {
		prompts = fmt.Errorf("litefuse: shutdown: %w while prompt refreshes were still running (they stop on their own)", prompts)
	}
	err := errors.Join(both(func() error { return r.scores.Shutdown(ctx) }, media), prompts)
	if r.idle != nil {
		r.idle.CloseIdleConnections()
	}
	return err
}

// both runs a and b at once (each bounded by the same ctx, so neither
// eats the other's time) and joins their errors.
func both(a, b func() error) error {
	done := make(chan error, 1)
	go func() { done <- b() }()
	errA := a()
	return errors.Join(errA, <-done)
}
