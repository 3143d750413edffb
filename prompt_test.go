package litefuse_test

import (
	"context"
	"errors"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/litefuse/litefuse-go"
	"github.com/litefuse/litefuse-go/internal/otlpreceiver"
)

func putText(recv *otlpreceiver.Receiver, name string, version int, text string, labels ...string) {
	recv.PutPrompt(otlpreceiver.Prompt{Name: name, Version: version, Type: "text", Text: text, Labels: labels})
}

func promptRequests(recv *otlpreceiver.Receiver) int {
	return len(recv.PlatformRequests("/api/public/v2/prompts/"))
}

func TestGetPromptTextByLabelAndVersion(t *testing.T) {
	recv, _ := platformEnv(t, 0)
	recv.PutPrompt(otlpreceiver.Prompt{Name: "greet", Version: 1, Text: "Hi {{name}}", Labels: []string{"production"},
		Config: map[string]any{"model": "kimi-k2", "temperature": 0.2, "stop": []any{"END"}}})
	putText(recv, "greet", 2, "Hello {{name}}", "staging")

	p, err := litefuse.GetPrompt(ctxFor(t, 5*time.Second), "greet")
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "greet" || p.Version != 1 || p.Type != "text" || p.Text != "Hi {{name}}" || p.Fallback ||
		p.Config["model"] != "kimi-k2" || len(p.Labels) != 1 || p.Labels[0] != "production" {
		t.Fatalf("got %+v", p)
	}
	if q := recv.PlatformRequests("/api/public/v2/prompts/")[0].RawQuery; q != "label=production" {
		t.Fatalf("query %q, want label=production", q)
	}
	if r := p.Ref(); r == nil || *r != (litefuse.PromptRef{Name: "greet", Version: 1}) {
		t.Fatalf("Ref %+v", r)
	}
	p2, err := litefuse.GetPrompt(ctxFor(t, 5*time.Second), "greet", litefuse.WithPromptVersion(2))
	if err != nil || p2.Version != 2 || p2.Text != "Hello {{name}}" {
		t.Fatalf("version 2: %+v %v", p2, err)
	}
	p3, err := litefuse.GetPrompt(ctxFor(t, 5*time.Second), "greet", litefuse.WithPromptLabel("staging"))
	if err != nil || p3.Version != 2 {
		t.Fatalf("label staging: %+v %v", p3, err)
	}
	// Each selection is its own cache entry: three requests, and a fourth
	// call is served from the cache.
	if _, err := litefuse.GetPrompt(ctxFor(t, 5*time.Second), "greet"); err != nil || promptRequests(recv) != 3 {
		t.Fatalf("requests %d, err %v", promptRequests(recv), err)
	}
	// The caller's copy is its own.
	p.Text, p.Config["model"] = "changed", "changed"
	p.Config["stop"].([]any)[0] = "changed"
	again, _ := litefuse.GetPrompt(ctxFor(t, 5*time.Second), "greet")
	if again.Text != "Hi {{name}}" || again.Config["model"] != "kimi-k2" || again.Config["stop"].([]any)[0] != "END" {
		t.Fatalf("the cached prompt was changed through a returned copy: %+v", again)
	}
}

func TestGetPromptChatWithPlaceholder(t *testing.T) {
	recv, _ := platformEnv(t, 0)
	recv.PutPrompt(otlpreceiver.Prompt{Name: "support", Version: 3, Labels: []string{"production"}, Messages: []otlpreceiver.PromptMessage{
		{Role: "system", Content: "You help {{product}} users."},
		{Type: "placeholder", Name: "history"},
		{Role: "user", Content: "{{question}}"},
	}})
	p, err := litefuse.GetPrompt(ctxFor(t, 5*time.Second), "support")
	if err != nil {
		t.Fatal(err)
	}
	want := []litefuse.PromptMessage{{"system", "You help {{product}} users."}, {"placeholder", "history"}, {"user", "{{question}}"}}
	if p.Type != "chat" || len(p.Messages) != 3 {
		t.Fatalf("got %+v", p)
	}
	for i := range want {
		if p.Messages[i] != want[i] {
			t.Fatalf("message %d: %+v, want %+v", i, p.Messages[i], want[i])
		}
	}
}

