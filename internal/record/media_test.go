package record

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
)

func TestMediaReplacedByReference(t *testing.T) {
	png := []byte("\x89PNG fake image bytes")
	uri := "data:image/png;base64," + base64.StdEncoding.EncodeToString(png)
	raw := []byte(`[{"role":"user","content":[{"type":"text","text":"data: not media"},{"type":"image_url","image_url":{"url":"` + uri + `"}},{"type":"image_url","image_url":{"url":"` + uri + `"}}]}]`)
	var got []*Media
	out := replaceMedia(raw, "input", func(m *Media) { got = append(got, m) })
	if !json.Valid(out) {
		t.Fatalf("not JSON: %s", out)
	}
	sum := sha256.Sum256(png)
	id := base64.RawURLEncoding.EncodeToString(sum[:])[:22]
	ref := "@@@langfuseMedia:type=image/png|id=" + id + "|source=base64_data_uri@@@"
	if strings.Count(string(out), ref) != 2 || strings.Contains(string(out), "base64,") || !strings.Contains(string(out), "data: not media") {
		t.Errorf("replaced = %s", out)
	}
	if len(got) != 2 || string(got[0].Data) != string(png) || got[0].ID != id || got[0].Field != "input" || got[0].ContentType != "image/png" {
		t.Errorf("uploads = %+v", got)
	}
}

func TestMediaInvalidAndOtherTypesAndNone(t *testing.T) {
	raw := []byte(`{"a":"data:image/png;base64,!!!notbase64","b":"data:text/plain;base64,aGk=","c":"data:audio/wav;base64,UklGRg=="}`)
	n := 0
	out := string(replaceMedia(raw, "output", func(*Media) { n++ }))
	if !strings.Contains(out, placeholderInvalidMedia) || !strings.Contains(out, "data:text/plain;base64,aGk=") || !strings.Contains(out, "type=audio/wav") || n != 1 {
		t.Errorf("replaced = %s (%d uploads)", out, n)
	}
	other := []byte(`{"a":"data:image/x-icon;base64,aGk=","b":"data:IMAGE/PNG;base64,aGk="}`)
	out = string(replaceMedia(other, "input", func(*Media) { n++ }))
	if !strings.Contains(out, "data:image/x-icon;base64,aGk=") || !strings.Contains(out, "type=image/png|") || n != 2 {
		t.Errorf("a type Litefuse refuses stays, a known one in capitals is media: %s (%d uploads)", out, n)
	}
	plain := []byte(`{"x":"no media here"}`)
	if out := replaceMedia(plain, "input", func(*Media) { t.Error("upload") }); &out[0] != &plain[0] {
		t.Error("a value without media was copied")
	}
}

func TestFieldValueWithoutUploadsKeepsDataURIs(t *testing.T) {
	v := Values{}
	if got := v.FieldValue("input", "data:image/png;base64,aGk="); !strings.Contains(got, "base64,aGk=") {
		t.Errorf("without uploads the value is kept: %s", got)
	}
}

// BenchmarkReplaceMedia measures what a recorded call with a 1 MiB image
// pays in the caller's goroutine: finding, decoding and hashing it.
func BenchmarkReplaceMedia(b *testing.B) {
	img := make([]byte, 1<<20)
	for i := range img {
		img[i] = byte(i * 7)
	}
	raw := []byte(`[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png;base64,` + base64.StdEncoding.EncodeToString(img) + `"}}]}]`)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		_ = replaceMedia(raw, "input", func(*Media) {})
	}
}

func TestMediaInputAudio(t *testing.T) {
	wav, mp3 := []byte("RIFF....WAVEfmt "), []byte("ID3 mp3 bytes")
	b64 := base64.StdEncoding.EncodeToString
	raw := []byte(`{"messages":[{"role":"user","content":[` +
		`{"type":"input_audio","input_audio":{"data":"` + b64(wav) + `","format":"wav"}},` +
		`{"type":"input_audio", "input_audio" : { "format" : "MP3" , "data" : "` + b64(mp3) + `" }},` +
		`{"type":"input_audio","input_audio":{"data":"AAAA","format":"pcm16"}},` +
		`{"type":"input_audio","input_audio":{"data":"!!not base64","format":"wav"}},` +
		`{"type":"input_audio","input_audio":{"data":"a\"b","format":"wav"}},` +
		`{"type":"input_audio","input_audio":{"data":"data:audio/ogg;base64,T2dnUw==","format":"ogg"}},` +
		`{"type":"input_audio","input_audio":"not an object"}]}]}`)
	var got []*Media
	out := string(replaceMedia(raw, "input", func(m *Media) { got = append(got, m) }))
	if !json.Valid([]byte(out)) {
		t.Fatalf("not JSON: %s", out)
	}
	if len(got) != 3 || string(got[0].Data) != string(wav) || got[0].ContentType != "audio/wav" ||
		string(got[1].Data) != string(mp3) || got[1].ContentType != "audio/mp3" || got[2].ContentType != "audio/ogg" {
		t.Fatalf("uploads %+v", got)
	}
	for _, want := range []string{
		`"data":"` + got[0].Ref() + `","format":"wav"`,
		`"data" : "` + got[1].Ref() + `" }`,
		`{"data":"AAAA","format":"pcm16"}`, // not a type Litefuse takes
		`{"data":"` + placeholderInvalidMedia + `","format":"wav"}`,
		`{"data":"a\"b","format":"wav"}`,
		`{"data":"` + got[2].Ref() + `","format":"ogg"}`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %s in\n%s", want, out)
		}
	}
}
