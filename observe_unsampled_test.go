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

// TestNestedObserveUnderUnsampledKeepsItsOptions: an observation made with
// its own options (WithObserveOptions) that sampling leaves out still hands
// those options to the observations under it, so they never reach for the
// default pipeline, which would warn that the LANGFUSE_* keys are not set in
// a program that never meant to use them. The default pipeline is read once
// per process, so the program runs in a child with a clean environment.
func TestNestedObserveUnderUnsampledKeepsItsOptions(t *testing.T) {
	recv := otlpreceiver.New()
	defer recv.Close()
	out := runChildTest(t, "TestChildNestedUnsampled", "nested-unsampled", "RECV_URL="+recv.BaseURL())
	if !strings.Contains(out, "INNER ok") {
		t.Fatalf("the child did not run the observations:\n%s", out)
	}
	if strings.Contains(out, "LANGFUSE_PUBLIC_KEY") {
		t.Errorf("the inner observation reached for the default pipeline:\n%s", out)
	}
}

func TestChildNestedUnsampled(t *testing.T) {
	if os.Getenv(childEnv) == "" {
		t.Skip("runs only as a child of TestNestedObserveUnderUnsampledKeepsItsOptions")
	}
	opts := litefuse.WithObserveOptions(
		litefuse.WithCredentials(testPublicKey, testSecretKey),
		litefuse.WithBaseURL(os.Getenv("RECV_URL")),
		litefuse.WithSampleRate(0),
		litefuse.WithFlushInterval(time.Hour),
	)
	got, err := litefuse.Observe(context.Background(), "outer", func(ctx context.Context) (string, error) {
		return litefuse.Observe(ctx, "inner", func(context.Context) (string, error) { return "ok", nil })
	}, opts)
	t.Logf("INNER %s %v", got, err)
}