func TestGetPromptNameIsPathEscaped(t *testing.T) {
	recv, _ := platformEnv(t, 0)
	putText(recv, "team/sub folder/summ?ry", 1, "x", "production")
	p, err := litefuse.GetPrompt(ctxFor(t, 5*time.Second), "team/sub folder/summ?ry")
	if err != nil || p.Text != "x" {
		t.Fatalf("%+v %v", p, err)
	}
	path := recv.PlatformRequests("/api/public/v2/prompts/")[0].Path
	if want := "/api/public/v2/prompts/" + url.PathEscape("team/sub folder/summ?ry"); path != want || !strings.Contains(path, "%2F") {
		t.Fatalf("path %q, want %q", path, want)
	}
}

func TestGetPromptCacheExpiryRefreshesInBackground(t *testing.T) {
	recv, _ := platformEnv(t, 0)
	putText(recv, "p", 1, "one", "production")
	ttl := litefuse.WithPromptCacheTTL(100 * time.Millisecond)
	if p, err := litefuse.GetPrompt(ctxFor(t, 5*time.Second), "p", ttl); err != nil || p.Version != 1 {
		t.Fatalf("%+v %v", p, err)
	}
	putText(recv, "p", 2, "two", "production") // the label moves
	if p, _ := litefuse.GetPrompt(ctxFor(t, 5*time.Second), "p", ttl); p.Version != 1 || promptRequests(recv) != 1 {
		t.Fatalf("within the TTL: version %d after %d requests", p.Version, promptRequests(recv))
	}
	time.Sleep(150 * time.Millisecond)
	// Past the TTL the stale version comes back at once, even to a caller
	// whose ctx is already done, and one refresh goes out.
	done, cancel := context.WithCancel(context.Background())
	cancel()
	if p, err := litefuse.GetPrompt(done, "p", ttl); err != nil || p.Version != 1 {
		t.Fatalf("stale: %+v %v", p, err)
	}
	eventually(t, "the background refresh", func() bool {
		p, _ := litefuse.GetPrompt(context.Background(), "p", ttl)
		return p.Version == 2
	})
	if n := promptRequests(recv); n != 2 {
		t.Fatalf("%d requests, want 2 (one refresh)", n)
	}
}

