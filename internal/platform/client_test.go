package platform

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

const testSecret = "sk-lf-very-secret"

func testClient(url string) *Client {
	return &Client{Base: url, PublicKey: "pk-lf-pub", SecretKey: testSecret, SDKName: "litefuse-go", Version: "9.9.9"}
}

func TestDoSendsBasicAuthAndJSON(t *testing.T) {
	var gotAuth, gotCT, gotBody, gotSDK string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotAuth, gotCT, gotSDK = r.Header.Get("Authorization"), r.Header.Get("Content-Type"), r.Header.Get("x-langfuse-sdk-name")
		b := make([]byte, 100)
		n, _ := r.Body.Read(b)
		gotBody = string(b[:n])
		_, _ = w.Write([]byte(`{"id":"x1"}`))
	}))
	defer srv.Close()
	var out struct{ ID string }
	if err := testClient(srv.URL).Do(context.Background(), "POST", "/api/public/scores", map[string]int{"a": 1}, &out); err != nil {
		t.Fatal(err)
	}
	want := "Basic " + base64.StdEncoding.EncodeToString([]byte("pk-lf-pub:"+testSecret))
	if gotAuth != want || gotCT != "application/json" || gotBody != `{"a":1}` || out.ID != "x1" || gotSDK != "litefuse-go" {
		t.Fatalf("auth=%q ct=%q body=%q out=%+v sdk=%q", gotAuth, gotCT, gotBody, out, gotSDK)
	}
}

func TestDoStatusErrorIsBoundedAndSecretFree(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "7")
		w.WriteHeader(http.StatusTooManyRequests)
		// A server echoing the credentials back, with a long body.
		_, _ = w.Write([]byte("bad " + r.Header.Get("Authorization") + " " + testSecret + "\n" + strings.Repeat("x", 5000)))
	}))
	defer srv.Close()
	err := testClient(srv.URL).Do(context.Background(), "GET", "/api/public/projects", nil, nil)
	var se *StatusError
	if !errors.As(err, &se) || se.Code != 429 || se.RetryAfter != 7*time.Second {
		t.Fatalf("got %#v", err)
	}
	msg := err.Error()
	auth := base64.StdEncoding.EncodeToString([]byte("pk-lf-pub:" + testSecret))
	if strings.Contains(msg, testSecret) || strings.Contains(msg, auth) || strings.Contains(msg, "\n") || len(msg) > 400 {
		t.Fatalf("error leaks or is unbounded (%d bytes): %s", len(msg), msg)
	}
}

func TestDoDecodeErrorOnNonJSON(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("<html>hello</html>"))
	}))
	defer srv.Close()
	var out struct{}
	err := testClient(srv.URL).Do(context.Background(), "GET", "/x", nil, &out)
	var de *DecodeError
	if !errors.As(err, &de) {
		t.Fatalf("got %v", err)
	}
}

func TestDoNetErrorAndTimeout(t *testing.T) {
	hang := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-hang:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(hang)
	c := testClient(srv.URL)
	c.Timeout = 50 * time.Millisecond
	start := time.Now()
	err := c.Do(context.Background(), "GET", "/x", nil, nil)
	var ne *NetError
	if !errors.As(err, &ne) || !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 2*time.Second {
		t.Fatalf("got %v after %s", err, time.Since(start))
	}
	if !Retryable(err) {
		t.Fatal("a timeout should be retryable")
	}
}

func TestBound(t *testing.T) {
	if got := Bound("a\nb\tc", 10); got != "a b c" {
		t.Fatalf("got %q", got)
	}
	if got := Bound("ééééé", 5); got != "éé…" {
		t.Fatalf("got %q", got)
	}
}
