package lfserver

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
)

// readPage asks the read API and decodes its data.
func (ts *testServer) readPage(t *testing.T, query string) []map[string]any {
	t.Helper()
	resp, b := ts.do(t, "GET", ObservationsPath+query, nil, nil)
	if resp.StatusCode != 200 {
		t.Fatalf("%s: %d %s", query, resp.StatusCode, b)
	}
	var page struct{ Data []map[string]any }
	if err := json.Unmarshal([]byte(b), &page); err != nil {
		t.Fatal(err)
	}
	return page.Data
}

// Review of issue 19, finding 5: what Litefuse drops is not stored as
// valid: a string prompt version, a prompt name alone, a zone-less
// completion start time, a trace name over 1000 characters.
func TestPitfallsDroppedAsLitefuseDoes(t *testing.T) {
	ts := start(t)
	gen := str("langfuse.observation.type", "generation")
	body := marshal(t, request(nil,
		span(1, 1, 0, "pv-string", gen, str("langfuse.observation.prompt.name", "p"), str("langfuse.observation.prompt.version", "3")),
		span(2, 2, 0, "pn-only", gen, str("langfuse.observation.prompt.name", "p")),
		span(3, 3, 0, "cst-nozone", gen, str("langfuse.observation.completion_start_time", "2023-11-14T22:13:20.5")),
		span(4, 4, 0, strings.Repeat("x", 1500), gen, str("user.id", "u")),
		span(5, 5, 0, "ok", gen, str("langfuse.observation.prompt.name", "q"), num("langfuse.observation.prompt.version", 4)),
	))
	ts.do(t, "POST", TracesPath, body, proto1)
	for _, o := range ts.readPage(t, "?fields=basic,prompt,time,trace_context") {
		name := o["name"].(string)
		want := name == "ok"
		if (o["promptName"] != nil) != want || (o["promptVersion"] != nil) != want {
			t.Errorf("%.12s: prompt %v %v", name, o["promptName"], o["promptVersion"])
		}
		if o["completionStartTime"] != nil {
			t.Errorf("%.12s: completion start %v", name, o["completionStartTime"])
		}
		if tn, _ := o["traceName"].(string); len(tn) > 1000 || len(name) > 1000 && (tn != "" || o["userId"] != nil) {
			t.Errorf("%.12s: trace name of %d characters, user %v", name, len(tn), o["userId"])
		}
	}
}

// Review of issue 19, finding 8: usage values out of range and a level
// outside the enum are not stored as sent.
func TestUsageAndLevelValidated(t *testing.T) {
	ts := start(t)
	body := marshal(t, request(nil, span(1, 1, 0, "usage",
		str("langfuse.observation.type", "generation"),
		str("langfuse.observation.usage_details", `{"input":1e300,"output":-5,"x":9.3e18,"frac":1.5,"total":5,"cached":3}`),
		str("langfuse.observation.level", "BOGUS"),
	), span(1, 2, 1, "tokens", num("gen_ai.usage.input_tokens", -4), num("gen_ai.usage.output_tokens", 6)),
		span(1, 3, 1, "typed", str("langfuse.observation.type", "nonsense"))))
	ts.do(t, "POST", TracesPath, body, proto1)
	by := map[string]map[string]any{}
	for _, o := range ts.readPage(t, "?fields=basic,usage") {
		by[o["name"].(string)] = o
	}
	if u := fmt.Sprint(by["usage"]["usageDetails"]); u != "map[cached:3 total:5]" {
		t.Errorf("usage details %s, want only the non-negative integers", u)
	}
	if l := by["usage"]["level"]; l != "DEFAULT" {
		t.Errorf("level %v, want DEFAULT for a level outside the enum", l)
	}
	if u := fmt.Sprint(by["tokens"]["usageDetails"]); u != "map[output:6 total:6]" {
		t.Errorf("gen_ai tokens: %s", u)
	}
	if typ := by["typed"]["type"]; typ != "SPAN" {
		t.Errorf("type %v, want SPAN for a type outside the enum", typ)
	}
}

