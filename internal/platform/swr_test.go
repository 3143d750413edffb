package platform

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newCache(clk *clock) *Cache[int] {
	return &Cache[int]{Now: clk.now, RetryAfterFail: time.Second}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 5s")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestCacheFreshStaleRefresh(t *testing.T) {
	clk := &clock{t: time.Unix(0, 0)}
	c := newCache(clk)
	var calls atomic.Int64
	fetch := func(context.Context) (int, error) { return int(calls.Add(1)), nil }
	ctx := context.Background()
	if v, src, err := c.Get(ctx, "k", time.Minute, fetch); v != 1 || src != Fetched || err != nil {
		t.Fatalf("%d %v %v", v, src, err)
	}
	if v, src, _ := c.Get(ctx, "k", time.Minute, fetch); v != 1 || src != Fresh {
		t.Fatalf("%d %v", v, src)
	}
	clk.add(2 * time.Minute)
	if v, src, _ := c.Get(ctx, "k", time.Minute, fetch); v != 1 || src != Stale {
		t.Fatalf("stale: %d %v", v, src)
	}
	waitFor(t, func() bool { v, src, _ := c.Get(ctx, "k", time.Minute, fetch); return v == 2 && src == Fresh })
	if calls.Load() != 2 {
		t.Fatalf("%d fetches, want 2", calls.Load())
	}
	_ = c.Close(ctx)
}

func TestCacheOneRefreshAtATime(t *testing.T) {
	clk := &clock{t: time.Unix(0, 0)}
	c := newCache(clk)
	release := make(chan struct{})
	var calls atomic.Int64
	fetch := func(ctx context.Context) (int, error) {
		if calls.Add(1) > 1 {
			<-release
		}
		return 7, nil
	}
	ctx := context.Background()
	_, _, _ = c.Get(ctx, "k", time.Second, fetch)
	clk.add(time.Hour)
	for range 50 {
		if _, src, _ := c.Get(ctx, "k", time.Second, fetch); src != Stale {
			t.Fatalf("src %v", src)
		}
	}
	waitFor(t, func() bool { return calls.Load() == 2 })
	time.Sleep(10 * time.Millisecond)
	if calls.Load() != 2 {
		t.Fatalf("%d fetches, want 2 (one refresh)", calls.Load())
	}
	close(release)
	_ = c.Close(ctx)
}

func TestCacheFailedRefreshKeepsStaleAndWaits(t *testing.T) {
	clk := &clock{t: time.Unix(0, 0)}
	c := newCache(clk)
	var calls atomic.Int64
	var heard atomic.Int64
	c.OnRefreshError = func(string, error) { heard.Add(1) }
	fail := false
	var mu sync.Mutex
	fetch := func(context.Context) (int, error) {
		calls.Add(1)
		mu.Lock()
		defer mu.Unlock()
		if fail {
			return 0, errors.New("down")
		}
		return 1, nil
	}
	ctx := context.Background()
	_, _, _ = c.Get(ctx, "k", time.Second, fetch)
	mu.Lock()
	fail = true
	mu.Unlock()
	clk.add(time.Hour)
	_, _, _ = c.Get(ctx, "k", time.Second, fetch)
	waitFor(t, func() bool { return heard.Load() == 1 })
	if v, src, err := c.Get(ctx, "k", time.Second, fetch); v != 1 || src != Stale || err != nil {
		t.Fatalf("%d %v %v", v, src, err)
	}
	if calls.Load() != 2 {
		t.Fatalf("refreshed again before RetryAfterFail: %d fetches", calls.Load())
	}
	clk.add(2 * time.Second)
	_, _, _ = c.Get(ctx, "k", time.Second, fetch)
	waitFor(t, func() bool { return heard.Load() == 2 })
	_ = c.Close(ctx)
}

