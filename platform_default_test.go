package litefuse_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/litefuse/litefuse-go"
	"github.com/litefuse/litefuse-go/internal/otlpreceiver"
)

// TestPlatformReadsTheDefaultPipeline runs prompts, scores and links in a
// child process configured only by the LANGFUSE_* environment.
func TestPlatformReadsTheDefaultPipeline(t *testing.T) {
	recv := otlpreceiver.New()
	defer recv.Close()
	recv.SetKeys(testPublicKey, testSecretKey)
	putText(recv, "greet", 4, "Hi {{name}}", "production")
	out := runChildTest(t, "TestPlatformChild", "platform",
		"LANGFUSE_PUBLIC_KEY="+testPublicKey,
		"LANGFUSE_SECRET_KEY="+testSecretKey,
		"LANGFUSE_BASE_URL="+recv.BaseURL()+"/api/public/otel/",
		"LANGFUSE_TRACING_ENVIRONMENT=staging",
	)
	if !strings.Contains(out, "PROMPT Hi Ada 4") || !strings.Contains(out, "URL "+recv.BaseURL()+"/project/"+otlpreceiver.ProjectID+"/traces/4bf92f3577b34da6a3ce929d0e0e4736") {
		t.Fatalf("child output:\n%s", out)
	}
	scores := recv.Scores()
	if len(scores) != 1 || scores[0]["name"] != "feedback" || scores[0]["environment"] != "staging" || scores[0]["traceId"] != "t-1" {
		t.Fatalf("scores %v", scores)
	}
}

func TestPlatformChild(t *testing.T) {
	if os.Getenv(childEnv) != "platform" {
		t.Skip("runs only as a child of TestPlatformReadsTheDefaultPipeline")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := litefuse.AuthCheck(ctx); err != nil {
		t.Fatal(err)
	}
	p, err := litefuse.GetPrompt(ctx, "greet")
	if err != nil {
		t.Fatal(err)
	}
	text, err := p.Compile(map[string]any{"name": "Ada"})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("PROMPT %s %d", text, p.Version)
	if err := litefuse.CreateScore(ctx, litefuse.Score{Name: "feedback", Value: 1, TraceID: "t-1"}); err != nil {
		t.Fatal(err)
	}
	u, err := litefuse.TraceURL(ctx, "4bf92f3577b34da6a3ce929d0e0e4736")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("URL %s", u)
	if err := litefuse.FlushPlatform(ctx); err != nil {
		t.Fatal(err)
	}
	if err := litefuse.ShutdownPlatform(ctx); err != nil {
		t.Fatal(err)
	}
	if s, f, d, q := litefuse.PlatformStats(); s != 1 || f+d+q != 0 {
		t.Fatalf("stats %d %d %d %d", s, f, d, q)
	}
}