// Review of issue 19, finding 9: a cursor the server did not give is a
// 400 naming the parameter, not page 1 again.
func TestGarbageCursorRefused(t *testing.T) {
	ts := start(t)
	ts.do(t, "POST", TracesPath, marshal(t, request(nil, span(1, 1, 0, "a"), span(1, 2, 0, "b"))), proto1)
	for _, c := range []string{"AAAA", "eyJ4IjoxfQ==", "bm9wZQ"} {
		resp, b := ts.do(t, "GET", ObservationsPath+"?limit=1&cursor="+c, nil, nil)
		if resp.StatusCode != 400 || !strings.Contains(b, "cursor") {
			t.Errorf("cursor=%s: %d %s", c, resp.StatusCode, b)
		}
	}
	_, b := ts.do(t, "GET", ObservationsPath+"?limit=1", nil, nil)
	var page struct{ Meta struct{ Cursor string } }
	json.Unmarshal([]byte(b), &page)
	if resp, b := ts.do(t, "GET", ObservationsPath+"?limit=1&cursor="+page.Meta.Cursor, nil, nil); resp.StatusCode != 200 || !strings.Contains(b, `"name":"a"`) {
		t.Errorf("own cursor: %d %s", resp.StatusCode, b)
	}
}

// Review of issue 19, finding 2: one score's size is bounded.
func TestScoreSizeBounded(t *testing.T) {
	ts := start(t)
	big := fmt.Sprintf(`{"traceId":"t","name":"n","value":1,"comment":%q}`, strings.Repeat("a", maxScoreBody))
	if resp, b := ts.do(t, "POST", ScoresPath, []byte(big), nil); resp.StatusCode != 413 || !strings.Contains(b, "score") {
		t.Errorf("large score: %d %s", resp.StatusCode, b)
	}
	if st := ts.Store.Stats(); st.Scores != 0 {
		t.Errorf("stored: %+v", st)
	}
}

// Review of issue 19, finding 3: decoding is bounded in request bytes
// held at once; a request that cannot get its share in time is answered
// 429 with Retry-After, and nothing is stored from it.
func TestDecodeBudget(t *testing.T) {
	ts := start(t)
	ts.MaxBodyBytes = 1 << 20
	ts.DecodeWait = 50 * time.Millisecond
	body := marshal(t, request(nil, span(1, 1, 0, "x", str("langfuse.observation.input", strings.Repeat("i", 100<<10)))))
	// Another request holds the whole budget.
	if !ts.budget().acquire(t.Context(), ts.budget().capacity, 0) {
		t.Fatal("budget not free")
	}
	resp, b := ts.do(t, "POST", TracesPath, body, proto1)
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" || !strings.Contains(b, "nothing from this request was stored") {
		t.Errorf("over budget: %d %q %s", resp.StatusCode, resp.Header.Get("Retry-After"), b)
	}
	ts.budget().release(ts.budget().capacity)
	// Many concurrent requests: all stored, never more than the budget held.
	var wg sync.WaitGroup
	ts.DecodeWait = 10 * time.Second
	for i := range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := marshal(t, request(nil, span(10+i, 1, 0, "x", str("langfuse.observation.input", strings.Repeat("i", 300<<10)))))
			req, _ := http.NewRequest("POST", ts.url+TracesPath, bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/x-protobuf")
			if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
				t.Errorf("request %d: %v %v", i, err, resp)
			} else {
				resp.Body.Close()
			}
		}()
	}
	wg.Wait()
	if peak, capacity := ts.budget().peakUsed(), ts.budget().capacity; peak > capacity || peak == 0 {
		t.Errorf("peak %d bytes held for decoding, budget %d", peak, capacity)
	}
	if st := ts.Store.Stats(); st.Traces != 12 {
		t.Errorf("stored %d traces", st.Traces)
	}
}

var _ = commonpb.AnyValue{}

