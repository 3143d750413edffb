package litefuse

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime"
	"testing"
	"time"
)

// tagRT is a transport told apart by its tag (a comparable value).
type tagRT struct{ tag string }

func (tagRT) RoundTrip(*http.Request) (*http.Response, error) { return nil, io.EOF }

// funcRT is a transport that cannot be compared (a func).
type funcRT func(*http.Request) (*http.Response, error)

func (f funcRT) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func hcRecorder(hc *http.Client) *recorder {
	r := newRecorder([]Option{WithCredentials("pk-lf-one", "sk-lf-one-secret"), WithBaseURL("http://127.0.0.1:9"),
		WithHTTPClient(hc), WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))})
	r.resolve()
	return r
}

// Review of issue 18, finding 3: a client given WithHTTPClient is never
// sent through another client's HTTP client, even once the other one is
// garbage and a new one takes its address.
func TestHTTPClientNeverReusesAnotherClientsPipeline(t *testing.T) {
	isolateRegistry(t, 1000)
	for i := range 60 {
		tag := fmt.Sprint("client-", i)
		r := hcRecorder(&http.Client{Transport: tagRT{tag}})
		if r.inst == nil {
			t.Fatalf("client %d: no pipeline", i)
		}
		if got := r.inst.cfg.httpClient.Transport; got != (tagRT{tag}) {
			t.Fatalf("client %d is sent through %v's HTTP client", i, got)
		}
		runtime.GC()
	}
	// A transport that cannot be compared: told apart by the client.
	for i := range 20 {
		var rt funcRT = func(*http.Request) (*http.Response, error) { return nil, fmt.Errorf("rt %d", i) }
		r := hcRecorder(&http.Client{Transport: rt})
		if r.inst == nil {
			t.Fatalf("func client %d: no pipeline", i)
		}
		if _, err := r.inst.cfg.httpClient.Transport.RoundTrip(nil); err == nil || err.Error() != fmt.Sprint("rt ", i) {
			t.Fatalf("func client %d is sent through another client's transport (%v)", i, err)
		}
		runtime.GC()
	}
}

// A fresh but equal *http.Client per request (the common server pattern)
// shares one pipeline instead of using up the bound.
func TestEqualHTTPClientsPerRequestShareAPipeline(t *testing.T) {
	isolateRegistry(t, 5)
	shared := &http.Transport{}
	var first *instance
	for i := range 30 {
		for _, hc := range []*http.Client{{Timeout: 10 * time.Second}, {Transport: shared, Timeout: time.Minute}} {
			r := hcRecorder(hc)
			if r.inst == nil {
				t.Fatalf("request %d: the client records nothing (the bound of 5 pipelines is used up)", i)
			}
			if first == nil {
				first = r.inst
			}
		}
	}
	registry.mu.Lock()
	n := len(registry.list)
	registry.mu.Unlock()
	if n != 2 {
		t.Errorf("%d pipelines for two distinct HTTP clients built 30 times each, want 2", n)
	}
}

// WithHTTPClient(&http.Client{}) sends through http.DefaultTransport: it
// does not share the pipeline of the library's own client.
func TestEmptyHTTPClientIsNotTheLibrarysOwn(t *testing.T) {
	isolateRegistry(t, 10)
	own := newRecorder([]Option{WithCredentials("pk-lf-one", "sk-lf-one-secret"), WithBaseURL("http://127.0.0.1:9")})
	own.resolve()
	if r := hcRecorder(&http.Client{}); r.inst == nil || r.inst == own.inst {
		t.Errorf("WithHTTPClient(&http.Client{}) shares the pipeline of the library's own HTTP client")
	}
}
