package litefuse

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

func resetSecrets() {
	secrets.mu.Lock()
	defer secrets.mu.Unlock()
	secrets.at, secrets.ring, secrets.hand, secrets.bytes, secrets.byGram, secrets.lens, secrets.stride = nil, nil, 0, 0, nil, nil, 0
}

// TestSecretListBoundedAndKeepsKeysInUse: a multi-tenant process using
// 20,000 keys keeps at most maxSecrets of them in at most maxSecretsBytes,
// and a key in use the whole time is never the one dropped.
func TestSecretListBoundedAndKeepsKeysInUse(t *testing.T) {
	resetSecrets()
	defer resetSecrets()
	hot := "ark-hot-tenant-key-0000000000"
	for i := range 20000 {
		rememberSecrets(context.Background(), []string{fmt.Sprintf("ark-tenant-%06d-%s", i, strings.Repeat("k", i%300))})
		if i%500 == 0 {
			rememberSecrets(context.Background(), []string{hot})
		}
	}
	secrets.mu.RLock()
	n, bytes, indexed := len(secrets.at), secrets.bytes, 0
	for _, rs := range secrets.byGram {
		indexed += len(rs)
	}
	grams, misplaced := 0, 0
	for _, e := range secrets.ring {
		grams += gramsOf(e.key)
		for off := range gramsOf(e.key) {
			refs := secrets.byGram[tailAt(e.key, off+8)]
			if p := int(e.pos[off]); p >= len(refs) || refs[p] != (gramRef{e.key, off}) {
				misplaced++
			}
		}
	}
	secrets.mu.RUnlock()
	if misplaced > 0 {
		t.Errorf("%d grams are not where their key's entry says (eviction moved them)", misplaced)
	}
	if n > maxSecrets || bytes > maxSecretsBytes || len(secrets.ring) != n || indexed != grams {
		t.Fatalf("%d keys (ring %d, index %d) in %d bytes: over the bounds", n, len(secrets.ring), indexed, bytes)
	}
	if got := scrubKnown("bad key " + hot + "!"); got != "bad key [REDACTED]!" {
		t.Errorf("the key in use was dropped: %q", got)
	}
	last := fmt.Sprintf("ark-tenant-%06d-%s", 19999, strings.Repeat("k", 19999%300))
	if got := scrubKnown(`{"error":"` + last + `"}`); got != `{"error":"[REDACTED]"}` {
		t.Errorf("the newest key was not scrubbed: %q", got)
	}
}

// TestKeyScopes: a call's keys are noted in every observation around it,
// bounded per observation, and nowhere else.
func TestKeyScopes(t *testing.T) {
	outer, so := withKeyScope(context.Background())
	inner, si := withKeyScope(outer)
	_, sibling := withKeyScope(outer)
	var wg sync.WaitGroup
	for i := range maxScopeKeys + 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rememberSecrets(inner, []string{fmt.Sprintf("scoped-key-%04d", i)})
			_ = so.list()
		}()
	}
	wg.Wait()
	if len(si.keys) != maxScopeKeys || len(so.keys) != maxScopeKeys || len(sibling.keys) != 0 {
		t.Errorf("inner %d, outer %d, sibling %d keys", len(si.keys), len(so.keys), len(sibling.keys))
	}
	if len(si.list()) != 2*maxScopeKeys {
		t.Errorf("inner list has %d keys, want its own and the outer's", len(si.list()))
	}
}

func BenchmarkRememberKnownKey(b *testing.B) {
	resetSecrets()
	defer resetSecrets()
	for i := range maxSecrets {
		rememberSecrets(context.Background(), []string{fmt.Sprintf("ark-tenant-%06d", i)})
	}
	keys := []string{"ark-tenant-000042"}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			rememberSecrets(context.Background(), keys)
		}
	})
}

func BenchmarkScrubKnown4KiB(b *testing.B) {
	resetSecrets()
	defer resetSecrets()
	for i := range maxSecrets {
		rememberSecrets(context.Background(), []string{fmt.Sprintf("ark-%08x", uint32(i)*2654435761)})
	}
	msg := strings.Repeat(fmt.Sprintf("The API key ark-%08x is invalid. ", uint32(111486301962%(1<<32))), 4<<10/40)
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		_ = scrubKnown(msg)
	}
}

