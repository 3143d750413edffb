package litefuse_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/litefuse/litefuse-go"
	"github.com/litefuse/litefuse-go/internal/otlpreceiver"
)

var benchChat = []litefuse.PromptMessage{
	{Role: "system", Content: "You answer questions about {{product}}."},
	{Role: "placeholder", Content: "history"},
	{Role: "user", Content: "{{ question }}"},
}

// BenchmarkGetPromptCached is GetPrompt's steady state: a cache hit that
// returns the caller's own copy.
func BenchmarkGetPromptCached(b *testing.B) {
	recv, _ := platformEnv(b, 0)
	recv.PutPrompt(otlpreceiver.Prompt{Name: "bench", Version: 1, Labels: []string{"production"},
		Config: map[string]any{"model": "kimi-k2", "temperature": 0.2},
		Messages: []otlpreceiver.PromptMessage{
			{Role: "system", Content: "You answer questions about {{product}}."},
			{Type: "placeholder", Name: "history"},
			{Role: "user", Content: "{{ question }}"},
		}})
	ctx := context.Background()
	if _, err := litefuse.GetPrompt(ctx, "bench"); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if p, err := litefuse.GetPrompt(ctx, "bench"); err != nil || p.Version != 1 {
			b.Fatal(err)
		}
	}
}

// BenchmarkCompileChat fills a three-message chat prompt with a placeholder.
func BenchmarkCompileChat(b *testing.B) {
	p := &litefuse.Prompt{Name: "bench", Type: "chat", Messages: benchChat}
	vars := map[string]any{"product": "Ark", "question": "Why?", "history": []litefuse.PromptMessage{{Role: "user", Content: "hi"}}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.CompileChat(vars); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCreateScore is what a score costs the caller: validation,
// encoding and queueing (or a counted drop when the senders fall behind);
// the sending happens on the platform's own goroutines.
func BenchmarkCreateScore(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(`{}`)) }))
	defer srv.Close()
	litefuse.UsePlatformForTest(b, 1<<14, litefuse.WithCredentials(testPublicKey, testSecretKey),
		litefuse.WithBaseURL(srv.URL), litefuse.WithLogger(discardLogger()))
	s := litefuse.Score{Name: "quality", Value: 0.8, TraceID: "0af7651916cd43dd8448eb211c80319c", Comment: "ok", Metadata: map[string]any{"k": "v"}}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := litefuse.CreateScore(ctx, s); err != nil {
			b.Fatal(err)
		}
	}
}
