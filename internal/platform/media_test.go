package platform

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/litefuse/litefuse-go/internal/otlpreceiver"
)

func newMedia(data string) Media {
	m := Media{TraceID: strings.Repeat("a", 32), ObservationID: strings.Repeat("b", 16), Field: "input", ContentType: "image/png", Data: []byte(data)}
	m.SHA256 = sha256.Sum256(m.Data)
	m.ID = base64.RawURLEncoding.EncodeToString(m.SHA256[:])[:22]
	return m
}

func newUploader(t *testing.T, recv *otlpreceiver.Receiver, log *logBuf, tweak func(*MediaConfig)) *MediaUploader {
	t.Helper()
	cfg := MediaConfig{
		Client:      &Client{Base: recv.BaseURL(), PublicKey: "pk-lf-1", SecretKey: "sk-lf-secret", Timeout: 5 * time.Second},
		QueueSize:   10,
		MaxBytes:    1 << 20,
		Workers:     2,
		MaxAttempts: 3,
		Backoff:     Backoff{Initial: time.Millisecond, Max: 5 * time.Millisecond},
		Remember:    100,
		Log:         slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if tweak != nil {
		tweak(&cfg)
	}
	u := NewMediaUploader(cfg)
	t.Cleanup(func() { _ = u.Shutdown(context.Background()) })
	return u
}

func flushed(t *testing.T, u *MediaUploader) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return u.Flush(ctx)
}

func methods(reqs []otlpreceiver.PlatformRequest) string {
	var out []string
	for _, r := range reqs {
		out = append(out, r.Method)
	}
	return strings.Join(out, ",")
}

func TestMediaUploadPostPutPatch(t *testing.T) {
	recv := otlpreceiver.New()
	defer recv.Close()
	u := newUploader(t, recv, &logBuf{}, nil)
	m := newMedia("\x89PNG one image")
	u.Upload(m)
	if err := flushed(t, u); err != nil {
		t.Fatal(err)
	}
	reqs := recv.PlatformRequests("")
	if got := methods(reqs); got != "POST,PUT,PATCH" {
		t.Fatalf("requests %s", got)
	}
	var post map[string]any
	if err := json.Unmarshal(reqs[0].Body, &post); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"traceId": m.TraceID, "observationId": m.ObservationID, "contentType": "image/png",
		"contentLength": float64(len(m.Data)), "sha256Hash": base64.StdEncoding.EncodeToString(m.SHA256[:]), "field": "input",
	}
	for k, v := range want {
		if post[k] != v {
			t.Errorf("POST %s = %v, want %v", k, post[k], v)
		}
	}
	if reqs[1].Header.Get("Authorization") != "" || reqs[0].Header.Get("Authorization") == "" {
		t.Error("the PUT must carry no Authorization, the POST Basic auth")
	}
	up := recv.Uploads()[m.ID]
	if !bytes.Equal(up.Bytes, m.Data) || !up.ChecksumOK || up.ContentType != "image/png" || up.Authorization != "" {
		t.Fatalf("upload %+v", up)
	}
	if up.Patch["uploadHttpStatus"] != 200.0 || up.Patch["uploadedAt"] == nil || up.Patch["uploadTimeMs"] == nil || up.Patch["uploadHttpError"] != nil {
		t.Fatalf("patch %v", up.Patch)
	}
	if c := u.Counts(); c != (Counts{Sent: 1}) {
		t.Fatalf("counts %+v", c)
	}
}

func TestMediaDeduplicated(t *testing.T) {
	recv := otlpreceiver.New()
	defer recv.Close()
	u := newUploader(t, recv, &logBuf{}, nil)
	m := newMedia("same image")
	for range 5 {
		u.Upload(m) // queued or in flight: not again
	}
	if err := flushed(t, u); err != nil {
		t.Fatal(err)
	}
	u.Upload(m) // uploaded recently: not again
	if err := flushed(t, u); err != nil {
		t.Fatal(err)
	}
	if got := methods(recv.PlatformRequests("")); got != "POST,PUT,PATCH" {
		t.Fatalf("requests %s", got)
	}
	// Another process (a new uploader) asks; Litefuse has it: no PUT.
	v := newUploader(t, recv, &logBuf{}, nil)
	v.Upload(m)
	if err := flushed(t, v); err != nil {
		t.Fatal(err)
	}
	if got := methods(recv.PlatformRequests("")); got != "POST,PUT,PATCH,POST" {
		t.Fatalf("requests %s", got)
	}
	if c := v.Counts(); c != (Counts{Sent: 1}) {
		t.Fatalf("counts %+v", c)
	}
}

