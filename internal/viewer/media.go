package viewer

import (
	"net/http"
	"strconv"
	"strings"
)

// mediaRef is a reference the library left in an input or output in place
// of uploaded media: @@@langfuseMedia:type=…|id=…|source=…@@@.
type mediaRef struct {
	Type, ID, Source string
	Kind             string // image, audio, video or file: how the page shows it
	URL              string // where the UI serves it
}

const (
	mediaOpen  = "@@@langfuseMedia:"
	mediaClose = "@@@"
)

// nextMedia finds the first well-formed media reference in s.
func nextMedia(s string) (ref mediaRef, before, after string, ok bool) {
	from := 0
	for {
		i := strings.Index(s[from:], mediaOpen)
		if i < 0 {
			return mediaRef{}, "", "", false
		}
		i += from
		body := s[i+len(mediaOpen):]
		j := strings.Index(body, mediaClose)
		if j < 0 {
			return mediaRef{}, "", "", false
		}
		if r, good := parseMedia(body[:j]); good {
			return r, s[:i], body[j+len(mediaClose):], true
		}
		from = i + len(mediaOpen)
	}
}

// parseMedia reads "type=…|id=…|source=…"; the id must be a plain token so
// that the media URL cannot point anywhere else.
func parseMedia(body string) (mediaRef, bool) {
	var r mediaRef
	for _, field := range strings.Split(body, "|") {
		k, v, _ := strings.Cut(field, "=")
		switch k {
		case "type":
			r.Type = v
		case "id":
			r.ID = v
		case "source":
			r.Source = v
		}
	}
	if r.ID == "" || len(r.ID) > 128 || strings.IndexFunc(r.ID, func(c rune) bool {
		return !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_')
	}) >= 0 {
		return mediaRef{}, false
	}
	r.Kind = "file"
	if inlineType(r.Type) {
		r.Kind, _, _ = strings.Cut(r.Type, "/")
	}
	r.URL = "/media/" + r.ID
	return r, true
}

// mediaIn collects the media references anywhere in a decoded value.
func mediaIn(v any) []mediaRef {
	var refs []mediaRef
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case string:
			for s := v; ; {
				ref, _, after, ok := nextMedia(s)
				if !ok {
					break
				}
				refs = append(refs, ref)
				s = after
			}
		case []any:
			for _, e := range v {
				walk(e)
			}
		case map[string]any:
			for _, k := range sortedKeys(v) {
				walk(v[k])
			}
		}
	}
	walk(v)
	return refs
}

// inlineType reports whether the browser may show media of this type in
// the page: raster images, audio and video. Anything else (SVG and HTML
// among them) is only ever downloaded.
func inlineType(t string) bool {
	t = strings.ToLower(strings.TrimSpace(t))
	switch t {
	case "image/png", "image/jpeg", "image/jpg", "image/gif", "image/webp", "image/avif", "image/bmp":
		return true
	}
	return strings.HasPrefix(t, "audio/") || strings.HasPrefix(t, "video/")
}

// media serves "/media/{id}": an uploaded payload, inline when it is a
// raster image, audio or video, else as a download. It runs in a sandbox
// either way, so no upload can run script on this origin.
func (h *Handler) media(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	ctype, data, ok := h.store.Media(id)
	if !ok {
		http.Error(w, "litefuse ui: no media with id "+strconv.Quote(id), http.StatusNotFound)
		return
	}
	hd := w.Header()
	hd.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	if inlineType(ctype) {
		hd.Set("Content-Type", ctype)
	} else {
		hd.Set("Content-Type", "application/octet-stream")
		hd.Set("Content-Disposition", "attachment")
	}
	hd.Set("Cache-Control", "private, max-age=3600")
	hd.Set("Content-Length", strconv.Itoa(len(data)))
	_, _ = w.Write(data)
}
