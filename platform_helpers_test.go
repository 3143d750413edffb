package litefuse_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/litefuse/litefuse-go"
	"github.com/litefuse/litefuse-go/internal/otlpreceiver"
)

// platformEnv points prompts, scores and links at a local Litefuse
// stand-in that accepts only the test keys, logging at debug level to log.
func platformEnv(t testing.TB, queue int, opts ...litefuse.Option) (*otlpreceiver.Receiver, *logBuffer) {
	t.Helper()
	recv := otlpreceiver.New()
	t.Cleanup(recv.Close)
	recv.SetKeys(testPublicKey, testSecretKey)
	log := &logBuffer{}
	base := []litefuse.Option{
		litefuse.WithCredentials(testPublicKey, testSecretKey),
		litefuse.WithBaseURL(recv.BaseURL()),
		litefuse.WithLogger(log.logger()),
	}
	litefuse.UsePlatformForTest(t, queue, append(base, opts...)...)
	return recv, log
}

// usePlatformAt points the platform at baseURL with the test keys.
func usePlatformAt(t *testing.T, baseURL string, opts ...litefuse.Option) *logBuffer {
	t.Helper()
	log := &logBuffer{}
	base := []litefuse.Option{
		litefuse.WithCredentials(testPublicKey, testSecretKey),
		litefuse.WithBaseURL(baseURL),
		litefuse.WithLogger(log.logger()),
	}
	litefuse.UsePlatformForTest(t, 0, append(base, opts...)...)
	return log
}

// deadURL is a base URL where nothing listens.
func deadURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return "http://" + addr
}

// hangServer accepts requests and never answers until the test ends.
func hangServer(t *testing.T) string {
	t.Helper()
	done := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-done:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(done) })
	return srv.URL
}

func ctxFor(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// eventually polls cond for up to 5 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within 5s: %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}