func TestCacheColdKeyFetchedOnce(t *testing.T) {
	c := &Cache[int]{}
	var calls atomic.Int64
	release := make(chan struct{})
	fetch := func(context.Context) (int, error) { calls.Add(1); <-release; return 5, nil }
	var wg sync.WaitGroup
	results := make(chan int, 20)
	for range 20 {
		wg.Go(func() {
			v, _, err := c.Get(context.Background(), "k", time.Minute, fetch)
			if err != nil {
				t.Error(err)
			}
			results <- v
		})
	}
	waitFor(t, func() bool { return calls.Load() == 1 })
	time.Sleep(20 * time.Millisecond)
	close(release)
	wg.Wait()
	close(results)
	for v := range results {
		if v != 5 {
			t.Fatalf("got %d", v)
		}
	}
	if calls.Load() != 1 {
		t.Fatalf("%d fetches, want 1", calls.Load())
	}
}

func TestCacheFailureNotCached(t *testing.T) {
	c := &Cache[int]{}
	var calls atomic.Int64
	fetch := func(context.Context) (int, error) { calls.Add(1); return 0, errors.New("down") }
	for range 3 {
		if _, _, err := c.Get(context.Background(), "k", time.Minute, fetch); err == nil {
			t.Fatal("want the error")
		}
	}
	if calls.Load() != 3 {
		t.Fatalf("%d fetches, want 3", calls.Load())
	}
}

func TestCacheWaiterHonoursItsCtxAndOutlivesTheLeader(t *testing.T) {
	c := &Cache[int]{}
	leaderIn := make(chan struct{})
	var calls atomic.Int64
	fetch := func(ctx context.Context) (int, error) {
		if calls.Add(1) == 1 {
			close(leaderIn)
			<-ctx.Done()
			return 0, ctx.Err()
		}
		return 9, nil
	}
	lctx, lcancel := context.WithCancel(context.Background())
	go func() { _, _, _ = c.Get(lctx, "k", time.Minute, fetch) }()
	<-leaderIn
	// A waiter with a short ctx gives up on its own.
	sctx, scancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer scancel()
	if _, _, err := c.Get(sctx, "k", time.Minute, fetch); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v", err)
	}
	// A patient waiter survives the leader's cancellation and fetches itself.
	done := make(chan int)
	go func() { v, _, _ := c.Get(context.Background(), "k", time.Minute, fetch); done <- v }()
	time.Sleep(10 * time.Millisecond)
	lcancel()
	if v := <-done; v != 9 {
		t.Fatalf("got %d", v)
	}
}

func TestCacheZeroTTLBypasses(t *testing.T) {
	c := &Cache[int]{}
	var calls atomic.Int64
	fetch := func(context.Context) (int, error) { return int(calls.Add(1)), nil }
	_, _, _ = c.Get(context.Background(), "k", 0, fetch)
	v, src, _ := c.Get(context.Background(), "k", 0, fetch)
	if v != 2 || src != Fetched {
		t.Fatalf("%d %v", v, src)
	}
	if v, _, _ := c.Get(context.Background(), "k", time.Minute, fetch); v != 3 {
		t.Fatalf("a TTL-0 fetch was cached: %d", v)
	}
}

func TestCacheCloseStopsRefreshes(t *testing.T) {
	clk := &clock{t: time.Unix(0, 0)}
	c := newCache(clk)
	var calls atomic.Int64
	fetch := func(ctx context.Context) (int, error) {
		if calls.Add(1) > 1 {
			<-ctx.Done() // a refresh hanging until Close cancels it
			return 0, ctx.Err()
		}
		return 1, nil
	}
	_, _, _ = c.Get(context.Background(), "k", time.Second, fetch)
	clk.add(time.Hour)
	_, _, _ = c.Get(context.Background(), "k", time.Second, fetch)
	waitFor(t, func() bool { return calls.Load() == 2 })
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := c.Close(ctx); err != nil {
		t.Fatal(err)
	}
	clk.add(time.Hour)
	if v, src, _ := c.Get(context.Background(), "k", time.Second, fetch); v != 1 || src != Stale {
		t.Fatalf("%d %v", v, src)
	}
	time.Sleep(10 * time.Millisecond)
	if calls.Load() != 2 {
		t.Fatal("a refresh started after Close")
	}
}

func TestCacheBounded(t *testing.T) {
	c := &Cache[int]{MaxEntries: 3}
	for i := range 10 {
		_, _, _ = c.Get(context.Background(), string(rune('a'+i)), time.Minute, func(context.Context) (int, error) { return i, nil })
	}
	if len(c.items) != 3 {
		t.Fatalf("%d entries, want 3", len(c.items))
	}
}
