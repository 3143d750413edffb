package record

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"regexp"
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
// audio base64 data URI, and the base64 data of every OpenAI input_audio
// part, replaced by its media reference, handing each payload to upload.
// Without media it returns raw itself.
func replaceMedia(raw []byte, field string, upload func(*Media)) []byte {
	raw = replaceInputAudio(raw, field, upload)
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
	return n, decodeMedia(ctype, payload, field, upload), true
}

// decodeMedia decodes a base64 payload (as it stands in JSON) of type
// ctype, hands it to upload and returns its reference; or returns a
// placeholder for an invalid or oversized payload.
func decodeMedia(ctype string, payload []byte, field string, upload func(*Media)) string {
	if bytes.Contains(payload, []byte(`\/`)) { // JSON may escape "/"
		payload = bytes.ReplaceAll(payload, []byte(`\/`), []byte("/"))
	}
	if base64.StdEncoding.DecodedLen(len(payload)) > MaxMediaBytes+3 {
		return placeholderOversizeMedia
	}
	data := make([]byte, base64.StdEncoding.DecodedLen(len(payload)))
	k, err := base64.StdEncoding.Decode(data, payload)
	if err != nil { // unpadded
		k, err = base64.RawStdEncoding.Decode(data, bytes.TrimRight(payload, "="))
	}
	data = data[:k]
	if err != nil || len(data) == 0 {
		return placeholderInvalidMedia
	}
	if len(data) > MaxMediaBytes {
		return placeholderOversizeMedia
	}
	m := &Media{Field: field, ContentType: ctype, Data: data, SHA256: sha256.Sum256(data)}
	m.ID = MediaID(m.SHA256)
	upload(m)
	return m.Ref()
}

var audioMarker = []byte(`"input_audio"`)

// replaceInputAudio replaces the data of OpenAI's audio input parts,
// {"type":"input_audio","input_audio":{"data":"<base64>","format":"wav"}},
// which carry raw base64 rather than a data URI: the type is audio/{format}.
func replaceInputAudio(raw []byte, field string, upload func(*Media)) []byte {
	if !bytes.Contains(raw, audioMarker) {
		return raw
	}
	var out []byte
	last, pos := 0, 0
	for {
		i := bytes.Index(raw[pos:], audioMarker)
		if i < 0 {
			break
		}
		pos += i + len(audioMarker)
		p := skipSpace(raw, pos)
		if p >= len(raw) || raw[p] != ':' {
			continue // a value "input_audio", not the key
		}
		p = skipSpace(raw, p+1)
		if p >= len(raw) || raw[p] != '{' {
			continue
		}
		dec := json.NewDecoder(bytes.NewReader(raw[p:]))
		var part struct {
			Data   *string `json:"data"`
			Format string  `json:"format"`
		}
		if dec.Decode(&part) != nil || part.Data == nil || strings.HasPrefix(*part.Data, "data:") {
			continue // a data URI is the other pass's
		}
		end := p + int(dec.InputOffset())
		ctype := "audio/" + strings.ToLower(strings.TrimSpace(part.Format))
		if !mediaTypes[ctype] {
			continue
		}
		// Where the data string stands in the part: base64 holds no quote.
		loc := dataKey.FindIndex(raw[p:end])
		if loc == nil {
			continue
		}
		vs := p + loc[1] // just past the opening quote
		ve := bytes.IndexByte(raw[vs:end], '"')
		if ve < 0 || (ve > 0 && raw[vs+ve-1] == '\\') { // an escaped quote: not base64
			continue
		}
		ve += vs
		ref := decodeMedia(ctype, raw[vs:ve], field, upload)
		if out == nil {
			out = make([]byte, 0, min(len(raw), vs+4096))
		}
		out = append(out, raw[last:vs]...)
		out = append(out, ref...)
		last, pos = ve, end
	}
	if out == nil {
		return raw
	}
	return append(out, raw[last:]...)
}

// dataKey finds the "data" member of an input_audio part (the part is
// flat, so a "data" followed by a colon is its key).
var dataKey = regexp.MustCompile(`"data"\s*:\s*"`)

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}
