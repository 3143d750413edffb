package platform

import (
	"strings"
	"testing"
)

func TestNormalizeBase(t *testing.T) {
	for in, want := range map[string]string{
		"https://litefuse.cloud":                                  "https://litefuse.cloud",
		"https://litefuse.cloud/":                                 "https://litefuse.cloud",
		"https://litefuse.cloud/api/public/otel":                  "https://litefuse.cloud",
		"https://litefuse.cloud/api/public/otel/":                 "https://litefuse.cloud",
		"https://litefuse.cloud/api/public/otel/v1/traces":        "https://litefuse.cloud",
		"http://127.0.0.1:3000":                                   "http://127.0.0.1:3000",
		"https://example.com/langfuse/":                           "https://example.com/langfuse",
		"https://example.com/langfuse/api/public/otel/v1/traces/": "https://example.com/langfuse",
		" https://litefuse.cloud// ":                              "https://litefuse.cloud",
	} {
		got, err := NormalizeBase(in)
		if err != nil || got != want {
			t.Errorf("NormalizeBase(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "litefuse.cloud", "ftp://x", "https://user:sk-secret@x.com", "https://x.com/?a=1", "https://x.com/#f"} {
		got, err := NormalizeBase(in)
		if err == nil {
			t.Errorf("NormalizeBase(%q) = %q, want an error", in, got)
		} else if strings.Contains(err.Error(), "sk-secret") {
			t.Errorf("error quotes the credentials: %v", err)
		}
	}
}
