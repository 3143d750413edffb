package wire

import "testing"

func TestMatch(t *testing.T) {
	cases := []struct {
		method, path string
		want         Route
	}{
		{"POST", "/api/v3/chat/completions", Chat},
		{"POST", "/v1/chat/completions/", Chat},
		{"POST", "/api/v3/bots/chat/completions", Chat},
		{"POST", "/api/v3/context/chat/completions", Chat},
		{"POST", "/api/v3/batch/chat/completions", Chat},
		{"POST", "chat/completions", Chat},
		{"post", "/v1/chat/completions", Chat},
		{"GET", "/v1/chat/completions", None},
		{"POST", "/v1/completions", Completion},
		{"POST", "/v1/completions/", Completion},
		{"POST", "/v1/textcompletions", None},
		{"POST", "/api/v3/embeddings", Embedding},
		{"POST", "/api/v3/embeddings/multimodal", None},
		{"POST", "/api/v3/responses", Responses},
		{"POST", "/api/v3/responses/", Responses},
		{"POST", "/api/v3/responses/resp_123", None},
		{"POST", "/api/v3/responses/resp_123/cancel", None},
		{"GET", "/api/v3/responses", None},
		{"POST", "/api/v3/models", None},
		{"POST", "/", None},
		{"POST", "", None},
	}
	for _, c := range cases {
		if got := Match(c.method, c.path); got != c.want {
			t.Errorf("Match(%q, %q) = %v, want %v", c.method, c.path, got, c.want)
		}
	}
}

func TestMatchDoesNotAllocate(t *testing.T) {
	if n := testing.AllocsPerRun(100, func() {
		Match("POST", "/api/v3/bots/chat/completions/")
		Match("post", "/api/v3/responses/abc")
	}); n != 0 {
		t.Errorf("%v allocations", n)
	}
}

func BenchmarkMatch(b *testing.B) {
	for b.Loop() {
		Match("POST", "/api/v3/chat/completions")
	}
}
