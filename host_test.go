package litefuse

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// With no LANGFUSE_BASE_URL, spans go to Litefuse Cloud, the library's
// own host (DESIGN §3), never another vendor's.
func TestDefaultHostIsLitefuseCloud(t *testing.T) {
	if DefaultBaseURL != "https://litefuse.cloud" {
		t.Errorf("DefaultBaseURL = %q, want https://litefuse.cloud", DefaultBaseURL)
	}
	cfg, _ := loadEnv(lookupFrom(map[string]string{envPublicKey: "pk-lf-1", envSecretKey: "sk-lf-1"}))
	got, _, err := cfg.endpoint()
	if err != nil || got != "https://litefuse.cloud/api/public/otel/v1/traces" {
		t.Errorf("default endpoint = %q, %v", got, err)
	}
}

// No file of the repository names another vendor's host, as a default,
// a hint or an example.
func TestNoOtherVendorHost(t *testing.T) {
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if d.IsDir() || !(strings.HasSuffix(path, ".go") || strings.HasSuffix(path, ".md")) || path == "host_test.go" {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if strings.Contains(strings.ToLower(string(b)), "langfuse.com") {
			t.Errorf("%s mentions langfuse.com: use https://litefuse.cloud (or a local URL) instead", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
