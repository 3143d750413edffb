package main

import (
	"bytes"
	"go/ast"
	"go/token"
	"os"
	"path/filepath"
	"testing"
)

const pkgDir = "../../openai"

// TestGeneratedFileIsCurrent fails when openai/zz_generated.go differs from
// what the generator makes from the go-openai in go.mod: after upgrading
// go-openai, run `go generate ./openai`.
func TestGeneratedFileIsCurrent(t *testing.T) {
	src, version, err := moduleDir(".")
	if err != nil {
		t.Fatal(err)
	}
	want, err := Generate(src, version, pkgDir, "zz_generated.go")
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(pkgDir, "zz_generated.go"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("openai/zz_generated.go is stale: run `go generate ./openai`")
	}
}

// TestEveryExportedNameIsThere checks the swap package declares every
// exported top-level name of go-openai, generated or by hand.
func TestEveryExportedNameIsThere(t *testing.T) {
	src, _, err := moduleDir(".")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	ours, err := declaredNames(fset, pkgDir, "")
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := declaredNames(fset, src, "")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for name := range theirs {
		if !ast.IsExported(name) {
			continue
		}
		n++
		if !ours[name] {
			t.Errorf("go-openai's %s is missing from package openai", name)
		}
	}
	if n < 500 {
		t.Fatalf("only %d exported names found in go-openai: the parser missed files", n)
	}
}
