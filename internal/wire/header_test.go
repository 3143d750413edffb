package wire

import (
	"net/http"
	"testing"
)

// TestHeaderValueIsGet: for the canonical keys the recording reads,
// HeaderValue answers as http.Header.Get does, whatever the header holds:
// set through Set or Add, several values, an empty value, a key put into
// the map by hand in another case (found by neither), or nothing.
func TestHeaderValueIsGet(t *testing.T) {
	keys := []string{"Content-Type", "Content-Encoding", "Accept-Encoding", "Authorization", "Api-Key", "X-Api-Key", "X-Stainless-Retry-Count"}
	headers := []http.Header{nil, {}}
	for _, k := range keys {
		h := http.Header{}
		h.Set(k, "v-"+k)
		h.Add(k, "second")
		headers = append(headers, h, http.Header{k: {""}}, http.Header{k: {}})
		lower := http.Header{}
		lower[string([]byte{k[0] | 0x20})+k[1:]] = []string{"by-hand"}
		headers = append(headers, lower)
	}
	for _, h := range headers {
		for _, k := range keys {
			if got, want := HeaderValue(h, k), h.Get(k); got != want {
				t.Errorf("HeaderValue(%v, %q) = %q, Get gives %q", h, k, got, want)
			}
		}
	}
}
