package litefuse_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// goBlocks returns the ```go blocks of a Markdown file, dedented (blocks
// may sit inside list items).
func goBlocks(t *testing.T, path string) []string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var blocks []string
	var cur []string
	indent, in := "", false
	for line := range strings.SplitSeq(string(raw), "\n") {
		trimmed := strings.TrimLeft(line, " \t")
		switch {
		case !in && trimmed == "```go":
			in, indent, cur = true, line[:len(line)-len(trimmed)], nil
		case in && trimmed == "```":
			in = false
			blocks = append(blocks, strings.Join(cur, "\n")+"\n")
		case in:
			cur = append(cur, strings.TrimPrefix(line, indent))
		}
	}
	return blocks
}

// TestReadmeSnippetsBuild builds every Go snippet of the README as the
// program it is (each is a complete one, so it can be pasted as is).
// Snippets for other clients (openai-go, arkruntime) are built in the
// internal/clients module, which has those dependencies.
func TestReadmeSnippetsBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds programs")
	}
	blocks := goBlocks(t, "README.md")
	if len(blocks) < 3 {
		t.Fatalf("%d Go snippets in README.md; the test reads none of them?", len(blocks))
	}
	root, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	overlay := map[string]map[string]string{"Replace": {}}
	var pkgs []string
	for i, b := range blocks {
		if !strings.HasPrefix(b, "package main\n") {
			t.Errorf("README snippet %d is not a complete program (package main …):\n%s", i+1, b)
			continue
		}
		if strings.Contains(b, "github.com/openai/openai-go") || strings.Contains(b, "volcengine-go-sdk") {
			continue
		}
		src := filepath.Join(dir, strconv.Itoa(i)+".go")
		if err := os.WriteFile(src, []byte(b), 0o644); err != nil {
			t.Fatal(err)
		}
		pkg := filepath.Join("internal", "readmecheck", "snippet"+strconv.Itoa(i+1))
		overlay["Replace"][filepath.Join(root, pkg, "main.go")] = src
		pkgs = append(pkgs, "./"+filepath.ToSlash(pkg))
	}
	ov, _ := json.Marshal(overlay)
	ovPath := filepath.Join(dir, "overlay.json")
	if err := os.WriteFile(ovPath, ov, 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "bin") + string(filepath.Separator)
	cmd := exec.Command("go", append([]string{"build", "-overlay", ovPath, "-o", bin}, pkgs...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("README snippets do not build:\n%s", out)
	}
}
