package otlpreceiver

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func call(t *testing.T, method, u string, body any, auth bool) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, u, rd)
	if auth {
		req.SetBasicAuth("pk", "sk")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func TestPlatformPrompts(t *testing.T) {
	r := New()
	defer r.Close()
	r.PutPrompt(Prompt{Name: "a/b", Version: 1, Text: "one", Labels: []string{"production"}})
	r.PutPrompt(Prompt{Name: "a/b", Version: 2, Text: "two", Labels: []string{"production"}})
	r.PutPrompt(Prompt{Name: "a/b", Version: 3, Messages: []PromptMessage{{Role: "user", Content: "hi"}, {Type: "placeholder", Name: "h"}}, Labels: []string{"staging"}})
	base := r.BaseURL() + "/api/public/v2/prompts/" + url.PathEscape("a/b")
	for q, want := range map[string]float64{"": 2, "?label=production": 2, "?version=1": 1, "?label=staging": 3, "?label=latest": 3} {
		code, out := call(t, "GET", base+q, nil, true)
		if code != 200 || out["version"] != want {
			t.Errorf("%q: %d %v", q, code, out)
		}
	}
	_, out := call(t, "GET", base+"?version=3", nil, true)
	if out["type"] != "chat" || len(out["prompt"].([]any)) != 2 || out["prompt"].([]any)[1].(map[string]any)["type"] != "placeholder" {
		t.Errorf("chat: %v", out)
	}
	for _, q := range []string{"?version=9", "?label=nope"} {
		if code, _ := call(t, "GET", base+q, nil, true); code != 404 {
			t.Errorf("%s: %d", q, code)
		}
	}
	if code, _ := call(t, "GET", base, nil, false); code != 401 {
		t.Errorf("no auth: %d", code)
	}
	r.SetKeys("pk", "other")
	if code, _ := call(t, "GET", base, nil, true); code != 401 {
		t.Errorf("wrong keys: %d", code)
	}
}

func TestPlatformScoresAndProjects(t *testing.T) {
	r := New()
	defer r.Close()
	for range 2 { // a retry: same id, one score
		if code, out := call(t, "POST", r.BaseURL()+"/api/public/scores", map[string]any{"id": "s1", "name": "q", "value": 1, "traceId": "t"}, true); code != 200 || out["id"] != "s1" {
			t.Fatalf("%d %v", code, out)
		}
	}
	if code, _ := call(t, "POST", r.BaseURL()+"/api/public/scores", map[string]any{"name": "q", "value": 1}, true); code != 400 {
		t.Fatalf("no target: %d", code)
	}
	if n := len(r.Scores()); n != 1 {
		t.Fatalf("%d scores", n)
	}
	if n := len(r.PlatformRequests("/api/public/scores")); n != 3 {
		t.Fatalf("%d requests", n)
	}
	r.FailPlatformNext(1, 503, nil)
	if code, _ := call(t, "GET", r.BaseURL()+"/api/public/projects", nil, true); code != 503 {
		t.Fatalf("injected failure: %d", code)
	}
	code, out := call(t, "GET", r.BaseURL()+"/api/public/projects", nil, true)
	if code != 200 || out["data"].([]any)[0].(map[string]any)["id"] != ProjectID {
		t.Fatalf("%d %v", code, out)
	}
}

func TestPlatformMediaUploadFlow(t *testing.T) {
	r := New()
	defer r.Close()
	img := []byte("\x89PNG fake image bytes")
	sum := sha256.Sum256(img)
	hash := base64.StdEncoding.EncodeToString(sum[:])
	req := map[string]any{"traceId": "t", "observationId": "o", "contentType": "image/png", "contentLength": len(img), "sha256Hash": hash, "field": "input"}
	code, out := call(t, "POST", r.BaseURL()+"/api/public/media", req, true)
	wantID := base64.RawURLEncoding.EncodeToString(sum[:])[:22]
	if code != 200 || out["mediaId"] != wantID || out["uploadUrl"] == nil {
		t.Fatalf("%d %v", code, out)
	}
	put, _ := http.NewRequest("PUT", out["uploadUrl"].(string), bytes.NewReader(img))
	put.Header.Set("Content-Type", "image/png")
	put.Header.Set("x-amz-checksum-sha256", hash)
	resp, err := http.DefaultClient.Do(put)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("PUT: %v %v", err, resp)
	}
	resp.Body.Close()
	if code, _ := call(t, "PATCH", r.BaseURL()+"/api/public/media/"+wantID, map[string]any{"uploadedAt": "2026-01-01T00:00:00Z", "uploadHttpStatus": 200}, true); code != 200 {
		t.Fatalf("PATCH: %d", code)
	}
	u := r.Uploads()[wantID]
	if !bytes.Equal(u.Bytes, img) || !u.ChecksumOK || u.Authorization != "" || u.ContentType != "image/png" || u.Patch["uploadHttpStatus"] != 200.0 {
		t.Fatalf("upload %+v", u)
	}
	// Known media: no upload URL.
	if _, out := call(t, "POST", r.BaseURL()+"/api/public/media", req, true); out["uploadUrl"] != nil {
		t.Fatalf("dedup: %v", out)
	}
	// A PUT for an id never announced is refused.
	bad, _ := http.NewRequest("PUT", r.BaseURL()+"/upload/unknown", strings.NewReader("x"))
	resp, _ = http.DefaultClient.Do(bad)
	if resp.StatusCode != 403 {
		t.Fatalf("unknown upload: %d", resp.StatusCode)
	}
	resp.Body.Close()
}
