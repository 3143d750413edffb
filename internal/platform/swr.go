package platform

import (
	"context"
	"errors"
	"sync"
	"time"
)

// Source says where a Cache value came from.
type Source int

const (
	Fetched Source = iota // fetched by this call (or by a concurrent one it joined)
	Fresh                 // from the cache, within its TTL
	Stale                 // from the cache, past its TTL; a background refresh was due
)

// Cache is a stale-while-revalidate cache: within the TTL a value is served
// as is; past it, the stale value is served at once and refreshed in the
// background, one refresh at a time per key; a missing key is fetched once
// however many callers ask for it concurrently, each waiting within its own
// ctx. A failed fetch is never cached.
type Cache[V any] struct {
	// MaxEntries bounds the keys kept; beyond it an arbitrary key is evicted.
	MaxEntries int
	// RetryAfterFail bounds how soon a failed background refresh is retried
	// (never sooner than the TTL would allow otherwise). Default 5 s.
	RetryAfterFail time.Duration
	// OnRefreshError, when set, hears about each failed background refresh.
	OnRefreshError func(key string, err error)
	// Now is the clock; tests may replace it before first use.
	Now func() time.Time

	once   sync.Once
	mu     sync.Mutex
	items  map[string]*item[V]
	calls  map[string]*call[V]
	closed bool
	bg     context.Context
	stop   context.CancelFunc
	active int           // background refreshes running; under mu
	idle   chan struct{} // closed when active drops to 0; under mu
}

type item[V any] struct {
	val        V
	fetched    time.Time
	notBefore  time.Time // no background refresh before this
	refreshing bool
}

type call[V any] struct {
	done chan struct{}
	val  V
	err  error
}

func (c *Cache[V]) init() {
	c.once.Do(func() {
		c.items = make(map[string]*item[V])
		c.calls = make(map[string]*call[V])
		c.bg, c.stop = context.WithCancel(context.Background())
		if c.Now == nil {
			c.Now = time.Now
		}
		if c.RetryAfterFail <= 0 {
			c.RetryAfterFail = 5 * time.Second
		}
		if c.MaxEntries <= 0 {
			c.MaxEntries = 1000
		}
	})
}

// Get returns key's value. ttl ≤ 0 bypasses the cache: fetch is called
// directly and its result is neither read from nor stored in the cache.
func (c *Cache[V]) Get(ctx context.Context, key string, ttl time.Duration, fetch func(context.Context) (V, error)) (V, Source, error) {
	c.init()
	if ttl <= 0 {
		v, err := fetch(ctx)
		return v, Fetched, err
	}
	retried := false
	for {
		c.mu.Lock()
		if it := c.items[key]; it != nil {
			now := c.Now()
			if now.Sub(it.fetched) < ttl {
				c.mu.Unlock()
				return it.val, Fresh, nil
			}
			if !it.refreshing && !now.Before(it.notBefore) && !c.closed {
				it.refreshing = true
				c.active++
				go c.refresh(key, ttl, fetch)
			}
			v := it.val
			c.mu.Unlock()
			return v, Stale, nil
		}
		cl := c.calls[key]
		if cl == nil { // lead the fetch
			cl = &call[V]{done: make(chan struct{})}
			c.calls[key] = cl
			c.mu.Unlock()
			cl.val, cl.err = fetch(ctx)
			c.mu.Lock()
			delete(c.calls, key)
			if cl.err == nil {
				c.store(key, cl.val)
			}
			c.mu.Unlock()
			close(cl.done)
			return cl.val, Fetched, cl.err
		}
		c.mu.Unlock()
		select {
		case <-cl.done:
		case <-ctx.Done():
			var zero V
			return zero, Fetched, ctx.Err()
		}
		if cl.err == nil {
			return cl.val, Fetched, nil
		}
		// The leader's own ctx may have run out while ours has not: try
		// once more, leading if nobody else does.
		if !retried && ctx.Err() == nil && (errors.Is(cl.err, context.Canceled) || errors.Is(cl.err, context.DeadlineExceeded)) {
			retried = true
			continue
		}
		var zero V
		return zero, Fetched, cl.err
	}
}

// store puts v under key; c.mu is held.
func (c *Cache[V]) store(key string, v V) {
	if _, ok := c.items[key]; !ok && len(c.items) >= c.MaxEntries {
		for k, it := range c.items {
			if !it.refreshing {
				delete(c.items, k)
				break
			}
		}
	}
	c.items[key] = &item[V]{val: v, fetched: c.Now()}
}

func (c *Cache[V]) refresh(key string, ttl time.Duration, fetch func(context.Context) (V, error)) {
	v, err := fetch(c.bg)
	c.mu.Lock()
	it := c.items[key]
	switch {
	case err == nil:
		c.store(key, v)
	case it != nil:
		it.refreshing = false
		it.notBefore = c.Now().Add(min(ttl, c.RetryAfterFail))
	}
	c.mu.Unlock()
	// The new state is in place before anyone hears of the failure, and
	// Close waits for the callback.
	if err != nil && c.OnRefreshError != nil {
		c.OnRefreshError(key, err)
	}
	c.mu.Lock()
	if c.active--; c.active == 0 && c.idle != nil {
		close(c.idle)
		c.idle = nil
	}
	c.mu.Unlock()
}

// Close cancels the background refreshes in flight and waits for them
// within ctx; none starts afterwards. Get keeps working without refreshes.
func (c *Cache[V]) Close(ctx context.Context) error {
	c.init()
	c.mu.Lock()
	c.closed = true
	done := make(chan struct{})
	if c.active == 0 {
		close(done)
	} else {
		if c.idle == nil {
			c.idle = make(chan struct{})
		}
		done = c.idle
	}
	c.mu.Unlock()
	c.stop()
	return Await(ctx, done)
}
