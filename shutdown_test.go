package litefuse_test

import (
	"context"
	"errors"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/litefuse/litefuse-go"
	"github.com/litefuse/litefuse-go/internal/fakeark"
	"github.com/litefuse/litefuse-go/internal/otlpreceiver"
	openai "github.com/sashabaranov/go-openai"
)

// Review of issue 18, finding 1: Shutdown is final. Whatever is first
// needed after it (the default pipeline, a new tenant's pipeline, the REST
// side for scores) is not built: nothing runs after Shutdown returns,
// calls work unrecorded, and Flush, CreateScore and Init say the library
// was shut down. Each case runs in a child process (Shutdown is process-wide).

// TestAfterShutdownChild is the child side; it does nothing in a normal run.
func TestAfterShutdownChild(t *testing.T) {
	name := os.Getenv(childEnv)
	if name == "" {
		t.Skip("runs only as a child of the after-Shutdown tests")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cfg := openai.DefaultConfig(testArkKey)
	cfg.BaseURL = os.Getenv("FAKE_ARK_URL")
	call := func(opts ...litefuse.Option) {
		c := litefuse.NewClientWithConfig(cfg, opts...)
		if _, err := c.CreateChatCompletion(ctx, seedRequest()); err != nil {
			t.Errorf("CALL ERROR %v", err)
		}
	}
	tenantB := []litefuse.Option{litefuse.WithCredentials(tenantBPublic, tenantBSecret), litefuse.WithBaseURL(os.Getenv("LANGFUSE_BASE_URL"))}
	switch name {
	case "early": // a signal handler's Shutdown before any traced call; the program goes on
		t.Logf("SHUTDOWN %v", litefuse.Shutdown(ctx))
		call()
		call(tenantB...)
		_, _ = litefuse.Observe(ctx, "after", func(context.Context) (int, error) { return 1, nil })
	case "tenant": // tenant A used; Shutdown; then a request for tenant B arrives
		call(litefuse.WithCredentials(testPublicKey, testSecretKey))
		t.Logf("SHUTDOWN %v", litefuse.Shutdown(ctx))
		call(tenantB...)
		call()
	default:
		t.Fatalf("unknown child %q", name)
	}
	err := litefuse.CreateScore(ctx, litefuse.Score{Name: "q", Value: 1, TraceID: strings.Repeat("ab", 16)})
	t.Logf("SCORE %v %v", errors.Is(err, litefuse.ErrShutdown), err)
	err = litefuse.Flush(ctx)
	t.Logf("FLUSH %v %v", errors.Is(err, litefuse.ErrShutdown), err)
	err = litefuse.Init()
	t.Logf("INIT %v %v", errors.Is(err, litefuse.ErrShutdown), err)
	time.Sleep(300 * time.Millisecond) // past the flush interval: a pipeline running now would export
	running := libraryGoroutines()
	t.Logf("RUNNING %d", len(running))
	for _, g := range running {
		t.Log(g)
	}
	t.Logf("SHUTDOWN2 %v", litefuse.Shutdown(ctx))
}

// libraryGoroutines returns the stacks of goroutines running the
// library's export or REST code (its connections are counted at the
// receiver: the model's client keeps its own idle connection).
func libraryGoroutines() []string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "litefuse-go/internal/export.") || strings.Contains(g, "litefuse-go/internal/platform.") {
			out = append(out, g)
		}
	}
	return out
}

func TestNothingStartsAfterShutdown(t *testing.T) {
	for _, name := range []string{"early", "tenant"} {
		t.Run(name, func(t *testing.T) {
			ark, recv := fakeark.New(), otlpreceiver.New()
			defer ark.Close()
			defer recv.Close()
			out := runChildTest(t, "TestAfterShutdownChild", name, append(lifecycleEnv(ark, recv), "LANGFUSE_FLUSH_INTERVAL=0.05")...)
			if got := childLine(t, out, "SHUTDOWN "); got != "<nil>" {
				t.Errorf("Shutdown: %s", got)
			}
			if got := childLine(t, out, "SHUTDOWN2 "); got != "<nil>" {
				t.Errorf("a second Shutdown: %s; want the first's result", got)
			}
			if got := childLine(t, out, "RUNNING "); got != "0" {
				t.Errorf("%s goroutines of the library run after Shutdown returned:\n%s", got, out)
			}
			for _, k := range []string{"SCORE ", "FLUSH ", "INIT "} {
				if got := childLine(t, out, k); !strings.HasPrefix(got, "true ") || strings.Count(got, "shut down") != 1 {
					t.Errorf("%s after Shutdown: %s; want one error saying the library was shut down", strings.TrimSpace(k), got)
				}
			}
			if n, want := len(ark.Requests()), map[string]int{"early": 2, "tenant": 3}[name]; n != want {
				t.Errorf("%d calls reached the model, want %d", n, want)
			}
			want := 0
			if name == "tenant" {
				want = 1 // tenant A's call, before Shutdown
			}
			if spans := recv.Spans(); len(spans) != want {
				t.Errorf("%d spans arrived, want %d (nothing after Shutdown)", len(spans), want)
			}
			if n := recv.Conns(); n != 0 {
				t.Errorf("%d connections to Litefuse open after Shutdown", n)
			}
		})
	}
}
