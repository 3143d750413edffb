package litefuse_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/litefuse/litefuse-go"
	"github.com/litefuse/litefuse-go/internal/otlpreceiver"
)

func TestCurrentIDsWithoutSpan(t *testing.T) {
	if litefuse.CurrentTraceID(context.Background()) != "" || litefuse.CurrentObservationID(context.Background()) != "" {
		t.Fatal("want empty IDs without a span")
	}
}

func TestTraceURLBaseForms(t *testing.T) {
	recv := otlpreceiver.New()
	defer recv.Close()
	// A reverse proxy serving Litefuse under /langfuse.
	target, _ := url.Parse(recv.BaseURL())
	proxy := httptest.NewServer(http.StripPrefix("/langfuse", httputil.NewSingleHostReverseProxy(target)))
	defer proxy.Close()
	const traceID = "0af7651916cd43dd8448eb211c80319c"
	for _, c := range []struct{ base, want string }{
		{recv.BaseURL(), recv.BaseURL()},
		{recv.BaseURL() + "/", recv.BaseURL()},
		{recv.BaseURL() + "/api/public/otel", recv.BaseURL()},
		{recv.BaseURL() + "/api/public/otel/", recv.BaseURL()},
		{recv.BaseURL() + "/api/public/otel/v1/traces", recv.BaseURL()},
		{proxy.URL + "/langfuse/", proxy.URL + "/langfuse"},
		{proxy.URL + "/langfuse/api/public/otel/v1/traces", proxy.URL + "/langfuse"},
	} {
		t.Run(c.base, func(t *testing.T) {
			usePlatformAt(t, c.base)
			got, err := litefuse.TraceURL(ctxFor(t, 5*time.Second), traceID)
			want := c.want + "/project/" + otlpreceiver.ProjectID + "/traces/" + traceID
			if err != nil || got != want {
				t.Fatalf("TraceURL = %q, %v; want %q", got, err, want)
			}
		})
	}
}

func TestTraceURLFailedLookupNotCached(t *testing.T) {
	recv, _ := platformEnv(t, 0)
	recv.FailPlatformNext(1, 503, nil)
	if _, err := litefuse.TraceURL(ctxFor(t, 5*time.Second), "abc"); err == nil || !strings.Contains(err.Error(), "503") {
		t.Fatalf("first lookup: %v", err)
	}
	for range 3 {
		got, err := litefuse.TraceURL(ctxFor(t, 5*time.Second), "abc")
		if err != nil || !strings.HasSuffix(got, "/project/"+otlpreceiver.ProjectID+"/traces/abc") {
			t.Fatalf("after recovery: %q %v", got, err)
		}
	}
	if n := len(recv.PlatformRequests("/api/public/projects")); n != 2 {
		t.Fatalf("%d project lookups, want 2 (the failure, then one cached success)", n)
	}
	if _, err := litefuse.TraceURL(ctxFor(t, 5*time.Second), ""); err == nil {
		t.Fatal("an empty trace ID must be an error")
	}
}

