package litefusetest_test

import (
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// What a user copies must build in their module: nothing under examples/
// imports internal/, and the docs do not tell users to.
func TestExamplesAndDocsUseNoInternalPackage(t *testing.T) {
	files, _ := filepath.Glob("../examples/*/*.go")
	if len(files) == 0 {
		t.Fatal("no examples found")
	}
	for _, f := range files {
		parsed, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range parsed.Imports {
			if p, _ := strconv.Unquote(imp.Path.Value); strings.Contains(p, "/internal/") {
				t.Errorf("%s imports %s, which another module cannot import", f, p)
			}
		}
	}
	docs, _ := filepath.Glob("../docs/*.md")
	for _, f := range docs {
		b, _ := os.ReadFile(f)
		for _, pkg := range []string{"internal/otlpreceiver", "internal/fakeark"} {
			if strings.Contains(string(b), pkg) {
				t.Errorf("%s points users at %s", f, pkg)
			}
		}
	}
}

// Importing litefuse pulls in none of the local Litefuse.
func TestLibraryDoesNotDependOnServer(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	out, err := exec.Command("go", "list", "-deps", "..").CombinedOutput()
	if err != nil {
		t.Skipf("go list: %v: %s", err, out)
	}
	for _, p := range strings.Fields(string(out)) {
		for _, server := range []string{"/litefusetest", "/internal/lfserver", "/internal/store", "/cmd/litefuse"} {
			if strings.HasSuffix(p, server) {
				t.Errorf("the litefuse package depends on %s", p)
			}
		}
	}
}
