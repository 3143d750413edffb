package viewer

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/litefuse/litefuse-go/internal/store"
	"golang.org/x/net/html"
)

// get serves one request through the UI and returns the status and body.
func get(t *testing.T, h http.Handler, target string) (*http.Response, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
	res := rec.Result()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

func mustContain(t *testing.T, body string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("page lacks %q", w)
		}
	}
}

func TestUnknownTraceAndObservationAre404(t *testing.T) {
	fs := newFakeStore()
	tr, obs, scores := chatTrace()
	fs.add(tr, obs, scores...)
	h := New(fs)
	for _, target := range []string{
		"/traces/0000000000000000000000000000dead",
		"/traces/0000000000000000000000000000dead/observations/aaaaaaaaaaaaaaa2",
		"/traces/" + tr.ID + "/observations/ffffffffffffffff",
		"/no-such-page",
	} {
		res, body := get(t, h, target)
		if res.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", target, res.StatusCode)
		}
		if !strings.HasPrefix(target, "/no-") {
			mustContain(t, body, "No ", "evicted")
		}
	}
}

func TestOnlyGET(t *testing.T) {
	rec := httptest.NewRecorder()
	New(newFakeStore()).ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/", strings.NewReader("x")))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST / = %d, want 405", rec.Code)
	}
}

func TestSecurityHeadersAndNoCORS(t *testing.T) {
	fs := newFakeStore()
	tr, obs, scores := chatTrace()
	fs.add(tr, obs, scores...)
	for _, target := range []string{"/", "/traces/" + tr.ID, "/traces/" + tr.ID + "/observations/aaaaaaaaaaaaaaa2", "/assets/ui.js", "/traces/nope"} {
		res, _ := get(t, New(fs), target)
		csp := res.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "default-src 'self'") || strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
			t.Errorf("%s: Content-Security-Policy = %q", target, csp)
		}
		if res.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: X-Content-Type-Options = %q", target, res.Header.Get("X-Content-Type-Options"))
		}
		for k := range res.Header {
			if strings.HasPrefix(k, "Access-Control-") {
				t.Errorf("%s: CORS header %s sent", target, k)
			}
		}
	}
}

// scriptless walks a page and reports anything that could run script: an
// inline <script>, a script from elsewhere than the UI's own file, an
// on… attribute, a javascript: URL, an iframe/object/embed.
func scriptless(t *testing.T, page string) {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			switch n.Data {
			case "script":
				if n.FirstChild != nil || attr(n, "src") != "/assets/ui.js" {
					t.Errorf("a script other than /assets/ui.js: src=%q", attr(n, "src"))
				}
			case "iframe", "object", "embed", "base", "form":
				if n.Data != "form" || attr(n, "action") != "/" {
					t.Errorf("<%s> in the page", n.Data)
				}
			}
			for _, a := range n.Attr {
				v := strings.ToLower(strings.TrimSpace(a.Val))
				if strings.HasPrefix(a.Key, "on") || a.Key == "style" || a.Key == "srcdoc" ||
					strings.HasPrefix(v, "javascript:") || strings.HasPrefix(v, "data:") || strings.HasPrefix(v, "vbscript:") {
					t.Errorf("<%s %s=%q>", n.Data, a.Key, a.Val)
				}
				if (a.Key == "src" || a.Key == "href") && !strings.HasPrefix(v, "/") && !strings.HasPrefix(v, "#") {
					t.Errorf("<%s %s=%q> points outside the UI", n.Data, a.Key, a.Val)
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

const hostile = `<script>alert(1)</script><img src=x onerror=alert(2)><a href="javascript:alert(3)">click</a> [md](javascript:alert(4)) ![x](https://evil.example/x.png) "><svg onload=alert(5)> </textarea></pre>`

func TestHostileDataRendersAsText(t *testing.T) {
	fs := newFakeStore()
	tr := store.Trace{
		ID: "7777777777777777777777777777777a", Name: hostile, UserID: hostile, SessionID: hostile, Tags: []string{hostile, "javascript:alert(6)"},
		Environment: hostile, Release: hostile, Version: hostile, Metadata: map[string]any{hostile: hostile},
		Input: hostile, Output: map[string]any{"x": hostile}, StartTime: t0, EndTime: t0.Add(time1), Errors: 1,
	}
	obs := []store.Observation{
		{ID: "b1", TraceID: tr.ID, Type: "GENERATION", Name: hostile, ProvidedModelName: hostile, Level: "ERROR", StatusMessage: hostile,
			StartTime: t0, EndTime: t0.Add(time1),
			Input: []any{map[string]any{"role": hostile, "name": hostile, "content": []any{map[string]any{"type": "text", "text": hostile}, map[string]any{"type": "image_url", "image_url": map[string]any{"url": "javascript:alert(7)"}}}}},
			Output: map[string]any{"role": "assistant", "content": hostile, "reasoning_content": hostile,
				"tool_calls": []any{map[string]any{"id": hostile, "function": map[string]any{"name": hostile, "arguments": hostile}}}},
			ModelParameters: map[string]any{hostile: hostile}, Metadata: map[string]any{"k": hostile},
			UsageDetails: map[string]int64{hostile: 1}, CostDetails: map[string]float64{hostile: 1}, PromptName: hostile, PromptVersion: 1},
		{ID: "b2", TraceID: tr.ID, ParentObservationID: "b1", Type: hostile, Name: hostile, StartTime: t0, EndTime: t0, Input: hostile, Output: []any{hostile, 1}},
	}
	scores := []store.Score{{Name: hostile, StringValue: hostile, DataType: hostile, Comment: hostile, ObservationID: "b1", SessionID: hostile}}
	fs.add(tr, obs, scores...)
	h := New(fs)
	for _, target := range []string{"/", "/traces/" + tr.ID, "/traces/" + tr.ID + "/observations/b1", "/traces/" + tr.ID + "/observations/b2", "/?name=" + strings.ReplaceAll(hostile, " ", "+")} {
		res, body := get(t, h, target)
		if res.StatusCode != 200 {
			t.Fatalf("GET %s = %d", target, res.StatusCode)
		}
		scriptless(t, body)
		if strings.Contains(body, "<script>alert") || strings.Contains(body, "<img src=x") || strings.Contains(body, "<svg onload") {
			t.Errorf("%s: hostile markup reached the page unescaped", target)
		}
		mustContain(t, body, "&lt;script&gt;alert(1)&lt;/script&gt;") // shown as the text it is
	}
}

const time1 = 1e9 // one second, as a time.Duration constant

func TestScriptlessCanFail(t *testing.T) {
	for _, page := range []string{
		`<script>alert(1)</script>`, `<img src=x onerror=alert(1)>`, `<a href="javascript:alert(1)">x</a>`,
		`<img src="https://evil.example/x">`, `<iframe src="/"></iframe>`, `<script src="/other.js"></script>`,
	} {
		ft := &testing.T{}
		done := make(chan struct{})
		go func() { defer close(done); scriptless(ft, page) }()
		<-done
		if !ft.Failed() {
			t.Errorf("scriptless passed %s", page)
		}
	}
}