func TestAuthCheckOK(t *testing.T) {
	recv, _ := platformEnv(t, 0)
	if err := litefuse.AuthCheck(ctxFor(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	// The project ID found on the way is kept for TraceURL.
	if _, err := litefuse.TraceURL(ctxFor(t, 5*time.Second), "abc"); err != nil {
		t.Fatal(err)
	}
	if n := len(recv.PlatformRequests("/api/public/projects")); n != 1 {
		t.Fatalf("%d lookups, want 1", n)
	}
}

func TestAuthCheckMessages(t *testing.T) {
	recv := otlpreceiver.New()
	defer recv.Close()
	recv.SetKeys(testPublicKey, testSecretKey)
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "upstream down "+testSecretKey, http.StatusBadGateway)
	}))
	defer failing.Close()
	html := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("<!doctype html><title>Welcome</title>"))
	}))
	defer html.Close()
	creds := func(pk, sk string) litefuse.Option { return litefuse.WithCredentials(pk, sk) }
	for _, c := range []struct {
		name string
		opts []litefuse.Option
		want []string
	}{
		{"wrong keys", []litefuse.Option{creds("pk-lf-wrong", "sk-lf-wrong-secret"), litefuse.WithBaseURL(recv.BaseURL())},
			[]string{"401", "LANGFUSE_PUBLIC_KEY", "LANGFUSE_SECRET_KEY"}},
		{"swapped keys", []litefuse.Option{creds(testSecretKey, testPublicKey), litefuse.WithBaseURL(recv.BaseURL())},
			[]string{"401", "swapped"}},
		{"no public key", []litefuse.Option{creds("", testSecretKey), litefuse.WithBaseURL(recv.BaseURL())},
			[]string{"LANGFUSE_PUBLIC_KEY is not set"}},
		{"no secret key", []litefuse.Option{creds(testPublicKey, ""), litefuse.WithBaseURL(recv.BaseURL())},
			[]string{"LANGFUSE_SECRET_KEY is not set"}},
		{"no keys", []litefuse.Option{litefuse.WithBaseURL(recv.BaseURL())},
			[]string{"LANGFUSE_PUBLIC_KEY and LANGFUSE_SECRET_KEY are not set"}},
		{"unreachable", []litefuse.Option{creds(testPublicKey, testSecretKey), litefuse.WithBaseURL(deadURL(t))},
			[]string{"cannot reach", "check WithBaseURL(\"http://127.0.0.1:"}},
		{"wrong path", []litefuse.Option{creds(testPublicKey, testSecretKey), litefuse.WithBaseURL(recv.BaseURL() + "/somewhere")},
			[]string{"404", "WithBaseURL(", "/somewhere\")", "host or path"}},
		{"server error", []litefuse.Option{creds(testPublicKey, testSecretKey), litefuse.WithBaseURL(failing.URL)},
			[]string{"502", "try again later"}},
		{"not Litefuse", []litefuse.Option{creds(testPublicKey, testSecretKey), litefuse.WithBaseURL(html.URL)},
			[]string{"not as Litefuse", "WithBaseURL("}},
		{"credentials in the URL", []litefuse.Option{creds(testPublicKey, testSecretKey), litefuse.WithBaseURL("https://user:" + testSecretKey + "@example.com")},
			[]string{"WithBaseURL(", "credentials"}},
		{"not a URL", []litefuse.Option{creds(testPublicKey, testSecretKey), litefuse.WithBaseURL("litefuse.cloud")},
			[]string{"WithBaseURL(\"litefuse.cloud\")", "absolute http(s) URL", "did you mean https://litefuse.cloud"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			litefuse.UsePlatformForTest(t, 0, append([]litefuse.Option{litefuse.WithLogger(discardLogger())}, c.opts...)...)
			err := litefuse.AuthCheck(ctxFor(t, 5*time.Second))
			if err == nil {
				t.Fatal("AuthCheck = nil, want an error")
			}
			msg := err.Error()
			for _, w := range c.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not contain %q", msg, w)
				}
			}
			for _, secret := range []string{testSecretKey, "sk-lf-wrong-secret"} {
				if strings.Contains(msg, secret) {
					t.Errorf("error holds a secret: %q", msg)
				}
			}
			if len(msg) > 500 {
				t.Errorf("error is %d bytes", len(msg))
			}
		})
	}
}

func TestAuthCheckHonoursCtx(t *testing.T) {
	usePlatformAt(t, hangServer(t), litefuse.WithTimeout(time.Minute))
	start := time.Now()
	err := litefuse.AuthCheck(ctxFor(t, 100*time.Millisecond))
	if err == nil || time.Since(start) > 3*time.Second || !strings.Contains(err.Error(), "deadline") {
		t.Fatalf("AuthCheck = %v after %s", err, time.Since(start))
	}
}
