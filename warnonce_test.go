package litefuse_test

import (
	"strings"
	"testing"

	"github.com/litefuse/litefuse-go"
	openai "github.com/sashabaranov/go-openai"
)

// A server that builds a client per request with a bad option hears of it
// once, not once a client (review of issue 18, finding 5).
func TestBadClientOptionWarnsOnce(t *testing.T) {
	logs := &logBuffer{}
	log := logs.logger()
	for range 30 {
		cfg := openai.DefaultConfig("k")
		cfg.BaseURL = "http://127.0.0.1:1/v1"
		c := litefuse.NewClientWithConfig(cfg,
			litefuse.WithCredentials("pk-lf-warnonce", "sk-lf-warnonce"), litefuse.WithBaseURL("http://127.0.0.1:1"),
			litefuse.WithEnvironment("Per-Request-ENV"), litefuse.WithLogger(log))
		_, _ = c.CreateChatCompletion(t.Context(), openai.ChatCompletionRequest{Model: "m"})
	}
	if n := strings.Count(logs.String(), "Per-Request-ENV"); n != 1 {
		t.Fatalf("the bad environment was warned about %d times, want once:\n%s", n, logs.String())
	}
}
