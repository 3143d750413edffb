package lfserver

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/litefuse/litefuse-go/internal/store"
)

// countingReader counts the bytes the server read from a request body.
type countingReader struct {
	r    io.Reader
	read int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.read += n
	return n, err
}

// serveDirect runs one request through the handler in this goroutine.
func serveDirect(s *Server, method, path string, body io.Reader, size int64, h map[string]string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, body)
	req.ContentLength = size
	req.SetBasicAuth("pk", "sk")
	for k, v := range h {
		req.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	s.ServeHTTP(w, req)
	return w
}

// Review 22b, finding 1: the budget is taken before a body is read (traces,
// media uploads, media announcements, scores), so a request waiting for it
// holds none of its body, and one that cannot have it is answered 429 with
// Retry-After without its body being read.
func TestBudgetTakenBeforeBodyRead(t *testing.T) {
	s := New(store.New(0))
	s.DecodeWait = 20 * time.Millisecond
	b := s.budget()
	if !b.acquire(t.Context(), b.capacity, 0) {
		t.Fatal("budget not free")
	}
	defer b.release(b.capacity)
	big := bytes.Repeat([]byte("x"), 32<<10)
	for _, c := range []struct{ method, path, ct string }{
		{"POST", TracesPath, "application/x-protobuf"},
		{"PUT", UploadPrefix + "abc", "text/plain"},
		{"POST", MediaPath, "application/json"},
		{"POST", ScoresPath, "application/json"},
		{"PATCH", MediaPath + "/abc", "application/json"},
	} {
		for _, size := range []int64{int64(len(big)), -1} { // Content-Length given, or not (chunked)
			cr := &countingReader{r: bytes.NewReader(big)}
			w := serveDirect(s, c.method, c.path, cr, size, map[string]string{"Content-Type": c.ct})
			if w.Code != 429 || w.Header().Get("Retry-After") == "" || cr.read != 0 {
				t.Errorf("%s %s (Content-Length %d) with the budget held: %d Retry-After %q, %d body bytes read before answering",
					c.method, c.path, size, w.Code, w.Header().Get("Retry-After"), cr.read)
			}
		}
	}
}

