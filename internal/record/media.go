package record

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"strings"
)

// MaxMediaBytes is the largest decoded media payload uploaded; a larger
// one stays out of the span as a short placeholder.
const MaxMediaBytes = 20 << 20

// Media is one decoded data URI payload, to upload.
type Media struct {
	Field       string // "input" or "output"
	ContentType string // e.g. "image/png"
	Data        []byte
	SHA256      [32]byte
	ID          string // the Langfuse media id: base64url(SHA-256)[:22]
}

// Ref is the reference Litefuse shows in place of the data URI.
func (m *Media) Ref() string {
	return "@@@langfuseMedia:type=" + m.ContentType + "|id=" + m.ID + "|source=base64_data_uri@@@"
}

// MediaID is the Langfuse media id of a payload's SHA-256.
func MediaID(sum [32]byte) string {
	return base64.RawURLEncoding.EncodeToString(sum[:])[:22]
}

// mediaTypes are the image and audio types Litefuse's media API takes
// (MediaContentType in its API definition); a data URI of another type is
// recorded as it is.
var mediaTypes = map[string]bool{
	"image/png": true, "image/jpeg": true, "image/jpg": true, "image/webp": true,
	"image/gif": true, "image/svg+xml": true, "image/tiff": true, "image/bmp": true,
	"image/avif": true, "image/heic": true,
	"audio/mpeg": true, "audio/mp3": true, "audio/wav": true, "audio/ogg": true,
	"audio/oga": true, "audio/aac": true, "audio/mp4": true, "audio/flac": true,
	"audio/opus": true, "audio/webm": true,
}

const (
	placeholderInvalidMedia  = "[litefuse: invalid base64 in a data URI; not recorded]"
	placeholderOversizeMedia = "[litefuse: media data URI over 20 MB; not recorded]"
)

// replaceMedia returns raw JSON with every string value that is an image or
// audio base64 data URI replaced by its media reference, handing each
// payload to upload. Without data URIs it returns raw itself.
func replaceMedia(raw []byte, field string, upload func(*Media)) []byte {
	marker := []byte(`"data:`)
	var out []byte
	last, pos := 0, 0 // raw[:last] is handled; the search goes on at pos
	for {
		i := bytes.Index(raw[pos:], marker)
		if i < 0 {
			break
		}
		start := pos + i
		n, ref, ok := mediaString(raw[start:], field, upload)
		if !ok {
			pos = start + len(marker)
			continue
		}
		if out == nil { // the payloads go: the result is usually far smaller
			out = make([]byte, 0, min(len(raw), start+4096))
		}
		out = append(out, raw[last:start]...)
		out = append(out, '"')
		out = append(out, ref...)
		out = append(out, '"')
		last, pos = start+n, start+n
	}
	if out == nil {
		return raw
	}
	return append(out, raw[last:]...)
}

// mediaString reads a JSON string at s (starting with its quote) holding
// a data URI. It returns the length of the string with its quotes and what
// to record instead, or ok=false to keep it as it is.
func mediaString(s []byte, field string, upload func(*Media)) (n int, ref string, ok bool) {
	end := bytes.IndexByte(s[1:], '"')
	if end < 0 {
		return 0, "", false
	}
	// A quote preceded by a backslash is escaped: data URIs have none.
	if end > 0 && s[end] == '\\' {
		return 0, "", false
	}
	n = end + 2
	head, payload, found := bytes.Cut(s[len(`"data:`):end+1], []byte(","))
	if !found || !bytes.HasSuffix(head, []byte(";base64")) {
		return 0, "", false
	}
	ctype, _, _ := strings.Cut(string(head[:len(head)-len(";base64")]), ";")
	ctype = strings.ToLower(strings.TrimSpace(ctype))
	if !mediaTypes[ctype] {
		return 0, "", false // Litefuse would refuse it: keep it as it is
	}
	if bytes.Contains(payload, []byte(`\/`)) { // JSON may escape "/"
		payload = bytes.ReplaceAll(payload, []byte(`\/`), []byte("/"))
	}
	if base64.StdEncoding.DecodedLen(len(payload)) > MaxMediaBytes+3 {
		return n, placeholderOversizeMedia, true
	}
	data := make([]byte, base64.StdEncoding.DecodedLen(len(payload)))
	k, err := base64.StdEncoding.Decode(data, payload)
	if err != nil { // unpadded
		k, err = base64.RawStdEncoding.Decode(data, bytes.TrimRight(payload, "="))
	}
	data = data[:k]
	if err != nil || len(data) == 0 {
		return n, placeholderInvalidMedia, true
	}
	if len(data) > MaxMediaBytes {
		return n, placeholderOversizeMedia, true
	}
	m := &Media{Field: field, ContentType: ctype, Data: data, SHA256: sha256.Sum256(data)}
	m.ID = MediaID(m.SHA256)
	upload(m)
	return n, m.Ref(), true
}