func TestGetPromptConcurrentColdFetchesShareOneRequest(t *testing.T) {
	recv, _ := platformEnv(t, 0)
	putText(recv, "hot", 1, "x", "production")
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for range 50 {
		wg.Go(func() {
			p, err := litefuse.GetPrompt(ctxFor(t, 5*time.Second), "hot")
			if err == nil && p.Version != 1 {
				err = errors.New("wrong version")
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := promptRequests(recv); n != 1 {
		t.Fatalf("%d requests for one cold key, want 1", n)
	}
}

var fallback = &litefuse.Prompt{Text: "Hi {{name}} (fallback)"}

func TestGetPromptFallback(t *testing.T) {
	for _, c := range []struct {
		name  string
		setup func(t *testing.T) context.Context
	}{
		{"unreachable", func(t *testing.T) context.Context {
			usePlatformAt(t, deadURL(t))
			return ctxFor(t, 5*time.Second)
		}},
		{"5xx", func(t *testing.T) context.Context {
			recv, _ := platformEnv(t, 0)
			recv.FailPlatformNext(3, 503, nil)
			return ctxFor(t, 5*time.Second)
		}},
		{"404", func(t *testing.T) context.Context {
			platformEnv(t, 0)
			return ctxFor(t, 5*time.Second)
		}},
		{"401", func(t *testing.T) context.Context {
			recv, _ := platformEnv(t, 0)
			recv.SetKeys("pk-lf-other", "sk-lf-other")
			return ctxFor(t, 5*time.Second)
		}},
		{"ctx expired", func(t *testing.T) context.Context {
			// WithTimeout bounds the error-path call below.
			usePlatformAt(t, hangServer(t), litefuse.WithTimeout(300*time.Millisecond))
			return ctxFor(t, 100*time.Millisecond)
		}},
		{"no keys", func(t *testing.T) context.Context {
			litefuse.UsePlatformForTest(t, 0, litefuse.WithLogger(discardLogger()))
			return ctxFor(t, 5*time.Second)
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := c.setup(t)
			start := time.Now()
			p, err := litefuse.GetPrompt(ctx, "greet", litefuse.WithPromptFallback(fallback))
			if err != nil || !p.Fallback || p.Name != "greet" || p.Type != "text" || p.Text != fallback.Text || p.Ref() != nil {
				t.Fatalf("got %+v, %v; want the fallback", p, err)
			}
			if fallback.Fallback || fallback.Name != "" {
				t.Fatal("the caller's fallback was changed")
			}
			if d := time.Since(start); d > 4*time.Second {
				t.Fatalf("took %s", d)
			}
			// Without a fallback, the error says which prompt and why.
			_, err = litefuse.GetPrompt(ctxFor(t, 5*time.Second), "greet", litefuse.WithPromptCacheTTL(0))
			if err == nil || !strings.Contains(err.Error(), `"greet"`) || strings.Contains(err.Error(), testSecretKey) {
				t.Fatalf("error %v", err)
			}
		})
	}
}

func TestGetPromptStaleBeatsFallback(t *testing.T) {
	recv, log := platformEnv(t, 0, litefuse.WithDebug(true)) // the failed refresh is a debug line
	putText(recv, "p", 1, "cached", "production")
	ttl := litefuse.WithPromptCacheTTL(50 * time.Millisecond)
	if _, err := litefuse.GetPrompt(ctxFor(t, 5*time.Second), "p", ttl); err != nil {
		t.Fatal(err)
	}
	recv.FailPlatformNext(1000, 503, nil) // Litefuse goes down
	time.Sleep(80 * time.Millisecond)
	for range 3 {
		p, err := litefuse.GetPrompt(ctxFor(t, 5*time.Second), "p", ttl, litefuse.WithPromptFallback(fallback))
		if err != nil || p.Fallback || p.Text != "cached" {
			t.Fatalf("got %+v %v; want the stale cached prompt", p, err)
		}
	}
	eventually(t, "the failed refresh logged", func() bool { return strings.Contains(log.String(), "refreshing a cached prompt failed") })
	// A fallback is used only when nothing at all can be had.
	p, err := litefuse.GetPrompt(ctxFor(t, 5*time.Second), "other", litefuse.WithPromptFallback(fallback))
	if err != nil || !p.Fallback {
		t.Fatalf("got %+v %v", p, err)
	}
	if !strings.Contains(log.String(), "level=WARN msg=\"litefuse: serving the fallback prompt") || !strings.Contains(log.String(), "503") {
		t.Fatalf("the fallback and its reason are not warned about:\n%s", log.String())
	}
}

func TestGetPromptZeroTTLAlwaysFetches(t *testing.T) {
	recv, _ := platformEnv(t, 0)
	putText(recv, "p", 1, "x", "production")
	for range 3 {
		if _, err := litefuse.GetPrompt(ctxFor(t, 5*time.Second), "p", litefuse.WithPromptCacheTTL(0)); err != nil {
			t.Fatal(err)
		}
	}
	if n := promptRequests(recv); n != 3 {
		t.Fatalf("%d requests, want 3", n)
	}
}

func TestGetPromptRetriesTransientErrors(t *testing.T) {
	recv, _ := platformEnv(t, 0)
	putText(recv, "p", 1, "x", "production")
	recv.FailPlatformNext(2, 502, nil)
	if p, err := litefuse.GetPrompt(ctxFor(t, 5*time.Second), "p"); err != nil || p.Version != 1 {
		t.Fatalf("%+v %v", p, err)
	}
	if n := promptRequests(recv); n != 3 {
		t.Fatalf("%d requests, want 3", n)
	}
}

func TestGetPromptBadOptions(t *testing.T) {
	platformEnv(t, 0)
	for _, c := range []struct {
		name string
		opts []litefuse.PromptOption
		want string
	}{
		{"", nil, "name is empty"},
		{"p", []litefuse.PromptOption{litefuse.WithPromptVersion(0)}, "versions start at 1"},
		{"p", []litefuse.PromptOption{litefuse.WithPromptVersion(2), litefuse.WithPromptLabel("staging")}, "give one"},
	} {
		_, err := litefuse.GetPrompt(ctxFor(t, 5*time.Second), c.name, c.opts...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("GetPrompt(%q): %v, want %q", c.name, err, c.want)
		}
	}
}

// A fallback's Config is copied whole for each GetPrompt: nested maps and
// slices of any type (not only the JSON ones) are each caller's own, and
// the fallback given stays as it was (review 38, finding 5).
func TestPromptFallbackConfigCopiedDeep(t *testing.T) {
	litefuse.UsePlatformForTest(t, 0, litefuse.WithLogger(discardLogger()))
	fallback := &litefuse.Prompt{Text: "Hi", Config: map[string]any{
		"stop":   []string{"END"},
		"params": map[string]string{"tone": "formal"},
		"nested": map[string]any{"list": []int{1, 2}},
	}}
	get := func() *litefuse.Prompt {
		p, err := litefuse.GetPrompt(ctxFor(t, 5*time.Second), "greet", litefuse.WithPromptFallback(fallback))
		if err != nil || !p.Fallback {
			t.Fatalf("got %+v, %v; want the fallback", p, err)
		}
		return p
	}
	first := get()
	first.Config["stop"].([]string)[0] = "CHANGED"
	first.Config["params"].(map[string]string)["tone"] = "CHANGED"
	first.Config["nested"].(map[string]any)["list"].([]int)[0] = 99
	for name, p := range map[string]*litefuse.Prompt{"the next GetPrompt's": get(), "the fallback given": fallback} {
		if p.Config["stop"].([]string)[0] != "END" || p.Config["params"].(map[string]string)["tone"] != "formal" ||
			p.Config["nested"].(map[string]any)["list"].([]int)[0] != 1 {
			t.Errorf("%s Config changed with the first caller's copy: %v", name, p.Config)
		}
	}
}

// A fallback whose Config holds itself is served, not copied for ever (a
// stack overflow is fatal, not a panic the library could recover).
func TestPromptFallbackConfigHoldingItself(t *testing.T) {
	litefuse.UsePlatformForTest(t, 0, litefuse.WithLogger(discardLogger()))
	cfg := map[string]any{"k": "v"}
	cfg["self"] = cfg
	list := []any{1}
	list[0] = list
	cfg["list"] = list
	p, err := litefuse.GetPrompt(ctxFor(t, 5*time.Second), "greet", litefuse.WithPromptFallback(&litefuse.Prompt{Text: "Hi", Config: cfg}))
	if err != nil || !p.Fallback || p.Config["k"] != "v" {
		t.Fatalf("got %+v, %v; want the fallback", p, err)
	}
}

// Cycles and sharing through maps and slices of any type are copied
// once each, keeping the shape: two keys holding the same map do not
// double the work at every level (2^64 copies would be a hang), and an
// array of maps is copied too (review 40, F1 and F2).
func TestPromptFallbackConfigShapesCopied(t *testing.T) {
	litefuse.UsePlatformForTest(t, 0, litefuse.WithLogger(discardLogger()))
	type M map[string]any
	named := M{}
	named["self"] = named
	typed := map[string][]any{}
	typed["x"] = []any{typed}
	shared := map[string]any{"leaf": 1}
	for range 80 { // 2^80 paths to the leaf, 80 maps
		shared = map[string]any{"a": shared, "b": shared}
	}
	arr := [2]map[string]string{{"k": "v"}, nil}
	cfg := map[string]any{"named": named, "typed": typed, "shared": shared, "arr": arr}
	done := make(chan *litefuse.Prompt, 1)
	go func() {
		p, err := litefuse.GetPrompt(ctxFor(t, 5*time.Second), "greet", litefuse.WithPromptFallback(&litefuse.Prompt{Text: "Hi", Config: cfg}))
		if err != nil {
			t.Error(err)
		}
		done <- p
	}()
	var p *litefuse.Prompt
	select {
	case p = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("GetPrompt did not return: the copy went on for ever")
	}
	if p == nil {
		return
	}
	n := p.Config["named"].(M)
	if n["self"].(M)["self"] == nil {
		t.Error("the named map's cycle was lost")
	}
	n["extra"] = true
	if _, ok := named["extra"]; ok {
		t.Error("the copy of the named map is the fallback's own map")
	}
	a := p.Config["arr"].([2]map[string]string)
	a[0]["k"] = "CHANGED"
	if arr[0]["k"] != "v" {
		t.Error("the copy of the array shares its maps with the fallback")
	}
	s := p.Config["shared"].(map[string]any)
	if reflect.ValueOf(s["a"]).UnsafePointer() != reflect.ValueOf(s["b"]).UnsafePointer() {
		t.Error("a map shared twice was copied twice")
	}
}

// A fallback whose slices overlap in one array (base[i] = base[:i]) is
// copied within a bound: each view is its own slice to copy, and without
// a bound 20,000 views would copy 200 million elements (review 41, C).
func TestPromptFallbackOverlappingViewsBounded(t *testing.T) {
	litefuse.UsePlatformForTest(t, 0, litefuse.WithLogger(discardLogger()))
	const L = 20000
	base := make([]any, L)
	for i := range base {
		base[i] = base[:i]
	}
	done := make(chan error, 1)
	go func() {
		_, err := litefuse.GetPrompt(ctxFor(t, 5*time.Second), "greet", litefuse.WithPromptFallback(&litefuse.Prompt{Text: "Hi", Config: map[string]any{"views": base}}))
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("GetPrompt did not return: the copy is not bounded")
	}
}