// Review of issue 19, findings 11 and 12: with keys set, the UI and the
// uploaded media need them too (media by Basic auth or a signed URL; an
// upload by its signed URL); and a body sent slowly does not hold a
// connection for ever.
func TestKeysGuardUIAndMedia(t *testing.T) {
	ts := start(t)
	ts.SetKeys("pk", "sk")
	ts.UI = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ui")) })
	get := func(url string, auth bool) (*http.Response, string) {
		req, _ := http.NewRequest("GET", url, nil)
		if auth {
			req.SetBasicAuth("pk", "sk")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	if resp, _ := get(ts.url+"/", false); resp.StatusCode != 401 || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic ") {
		t.Errorf("UI without keys: %d %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	if resp, b := get(ts.url+"/traces/x", true); resp.StatusCode != 200 || b != "ui" {
		t.Errorf("UI with keys: %d %s", resp.StatusCode, b)
	}
	data := []byte("secret-invoice-contents")
	post := fmt.Sprintf(`{"traceId":"t1","contentType":"text/plain","contentLength":%d,"sha256Hash":%q,"field":"input"}`, len(data), sha256sum(data))
	_, b := ts.do(t, "POST", MediaPath, []byte(post), nil)
	var m struct{ MediaID, UploadURL string }
	json.Unmarshal([]byte(b), &m)
	put := func(url string) int {
		req, _ := http.NewRequest("PUT", url, bytes.NewReader(data))
		req.Header.Set("Content-Type", "text/plain")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := put(ts.url + UploadPrefix + m.MediaID); code != 403 {
		t.Errorf("unsigned PUT: %d", code)
	}
	if code := put(ts.url + UploadPrefix + m.MediaID + "?X-Amz-Signature=local"); code != 403 {
		t.Errorf("wrongly signed PUT: %d", code)
	}
	if code := put(m.UploadURL); code != 200 {
		t.Fatalf("PUT to the upload URL: %d", code)
	}
	if resp, b := get(ts.url+UploadPrefix+m.MediaID, false); resp.StatusCode != 401 || strings.Contains(b, string(data)) {
		t.Errorf("media without keys: %d %s", resp.StatusCode, b)
	}
	if resp, b := get(ts.url+UploadPrefix+m.MediaID, true); resp.StatusCode != 200 || b != string(data) {
		t.Errorf("media with keys: %d %s", resp.StatusCode, b)
	}
	_, b = ts.do(t, "GET", MediaPath+"/"+m.MediaID, nil, nil)
	var meta struct{ URL string }
	json.Unmarshal([]byte(b), &meta)
	if resp, b := get(meta.URL, false); resp.StatusCode != 200 || b != string(data) {
		t.Errorf("signed media URL %s: %d %s", meta.URL, resp.StatusCode, b)
	}
}

func TestSlowBodyCutOff(t *testing.T) {
	ts := start(t)
	ts.BodyTimeout = 300 * time.Millisecond
	for _, path := range []string{TracesPath, ScoresPath} {
		conn, err := net.Dial("tcp", strings.TrimPrefix(ts.url, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Basic cGs6c2s=\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{", path, strings.TrimPrefix(ts.url, "http://"))
		start := time.Now()
		conn.SetDeadline(time.Now().Add(10 * time.Second))
		buf := make([]byte, 512)
		var answer string
		for time.Since(start) < 10*time.Second {
			conn.Write([]byte(" ")) // one byte every 50 ms: never done
			conn.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
			n, err := conn.Read(buf)
			answer += string(buf[:n])
			if n > 0 || err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
				break
			}
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%s: a body sent one byte at a time held the connection %v", path, d)
		}
		// Review 22b (lows): the answer says the body took too long.
		if !strings.HasPrefix(answer, "HTTP/1.1 408") {
			t.Errorf("%s: a body cut by the deadline answered %q, want 408", path, answer)
		}
		conn.Close()
	}
	if st := ts.Store.Stats(); st.Traces != 0 || st.Scores != 0 {
		t.Errorf("stored: %+v", st)
	}
}
