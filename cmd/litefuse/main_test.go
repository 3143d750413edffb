package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/litefuse/litefuse-go/internal/store"
)

// syncBuffer is a bytes.Buffer safe for the server goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func TestRefusesNonLoopbackWithoutKeys(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:3000", ":3000", "192.0.2.1:3000", "example.com:3000"} {
		err := run(context.Background(), []string{"-addr", addr}, io.Discard, io.Discard, nil)
		if err == nil || !strings.Contains(err.Error(), "-public-key and -secret-key") || !strings.Contains(err.Error(), addr) {
			t.Errorf("-addr %s without keys: %v", addr, err)
		}
	}
	for _, args := range [][]string{{"-public-key", "pk"}, {"-max-bytes", "0"}, {"-addr", "nope"}, {"extra"}} {
		if err := run(context.Background(), args, io.Discard, io.Discard, nil); err == nil {
			t.Errorf("%v: started", args)
		}
	}
}

func start(t *testing.T, args ...string) (string, *syncBuffer, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncBuffer{}
	addrc := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"-addr", "127.0.0.1:0"}, args...), out, io.Discard, func(a string) { addrc <- a })
	}()
	select {
	case a := <-addrc:
		return "http://" + a, out, func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("shutdown: %v", err)
			}
		}
	case err := <-done:
		t.Fatalf("run: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("not started")
	}
	return "", nil, nil
}

func post(t *testing.T, base string, user, pass string) int {
	t.Helper()
	body, _ := proto.Marshal(&coltracepb.ExportTraceServiceRequest{ResourceSpans: []*tracepb.ResourceSpans{{ScopeSpans: []*tracepb.ScopeSpans{{Spans: []*tracepb.Span{{
		TraceId: bytes.Repeat([]byte{1}, 16), SpanId: bytes.Repeat([]byte{2}, 8), Name: "kept", StartTimeUnixNano: 1, EndTimeUnixNano: 2,
	}}}}}}})
	req, _ := http.NewRequest("POST", base+"/api/public/otel/v1/traces", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/x-protobuf")
	req.SetBasicAuth(user, pass)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func get(t *testing.T, url string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.SetBasicAuth("pk", "sk")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func TestServesPrintsAndKeepsData(t *testing.T) {
	dir := t.TempDir()
	base, out, stop := start(t, "-data", dir, "-public-key", "pk", "-secret-key", "sk")
	if !strings.Contains(out.String(), "export LANGFUSE_PUBLIC_KEY=pk LANGFUSE_SECRET_KEY=sk LANGFUSE_BASE_URL="+base+"\n") {
		t.Errorf("no export line for %s in:\n%s", base, out)
	}
	if code := post(t, base, "pk", "wrong"); code != 401 {
		t.Errorf("wrong keys: %d", code)
	}
	if code := post(t, base, "pk", "sk"); code != 200 {
		t.Errorf("right keys: %d", code)
	}
	if b := get(t, base+"/api/public/v2/observations"); !strings.Contains(b, `"name":"kept"`) {
		t.Errorf("read API: %s", b)
	}
	stop()
	if !strings.Contains(out.String(), "stopped") {
		t.Errorf("no clean stop: %s", out)
	}
	// Restarted on the same directory, the trace is still there.
	base, out, stop = start(t, "-data", dir, "-public-key", "pk", "-secret-key", "sk")
	defer stop()
	if !strings.Contains(out.String(), "1 traces loaded") {
		t.Errorf("restart output: %s", out)
	}
	if b := get(t, base+"/api/public/v2/observations"); !strings.Contains(b, `"name":"kept"`) {
		t.Errorf("after restart: %s", b)
	}
}

func TestAnyKeysByDefault(t *testing.T) {
	base, out, stop := start(t)
	defer stop()
	if !strings.Contains(out.String(), "LANGFUSE_PUBLIC_KEY=pk-lf-local") {
		t.Errorf("output: %s", out)
	}
	if code := post(t, base, "anything", "goes"); code != 200 {
		t.Errorf("any keys: %d", code)
	}
}

// Review of issue 19, finding 4: when -data cannot be written (a full disk)
// the command still starts on what the directory holds, says why it keeps
// new data in memory only, and the UI shows it.
func TestStartsWhenDataCannotBeWritten(t *testing.T) {
	dir := t.TempDir()
	base, _, stop := start(t, "-data", dir)
	post(t, base, "pk", "sk")
	stop()
	if err := os.Mkdir(filepath.Join(dir, store.LogName+".tmp"), 0o700); err != nil { // the rewrite's temporary file cannot be made
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	out, errOut := &syncBuffer{}, &syncBuffer{}
	addrc, done := make(chan string, 1), make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-data", dir}, out, errOut, func(a string) { addrc <- a })
	}()
	select {
	case a := <-addrc:
		defer func() { cancel(); <-done }()
		if e := errOut.String(); !strings.Contains(e, store.LogName) || !strings.Contains(e, "memory only") {
			t.Errorf("stderr does not say why nothing is written: %q", e)
		} else if strings.Contains(e, "free space in") {
			t.Errorf("stderr blames free space for a write error that is not about space (review 22b): %q", e)
		}
		if b := get(t, "http://"+a+"/api/public/v2/observations"); !strings.Contains(b, `"name":"kept"`) {
			t.Errorf("data not served: %s", b)
		}
		if b := get(t, "http://"+a+"/"); !strings.Contains(b, "not saved") {
			t.Errorf("UI does not show the write error")
		}
	case err := <-done:
		t.Fatalf("refused to start: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("not started")
	}
}

// Review of issue 19, finding 11: with -public-key/-secret-key the UI asks
// for them too (the browser prompts once: Basic auth).
func TestUINeedsKeysWhenSet(t *testing.T) {
	base, _, stop := start(t, "-public-key", "pk", "-secret-key", "sk")
	defer stop()
	resp, err := http.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 || resp.Header.Get("WWW-Authenticate") == "" {
		t.Errorf("UI without keys: %d %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	if b := get(t, base+"/"); !strings.Contains(b, "Litefuse") {
		t.Errorf("UI with keys: %.200s", b)
	}
}

// Review 22b (lows): the advice for a -data write error names its cause
// (a read-only directory is not a full disk), and main's error line says
// "litefuse:" once.
func TestWriteAdviceAndErrorLine(t *testing.T) {
	for err, want := range map[error]string{
		&os.PathError{Op: "open", Path: "/d/x", Err: syscall.ENOSPC}: "free space in /d",
		&os.PathError{Op: "open", Path: "/d/x", Err: syscall.EROFS}:  "make /d writable",
		&os.PathError{Op: "open", Path: "/d/x", Err: syscall.EACCES}: "make /d writable",
		&os.PathError{Op: "open", Path: "/d/x", Err: syscall.EISDIR}: "check /d",
	} {
		wrapped := fmt.Errorf("litefuse store: writing /d/x failed (%w)", err)
		if got := writeAdvice(wrapped, "/d"); !strings.HasPrefix(got, want) {
			t.Errorf("%v: advice %q, want %q…", err, got, want)
		}
	}
	if got := errorLine(errors.New("litefuse store: reading x: bad")); got != "litefuse store: reading x: bad" {
		t.Errorf("error line %q", got)
	}
	if got := errorLine(errors.New("-addr: bad")); got != "litefuse: -addr: bad" {
		t.Errorf("error line %q", got)
	}
}