// TestObserveScrubsItsCallsKeysBeyondTheProcessList: the key of a call
// made under an observation is scrubbed from what it records even when the
// process-wide list no longer has it (thousands of other tenants since).
func TestObserveScrubsItsCallsKeysBeyondTheProcessList(t *testing.T) {
	resetSecrets()
	defer resetSecrets()
	sr := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr))
	const key = "ark-scoped-tenant-key-42"
	_, err := Observe(context.Background(), "step", func(ctx context.Context) (string, error) {
		rememberSecrets(ctx, []string{key}) // what the transport does for a call made with ctx
		resetSecrets()                      // evicted from the process-wide list
		return "", errors.New("401: the API key " + key + " is invalid")
	}, WithObserveOptions(WithTracerProvider(tp)))
	if err == nil {
		t.Fatal("no error")
	}
	spans := sr.Ended()
	if len(spans) != 1 {
		t.Fatalf("%d spans", len(spans))
	}
	for _, a := range spans[0].Attributes() {
		if strings.Contains(a.Value.Emit(), key) {
			t.Errorf("%s carries the key: %q", a.Key, a.Value.Emit())
		}
	}
	if spans[0].Status().Description == "" || strings.Contains(spans[0].Status().Description, key) {
		t.Errorf("status %q", spans[0].Status().Description)
	}
}

// observeAttrs runs fn in an observation recorded by a test provider and
// returns every attribute value and the status, as text.
func observeAttrs(t testing.TB, fn func(ctx context.Context) (string, error)) string {
	t.Helper()
	sr := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr))
	_, _ = Observe(context.Background(), "step", fn, WithObserveOptions(WithTracerProvider(tp)))
	spans := sr.Ended()
	if len(spans) != 1 {
		t.Fatalf("%d spans", len(spans))
	}
	var b strings.Builder
	for _, a := range spans[0].Attributes() {
		fmt.Fprintf(&b, "%s=%s\n", a.Key, a.Value.Emit())
	}
	b.WriteString(spans[0].Status().Description)
	return b.String()
}

// Review of issue 18, finding 2: a key of a call made with another ctx
// (so not in the observation's scope) is scrubbed from the observation's
// input, output and metadata too, not only from its status message.
func TestObserveScrubsKnownKeysOfCallsMadeElsewhere(t *testing.T) {
	resetSecrets()
	defer resetSecrets()
	const key = "ark-other-ctx-tenant-key-77"
	rememberSecrets(context.Background(), []string{key}) // a call made with context.Background()
	got := observeAttrs(t, func(ctx context.Context) (string, error) {
		CurrentObservation(ctx).SetInput(map[string]string{"asked with": key})
		CurrentObservation(ctx).SetMetadata(map[string]any{"last_error": "Incorrect API key provided: " + key})
		return "fallback; upstream said: Incorrect API key provided: " + key, nil
	})
	if strings.Contains(got, key) {
		t.Errorf("the observation exports a known key:\n%s", got)
	}
	if !strings.Contains(got, "upstream said: Incorrect API key provided: [REDACTED]") {
		t.Errorf("the output is not kept around the key:\n%s", got)
	}
}

// Review of issue 18, finding 2: an observation whose calls carried more
// than 64 keys scrubs every one of them, even once the process-wide list
// has dropped them.
func TestObserveScrubsMoreThan64Keys(t *testing.T) {
	resetSecrets()
	defer resetSecrets()
	var keys []string
	got := observeAttrs(t, func(ctx context.Context) (string, error) {
		var out []string
		for i := range 200 {
			k := fmt.Sprintf("ark-tenant-%03d-SECRETKEYMATERIAL", i)
			keys = append(keys, k)
			rememberSecrets(ctx, []string{k}) // what the transport does for a call made with ctx
			out = append(out, "Incorrect API key provided: "+k)
		}
		resetSecrets() // 4096 other tenants since: dropped from the process-wide list
		return strings.Join(out, "\n"), nil
	})
	leaked := 0
	for _, k := range keys {
		if strings.Contains(got, k) {
			leaked++
		}
	}
	if leaked > 0 {
		t.Errorf("%d of %d keys exported", leaked, len(keys))
	}
}
