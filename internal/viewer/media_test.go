package viewer

import (
	"strings"
	"testing"

	"github.com/litefuse/litefuse-go/internal/store"
)

func TestMediaInlineAndServed(t *testing.T) {
	fs := newFakeStore()
	png := []byte("\x89PNG\r\n\x1a\nfake")
	fs.media["img_1"] = mediaBlob{"image/png", png}
	fs.media["svg_1"] = mediaBlob{"image/svg+xml", []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`)}
	fs.media["html_1"] = mediaBlob{"text/html", []byte(`<script>alert(1)</script>`)}
	ref := func(typ, id string) string {
		return "@@@langfuseMedia:type=" + typ + "|id=" + id + "|source=base64_data_uri@@@"
	}
	tr := store.Trace{ID: "tm", StartTime: t0, EndTime: t0}
	fs.add(tr, []store.Observation{
		{ID: "g", TraceID: "tm", Type: "GENERATION", StartTime: t0, EndTime: t0,
			Input: []any{map[string]any{"role": "user", "content": []any{
				map[string]any{"type": "text", "text": "What is in " + ref("image/png", "img_1") + " and this?"},
				map[string]any{"type": "input_audio", "input_audio": map[string]any{"data": ref("audio/wav", "aud_1"), "format": "wav"}},
				map[string]any{"type": "image_url", "image_url": map[string]any{"url": ref("image/svg+xml", "svg_1")}},
			}}},
			Output: "A cat."},
		{ID: "s", TraceID: "tm", Type: "SPAN", StartTime: t0, EndTime: t0,
			Input: map[string]any{"doc": ref("application/pdf", "pdf_1"), "bad": ref("image/png", "../../api/x")}},
	})
	h := New(fs)
	_, body := get(t, h, "/traces/tm/observations/g")
	mustContain(t, body, "What is in ", `<img src="/media/img_1"`, " and this?", `<audio controls preload="metadata" src="/media/aud_1">`,
		`<a class="file" href="/media/svg_1">download</a>`)
	scriptless(t, body)
	_, body = get(t, h, "/traces/tm/observations/s")
	mustContain(t, body, `<a class="file" href="/media/pdf_1">download</a>`)
	if strings.Contains(body, "/media/../") || strings.Contains(body, `href="/media/..`) {
		t.Error("a media id with a path in it became a link")
	}

	res, got := get(t, h, "/media/img_1")
	if res.StatusCode != 200 || got != string(png) || res.Header.Get("Content-Type") != "image/png" {
		t.Errorf("GET /media/img_1 = %d %q %q", res.StatusCode, res.Header.Get("Content-Type"), got)
	}
	for _, id := range []string{"svg_1", "html_1"} {
		res, _ := get(t, h, "/media/"+id)
		if res.Header.Get("Content-Type") != "application/octet-stream" || !strings.HasPrefix(res.Header.Get("Content-Disposition"), "attachment") ||
			!strings.Contains(res.Header.Get("Content-Security-Policy"), "sandbox") {
			t.Errorf("GET /media/%s served as %q, %q, CSP %q: a scriptable upload must download, sandboxed", id,
				res.Header.Get("Content-Type"), res.Header.Get("Content-Disposition"), res.Header.Get("Content-Security-Policy"))
		}
	}
	if res, _ := get(t, h, "/media/nope"); res.StatusCode != 404 {
		t.Errorf("GET /media/nope = %d, want 404", res.StatusCode)
	}
}