func TestMediaFailedPutIsPatchedCountedAndRetriedLater(t *testing.T) {
	recv := otlpreceiver.New()
	defer recv.Close()
	log := &logBuf{}
	u := newUploader(t, recv, log, nil)
	recv.FailUploadsNext(1, 403) // not retryable
	m := newMedia("refused")
	u.Upload(m)
	if err := flushed(t, u); err == nil || !strings.Contains(err.Error(), "403") {
		t.Fatalf("flush after a failed upload: %v", err)
	}
	if c := u.Counts(); c != (Counts{Failed: 1}) {
		t.Fatalf("counts %+v", c)
	}
	patch := recv.Uploads()[m.ID].Patch
	if patch["uploadHttpStatus"] != 403.0 || !strings.Contains(patch["uploadHttpError"].(string), "SlowDown") {
		t.Fatalf("patch %v", patch)
	}
	text := log.String()
	if strings.Count(text, "level=WARN") != 1 || strings.Contains(text, "X-Amz-Signature") || strings.Contains(text, "stand-in\"") || strings.Contains(text, "sk-lf-secret") {
		t.Fatalf("log:\n%s", text)
	}
	if strings.Contains(patch["uploadHttpError"].(string), "Signature") {
		t.Fatalf("the upload URL's signature is quoted: %v", patch)
	}
	// A failed id is forgotten: the next call tries again, and succeeds.
	u.Upload(m)
	if err := flushed(t, u); err != nil {
		t.Fatal(err)
	}
	if c := u.Counts(); c != (Counts{Sent: 1, Failed: 1}) {
		t.Fatalf("counts %+v", c)
	}
}

func TestMediaPutRetried(t *testing.T) {
	recv := otlpreceiver.New()
	defer recv.Close()
	u := newUploader(t, recv, &logBuf{}, nil)
	recv.FailUploadsNext(2, 503)
	m := newMedia("flaky storage")
	u.Upload(m)
	if err := flushed(t, u); err != nil {
		t.Fatal(err)
	}
	if got := methods(recv.PlatformRequests("")); got != "POST,PUT,PUT,PUT,PATCH" {
		t.Fatalf("requests %s", got)
	}
	if c := u.Counts(); c != (Counts{Sent: 1}) || recv.Uploads()[m.ID].Patch["uploadHttpStatus"] != 200.0 {
		t.Fatalf("counts %+v, upload %+v", c, recv.Uploads()[m.ID])
	}
}

func TestMediaQueueBoundedInBytes(t *testing.T) {
	recv := otlpreceiver.New()
	defer recv.Close()
	hang := newHang(t)
	log := &logBuf{}
	u := newUploader(t, recv, log, func(c *MediaConfig) {
		c.MaxBytes = 100
		c.Client.Base = hang.URL
	})
	u.Upload(newMedia(strings.Repeat("x", 60)))
	start := time.Now()
	u.Upload(newMedia(strings.Repeat("y", 60))) // 120 bytes > 100: dropped
	u.Upload(newMedia(strings.Repeat("z", 30)))
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Fatalf("Upload blocked %s", d)
	}
	if c := u.Counts(); c != (Counts{Dropped: 1, Queued: 2}) {
		t.Fatalf("counts %+v", c)
	}
	if !strings.Contains(log.String(), "dropping media uploads") {
		t.Fatalf("log:\n%s", log)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := u.Shutdown(ctx); err == nil {
		t.Fatal("a shutdown past its deadline says so")
	}
	c := u.Counts()
	if c.Queued != 0 || c.Sent+c.Failed+c.Dropped != 3 || c.Dropped < 1 {
		t.Fatalf("after shutdown: %+v", c)
	}
	u.Upload(newMedia("after shutdown"))
	if u.Counts().Dropped != c.Dropped+1 {
		t.Fatal("an upload after shutdown is dropped and counted")
	}
}

func TestMediaIDMismatchFails(t *testing.T) {
	recv := otlpreceiver.New()
	defer recv.Close()
	u := newUploader(t, recv, &logBuf{}, nil)
	m := newMedia("real bytes")
	m.ID = "not-the-hash-of-bytes1"
	u.Upload(m)
	if err := flushed(t, u); err == nil || !strings.Contains(err.Error(), "media id") {
		t.Fatalf("flush: %v", err)
	}
	if got := methods(recv.PlatformRequests("")); got != "POST" {
		t.Fatalf("requests %s", got)
	}
}

func TestIDSetBounded(t *testing.T) {
	s := idSet{max: 3}
	for _, id := range []string{"a", "b", "c", "d"} {
		if !s.add(id) {
			t.Fatalf("%s is new", id)
		}
	}
	if s.add("d") || !s.add("a") { // a was evicted by d
		t.Fatal("the oldest id goes first")
	}
	s.remove("c")
	if !s.add("c") {
		t.Fatal("a removed id is new again")
	}
	for i := range 1000 {
		s.add(string(rune('A' + i)))
		s.remove(string(rune('A' + i)))
	}
	if len(s.ids) > 3 || len(s.order) > 2*3+16 {
		t.Fatalf("set grew: %d ids, %d entries", len(s.ids), len(s.order))
	}
}

// newHang is a server that answers nothing until the request is cancelled
// or the test ends.
func newHang(t *testing.T) *httptest.Server {
	done := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-done:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(done) })
	return srv
}
