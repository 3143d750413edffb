package litefuse

import (
	"context"
	"testing"
	"time"

	api "github.com/litefuse/litefuse-go/internal/platform"
)

// Test hooks for the platform tests in package litefuse_test: the REST
// side normally reads the process-wide default pipeline, which a test
// binary can configure only once.

// UsePlatformForTest points prompts, scores and links at a config built
// from opts (on the defaults, without the environment), with retries
// shortened and the score queue sized queue (0: the default), until the
// test ends.
func UsePlatformForTest(t testing.TB, queue int, opts ...Option) {
	t.Helper()
	tu := defaultTuning
	if queue > 0 {
		tu.scoreQueue = queue
	}
	usePlatform(t, tu, opts)
}

// UseMediaLimitsForTest is UsePlatformForTest with the media queue bounded
// to mediaBytes bytes (0: the default).
func UseMediaLimitsForTest(t testing.TB, mediaBytes int64, opts ...Option) {
	t.Helper()
	tu := defaultTuning
	if mediaBytes > 0 {
		tu.mediaBytes = mediaBytes
	}
	usePlatform(t, tu, opts)
}

func usePlatform(t testing.TB, tu tuning, opts []Option) {
	t.Helper()
	cfg := defaultConfig()
	cfg.apply(opts)
	tu.backoff = api.Backoff{Initial: 5 * time.Millisecond, Max: 20 * time.Millisecond, MaxRetryAfter: 5 * time.Second}
	r := newRest(cfg, tu)
	r.forTest = true
	prev := restCur.Swap(r)
	switch {
	case prev != nil && prev.forTest:
		t.Fatal("UsePlatformForTest: the platform is already in use; tests using it must not run in parallel")
	case prev != nil: // built by a traced call of an earlier test
		_ = prev.shutdown(context.Background())
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = shutdownPlatform(ctx)
		restCur.Store(nil)
	})
}

// PlatformStats, FlushPlatform and ShutdownPlatform are the hooks Stats,
// Flush and Shutdown use.
func PlatformStats() (sent, failed, dropped, queued int64) { return platformStats() }
func FlushPlatform(ctx context.Context) error              { return flushPlatform(ctx) }
func ShutdownPlatform(ctx context.Context) error           { return shutdownPlatform(ctx) }