// Review 22b, finding 1: a gzip body's inflated bytes are taken from the
// budget as they are inflated: a small body inflating far past the budget
// left is refused 429 without the inflated bytes being allocated.
func TestGzipInflationUnderBudget(t *testing.T) {
	s := New(store.New(0))
	s.DecodeWait = 20 * time.Millisecond
	s.MaxBodyBytes = 32 << 20
	s.DecodeBudgetBytes = 64 << 20
	bomb := gz(marshal(t, request(nil, span(1, 1, 0, "x", str("k", strings.Repeat("a", 30<<20)))))) // ~30 KiB inflating to 30 MiB
	b := s.budget()
	hold := b.capacity - 4<<20 // another request holds all but 4 MiB
	if !b.acquire(t.Context(), hold, 0) {
		t.Fatal("budget not free")
	}
	defer b.release(hold)
	h := map[string]string{"Content-Type": "application/x-protobuf", "Content-Encoding": "gzip"}
	serveDirect(s, "POST", TracesPath, bytes.NewReader(bomb), int64(len(bomb)), h) // warm up
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	w := serveDirect(s, "POST", TracesPath, bytes.NewReader(bomb), int64(len(bomb)), h)
	runtime.ReadMemStats(&after)
	if w.Code != 429 || w.Header().Get("Retry-After") == "" {
		t.Errorf("gzip bomb with 4 MiB of budget left: %d %s", w.Code, w.Body)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 12<<20 {
		t.Errorf("gzip bomb with 4 MiB of budget left: %d bytes allocated", alloc)
	}
	if peak := b.peakUsed(); peak > b.capacity {
		t.Errorf("peak %d over the budget %d", peak, b.capacity)
	}
	// With the budget free the same body is decoded (an empty request).
	b.release(hold)
	defer b.acquire(t.Context(), hold, 0)
	if w := serveDirect(s, "POST", TracesPath, bytes.NewReader(bomb), int64(len(bomb)), h); w.Code != 200 {
		t.Errorf("gzip body with the budget free: %d %s", w.Code, w.Body)
	}
	if b.used != hold-hold {
		t.Errorf("budget not given back: %d held", b.used)
	}
}

// Review 22b, finding 7: without keys, a web page of another origin must
// not write: a write with a foreign Origin or Sec-Fetch-Site cross-site or
// same-site is refused, and a traces body needs an OTLP Content-Type
// (checked before the body is read).
func TestCrossOriginWritesRefused(t *testing.T) {
	ts := start(t)
	body := marshal(t, request(nil, span(1, 1, 0, "x")))
	host := strings.TrimPrefix(ts.url, "http://")
	for _, h := range []map[string]string{
		{"Content-Type": "application/x-protobuf", "Origin": "http://evil.example"},
		{"Content-Type": "application/x-protobuf", "Origin": "http://localhost:1"},
		{"Content-Type": "application/x-protobuf", "Origin": "null"},
		{"Content-Type": "application/x-protobuf", "Sec-Fetch-Site": "cross-site"},
		{"Content-Type": "application/x-protobuf", "Sec-Fetch-Site": "same-site"},
	} {
		if resp, b := ts.do(t, "POST", TracesPath, body, h); resp.StatusCode != 403 {
			t.Errorf("traces with %v: %d %s", h, resp.StatusCode, b)
		}
		if resp, b := ts.do(t, "POST", ScoresPath, []byte(`{"name":"q","value":1,"traceId":"t"}`), h); resp.StatusCode != 403 {
			t.Errorf("score with %v: %d %s", h, resp.StatusCode, b)
		}
	}
	for _, ct := range []string{"", "text/plain", "application/octet-stream"} {
		cr := &countingReader{r: bytes.NewReader(body)}
		w := serveDirect(ts.Server, "POST", TracesPath, cr, int64(len(body)), map[string]string{"Content-Type": ct})
		if w.Code != 415 || cr.read != 0 || !strings.Contains(w.Body.String(), "application/x-protobuf") {
			t.Errorf("Content-Type %q: %d, %d bytes read: %s", ct, w.Code, cr.read, w.Body)
		}
	}
	cr := &countingReader{r: bytes.NewReader(body)}
	w := serveDirect(ts.Server, "POST", TracesPath, cr, int64(len(body)), map[string]string{"Content-Type": "application/x-protobuf", "Content-Encoding": "br"})
	if w.Code != 415 || cr.read != 0 || !strings.Contains(w.Body.String(), "gzip") {
		t.Errorf("Content-Encoding br: %d, %d bytes read: %s", w.Code, cr.read, w.Body)
	}
	if st := ts.Store.Stats(); st.Observations != 0 || st.Scores != 0 {
		t.Errorf("stored: %+v", st)
	}
	// The server's own origin (its UI), and programs (no Origin), write.
	if resp, b := ts.do(t, "POST", TracesPath, body, map[string]string{"Content-Type": "application/x-protobuf", "Origin": "http://" + host, "Sec-Fetch-Site": "same-origin"}); resp.StatusCode != 200 {
		t.Errorf("same origin: %d %s", resp.StatusCode, b)
	}
	if resp, b := ts.do(t, "POST", TracesPath, gz(body), map[string]string{"Content-Type": "application/x-protobuf", "Content-Encoding": "GZIP"}); resp.StatusCode != 200 {
		t.Errorf("Content-Encoding GZIP: %d %s", resp.StatusCode, b)
	}
}

// Review 22b, finding 3: a media PATCH is a few hundred bytes; a larger one
// is refused, and only its uploadedAt is kept.
func TestMediaPatchBounded(t *testing.T) {
	ts := start(t)
	data := []byte("hello media")
	post := fmt.Sprintf(`{"traceId":"t1","contentType":"text/plain","contentLength":%d,"sha256Hash":%q,"field":"input"}`, len(data), sha256sum(data))
	_, b := ts.do(t, "POST", MediaPath, []byte(post), nil)
	var m struct{ MediaID string }
	json.Unmarshal([]byte(b), &m)
	big := fmt.Sprintf(`{"uploadedAt":"2026-12-03T08:00:00Z","uploadHttpStatus":200,"x":%q}`, strings.Repeat("p", 1<<20))
	if resp, b := ts.do(t, "PATCH", MediaPath+"/"+m.MediaID, []byte(big), nil); resp.StatusCode != 413 {
		t.Errorf("1 MiB patch: %d %s", resp.StatusCode, b)
	}
	if resp, b := ts.do(t, "PATCH", MediaPath+"/"+m.MediaID, []byte(`{"uploadedAt":"2026-12-03T08:00:00Z","uploadHttpStatus":200,"x":"small"}`), nil); resp.StatusCode != 200 {
		t.Errorf("patch: %d %s", resp.StatusCode, b)
	}
	ts.platform.mu.Lock()
	got := ts.platform.mediaMeta[m.MediaID]
	ts.platform.mu.Unlock()
	if got.uploadedAt != "2026-12-03T08:00:00Z" {
		t.Errorf("kept: %+v", got)
	}
}

// Review 22b, finding 6: media metadata follows the store's bytes: media
// evicted by the store's bound is announced again (an upload URL), and
// after a restart over -data GET /api/public/media/{id} answers as
// /upload/{id} serves the bytes.
func TestMediaMetaFollowsStore(t *testing.T) {
	dir := t.TempDir()
	st, err := store.Open(dir, 4<<20) // media may hold 1 MiB
	if err != nil {
		t.Fatal(err)
	}
	s := New(st)
	upload := func(data []byte) (id string, uploadURL any) {
		post := fmt.Sprintf(`{"traceId":"t1","contentType":"text/plain","contentLength":%d,"sha256Hash":%q,"field":"input"}`, len(data), sha256sum(data))
		w := serveDirect(s, "POST", MediaPath, strings.NewReader(post), int64(len(post)), nil)
		var m struct {
			MediaID   string
			UploadURL any
		}
		json.Unmarshal(w.Body.Bytes(), &m)
		if m.UploadURL != nil {
			w := serveDirect(s, "PUT", UploadPrefix+m.MediaID, bytes.NewReader(data), int64(len(data)), map[string]string{"Content-Type": "text/plain"})
			if w.Code != 200 {
				t.Fatalf("upload: %d", w.Code)
			}
		}
		return m.MediaID, m.UploadURL
	}
	a := bytes.Repeat([]byte("a"), 600<<10)
	idA, _ := upload(a)
	if _, u := upload(a); u != nil {
		t.Errorf("stored media announced again: upload URL %v", u)
	}
	upload(bytes.Repeat([]byte("b"), 600<<10)) // evicts a
	if _, _, ok := st.Media(idA); ok {
		t.Fatal("a not evicted")
	}
	if w := serveDirect(s, "GET", MediaPath+"/"+idA, nil, 0, nil); w.Code != 404 {
		t.Errorf("evicted media's metadata: %d %s", w.Code, w.Body)
	}
	if _, u := upload(a); u == nil {
		t.Error("evicted media announced again: no upload URL")
	}
	st.Close()
	st2, err := store.Open(dir, 4<<20)
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	s2 := New(st2)
	w := serveDirect(s2, "GET", MediaPath+"/"+idA, nil, 0, nil)
	if w.Code != 200 || !strings.Contains(w.Body.String(), fmt.Sprintf(`"contentLength":%d`, len(a))) || !strings.Contains(w.Body.String(), "text/plain") {
		t.Errorf("after a restart: %d %s", w.Code, w.Body)
	}
	_ = http.StatusOK
}

// Review 22b (lows): a signed media URL expires: it carries its expiry,
// signed with the method and id, so it cannot be extended, and an expired
// one is refused.
func TestSignedURLsExpire(t *testing.T) {
	ts := start(t)
	ts.SetKeys("pk", "sk")
	data := []byte("private")
	post := fmt.Sprintf(`{"traceId":"t1","contentType":"text/plain","contentLength":%d,"sha256Hash":%q,"field":"input"}`, len(data), sha256sum(data))
	_, b := ts.do(t, "POST", MediaPath, []byte(post), nil)
	var m struct{ MediaID, UploadURL string }
	json.Unmarshal([]byte(b), &m)
	u, err := url.Parse(m.UploadURL)
	if err != nil {
		t.Fatal(err)
	}
	exp, err := strconv.ParseInt(u.Query().Get("X-Litefuse-Expires"), 10, 64)
	if err != nil || exp > time.Now().Add(time.Hour+time.Minute).Unix() || exp < time.Now().Add(time.Hour-time.Minute).Unix() {
		t.Fatalf("upload URL %s: expiry %d, want an hour from now", m.UploadURL, exp)
	}
	put := func(u *url.URL) int {
		req, _ := http.NewRequest("PUT", u.String(), bytes.NewReader(data))
		req.Header.Set("Content-Type", "text/plain")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	q := u.Query()
	for _, e := range []string{strconv.FormatInt(exp+365*24*3600, 10), "", "x"} {
		q2 := u.Query()
		q2.Set("X-Litefuse-Expires", e)
		u2 := *u
		u2.RawQuery = q2.Encode()
		if code := put(&u2); code != 403 {
			t.Errorf("upload URL with expiry %q: %d", e, code)
		}
	}
	past := strconv.FormatInt(time.Now().Add(-time.Minute).Unix(), 10)
	q.Set("X-Litefuse-Expires", past)
	q.Set("X-Amz-Signature", ts.mac(http.MethodPut, m.MediaID, past))
	expired := *u
	expired.RawQuery = q.Encode()
	if code := put(&expired); code != 403 {
		t.Errorf("expired upload URL: %d", code)
	}
	if code := put(u); code != 200 {
		t.Errorf("upload URL: %d", code)
	}
}
