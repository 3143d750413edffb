// Command genopenai writes the openai package's re-exports of go-openai: a
// type alias, constant, variable or forwarding function for every exported
// identifier of the go-openai module in go.mod, except those the openai
// package declares by hand (the traced client, its constructors and stream
// types). It uses the standard library only; go-openai's source is found
// with `go list -m`.
//
//	go generate ./openai   (runs: go run ../internal/genopenai -out zz_generated.go)
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/printer"
	"go/token"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
)

const (
	modulePath  = "github.com/sashabaranov/go-openai"
	importAlias = "upstream"
)

func main() {
	out := flag.String("out", "zz_generated.go", "file to write, in the current package directory")
	flag.Parse()
	src, version, err := moduleDir(".")
	if err != nil {
		log.Fatal(err)
	}
	code, err := Generate(src, version, ".", *out)
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*out, code, 0o644); err != nil {
		log.Fatal(err)
	}
}

// moduleDir locates go-openai's source in the module cache as go.mod pins it.
func moduleDir(dir string) (path, version string, err error) {
	cmd := exec.Command("go", "list", "-m", "-json", modulePath)
	cmd.Dir = dir
	cmd.Stderr = os.Stderr
	b, err := cmd.Output()
	if err != nil {
		return "", "", fmt.Errorf("genopenai: go list -m %s: %w", modulePath, err)
	}
	var m struct{ Dir, Version string }
	if err := json.Unmarshal(b, &m); err != nil {
		return "", "", fmt.Errorf("genopenai: go list output: %w", err)
	}
	if m.Dir == "" {
		dl := exec.Command("go", "mod", "download", modulePath)
		dl.Dir = dir
		if err := dl.Run(); err != nil {
			return "", "", fmt.Errorf("genopenai: go mod download %s: %w", modulePath, err)
		}
		return moduleDir(dir)
	}
	return m.Dir, m.Version, nil
}

// Generate returns the generated file for the package in pkgDir, whose
// hand-written declarations (every .go file but outName and tests) are left
// out of the re-exports.
func Generate(srcDir, version, pkgDir, outName string) ([]byte, error) {
	fset := token.NewFileSet()
	own, err := declaredNames(fset, pkgDir, outName)
	if err != nil {
		return nil, err
	}
	files, err := parseDir(fset, srcDir, func(name string) bool { return true })
	if err != nil {
		return nil, err
	}
	g := &gen{fset: fset, own: own, imports: map[string]string{}, exported: map[string]bool{}}
	for _, f := range files {
		for _, d := range f.Decls {
			g.collectTypeNames(d)
		}
	}
	for _, f := range files {
		g.file(f)
	}
	return g.render(version)
}

func parseDir(fset *token.FileSet, dir string, keep func(string) bool) ([]*ast.File, error) {
	names, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var files []*ast.File
	for _, n := range names {
		base := filepath.Base(n)
		if strings.HasSuffix(base, "_test.go") || !keep(base) {
			continue
		}
		f, err := parser.ParseFile(fset, n, nil, parser.ParseComments)
		if err != nil {
			return nil, fmt.Errorf("genopenai: %w", err)
		}
		files = append(files, f)
	}
	return files, nil
}

func declaredNames(fset *token.FileSet, dir, outName string) (map[string]bool, error) {
	files, err := parseDir(fset, dir, func(name string) bool { return name != outName })
	if err != nil {
		return nil, err
	}
	own := map[string]bool{}
	for _, f := range files {
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Recv == nil {
					own[d.Name.Name] = true
				}
			case *ast.GenDecl:
				for _, s := range d.Specs {
					switch s := s.(type) {
					case *ast.TypeSpec:
						own[s.Name.Name] = true
					case *ast.ValueSpec:
						for _, n := range s.Names {
							own[n.Name] = true
						}
					}
				}
			}
		}
	}
	return own, nil
}

type gen struct {
	fset     *token.FileSet
	own      map[string]bool
	exported map[string]bool // exported package-level type names
	imports  map[string]string
	types    []string
	consts   []string
	vars     []string
	funcs    []string
	skipped  []string
}

func (g *gen) collectTypeNames(d ast.Decl) {
	if gd, ok := d.(*ast.GenDecl); ok && gd.Tok == token.TYPE {
		for _, s := range gd.Specs {
			if ts := s.(*ast.TypeSpec); ts.Name.IsExported() {
				g.exported[ts.Name.Name] = true
			}
		}
	}
}

func (g *gen) want(name string) bool { return ast.IsExported(name) && !g.own[name] }

// doc is the generated doc comment: a pointer to upstream, plus its
// deprecation notice so linters still flag deprecated names.
func doc(name string, cg *ast.CommentGroup) string {
	s := fmt.Sprintf("// %s is go-openai's %s.\n", name, name)
	if cg == nil {
		return s
	}
	text := cg.Text()
	if i := strings.Index(text, "Deprecated:"); i >= 0 {
		dep := strings.TrimSpace(text[i:])
		if j := strings.Index(dep, "\n\n"); j >= 0 {
			dep = dep[:j]
		}
		s += "//\n"
		for _, line := range strings.Split(dep, "\n") {
			s += "// " + line + "\n"
		}
	}
	return s
}

func (g *gen) file(f *ast.File) {
	fileImports := map[string]string{}
	for _, imp := range f.Imports {
		path, _ := strconv.Unquote(imp.Path.Value)
		name := filepath.Base(path)
		if imp.Name != nil {
			name = imp.Name.Name
		}
		fileImports[name] = path
	}
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.GenDecl:
			for _, s := range d.Specs {
				switch s := s.(type) {
				case *ast.TypeSpec:
					g.typeSpec(d, s, fileImports)
				case *ast.ValueSpec:
					for _, n := range s.Names {
						if !g.want(n.Name) {
							continue
						}
						cg := s.Doc
						if cg == nil && len(d.Specs) == 1 {
							cg = d.Doc
						}
						line := doc(n.Name, cg) + fmt.Sprintf("%s = %s.%s\n", n.Name, importAlias, n.Name)
						if d.Tok == token.CONST {
							g.consts = append(g.consts, line)
						} else {
							g.vars = append(g.vars, line)
						}
					}
				}
			}
		case *ast.FuncDecl:
			if d.Recv == nil && g.want(d.Name.Name) {
				g.funcDecl(d, fileImports)
			}
		}
	}
}

func (g *gen) typeSpec(d *ast.GenDecl, s *ast.TypeSpec, fileImports map[string]string) {
	if !g.want(s.Name.Name) {
		return
	}
	cg := s.Doc
	if cg == nil && len(d.Specs) == 1 {
		cg = d.Doc
	}
	if s.TypeParams == nil {
		g.types = append(g.types, doc(s.Name.Name, cg)+fmt.Sprintf("%s = %s.%s\n", s.Name.Name, importAlias, s.Name.Name))
		return
	}
	params, args, ok := g.typeParams(s.TypeParams, fileImports)
	if !ok {
		g.skipped = append(g.skipped, s.Name.Name)
		return
	}
	g.types = append(g.types, doc(s.Name.Name, cg)+fmt.Sprintf("%s[%s] = %s.%s[%s]\n", s.Name.Name, params, importAlias, s.Name.Name, args))
}

func (g *gen) typeParams(fl *ast.FieldList, fileImports map[string]string) (params, args string, ok bool) {
	var ps, as []string
	for _, f := range fl.List {
		t, ok := g.expr(f.Type, fileImports)
		if !ok {
			return "", "", false
		}
		var names []string
		for _, n := range f.Names {
			names = append(names, n.Name)
			as = append(as, n.Name)
		}
		ps = append(ps, strings.Join(names, ", ")+" "+t)
	}
	return strings.Join(ps, ", "), strings.Join(as, ", "), true
}

// expr prints a type expression as it reads in the generated package:
// upstream's exported types are aliased there under the same names, other
// packages are imported as upstream imports them. It fails on a reference
// to an unexported upstream name.
func (g *gen) expr(e ast.Expr, fileImports map[string]string) (string, bool) {
	ok := true
	ast.Inspect(e, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.SelectorExpr:
			if id, isID := n.X.(*ast.Ident); isID {
				path, found := fileImports[id.Name]
				if !found {
					ok = false
				}
				g.imports[id.Name] = path
			}
			return false
		case *ast.Ident:
			if !n.IsExported() && !isPredeclared(n.Name) && !g.isTypeParam(n.Name) {
				ok = false
			}
			if n.IsExported() && !g.exported[n.Name] {
				ok = false
			}
		}
		return true
	})
	if !ok {
		return "", false
	}
	var b bytes.Buffer
	if err := printer.Fprint(&b, g.fset, e); err != nil {
		return "", false
	}
	return b.String(), true
}

// typeParamNames are the type parameters in scope while printing a generic
// declaration.
var typeParamNames []string

func (g *gen) isTypeParam(name string) bool { return slices.Contains(typeParamNames, name) }

func isPredeclared(name string) bool {
	switch name {
	case "bool", "byte", "complex64", "complex128", "error", "float32", "float64",
		"int", "int8", "int16", "int32", "int64", "rune", "string",
		"uint", "uint8", "uint16", "uint32", "uint64", "uintptr", "any", "comparable", "nil":
		return true
	}
	return false
}

func (g *gen) funcDecl(d *ast.FuncDecl, fileImports map[string]string) {
	typeParamNames = nil
	var tparams, targs string
	if d.Type.TypeParams != nil {
		for _, f := range d.Type.TypeParams.List {
			for _, n := range f.Names {
				typeParamNames = append(typeParamNames, n.Name)
			}
		}
		var ok bool
		if tparams, targs, ok = g.typeParams(d.Type.TypeParams, fileImports); !ok {
			g.skipped = append(g.skipped, d.Name.Name)
			return
		}
		tparams, targs = "["+tparams+"]", "["+targs+"]"
	}
	defer func() { typeParamNames = nil }()
	var params, args []string
	variadic := false
	i := 0
	for _, f := range d.Type.Params.List {
		t, ok := g.expr(f.Type, fileImports)
		if !ok {
			g.skipped = append(g.skipped, d.Name.Name)
			return
		}
		if _, isEllipsis := f.Type.(*ast.Ellipsis); isEllipsis {
			variadic = true
		}
		names := f.Names
		if len(names) == 0 {
			names = []*ast.Ident{nil}
		}
		for _, id := range names {
			name := fmt.Sprintf("p%d", i)
			if id != nil && id.Name != "_" && id.Name != importAlias && g.imports[id.Name] == "" {
				name = id.Name
			}
			params = append(params, name+" "+t)
			args = append(args, name)
			i++
		}
	}
	var results []string
	if d.Type.Results != nil {
		for _, f := range d.Type.Results.List {
			t, ok := g.expr(f.Type, fileImports)
			if !ok {
				g.skipped = append(g.skipped, d.Name.Name)
				return
			}
			for range max(len(f.Names), 1) {
				results = append(results, t)
			}
		}
	}
	call := fmt.Sprintf("%s.%s%s(%s", importAlias, d.Name.Name, targs, strings.Join(args, ", "))
	if variadic {
		call += "..."
	}
	call += ")"
	res := ""
	switch len(results) {
	case 0:
	case 1:
		res = " " + results[0]
	default:
		res = " (" + strings.Join(results, ", ") + ")"
	}
	body := "return " + call
	if len(results) == 0 {
		body = call
	}
	g.funcs = append(g.funcs, doc(d.Name.Name, d.Doc)+fmt.Sprintf("func %s%s(%s)%s { %s }\n", d.Name.Name, tparams, strings.Join(params, ", "), res, body))
}

func (g *gen) render(version string) ([]byte, error) {
	var b bytes.Buffer
	fmt.Fprintf(&b, "// Code generated by internal/genopenai from %s %s; DO NOT EDIT.\n\n", modulePath, version)
	b.WriteString("package openai\n\nimport (\n")
	fmt.Fprintf(&b, "\t%s %q\n", importAlias, modulePath)
	names := make([]string, 0, len(g.imports))
	for n := range g.imports {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if filepath.Base(g.imports[n]) == n {
			fmt.Fprintf(&b, "\t%q\n", g.imports[n])
		} else {
			fmt.Fprintf(&b, "\t%s %q\n", n, g.imports[n])
		}
	}
	b.WriteString(")\n\n")
	block := func(kw string, items []string) {
		if len(items) == 0 {
			return
		}
		fmt.Fprintf(&b, "%s (\n", kw)
		for _, it := range items {
			b.WriteString(it)
		}
		b.WriteString(")\n\n")
	}
	block("type", g.types)
	block("const", g.consts)
	block("var", g.vars)
	for _, f := range g.funcs {
		b.WriteString(f + "\n")
	}
	if len(g.skipped) > 0 {
		fmt.Fprintf(&b, "// Not re-exported (their signatures use unexported go-openai names): %s.\n", strings.Join(g.skipped, ", "))
	}
	out, err := format.Source(b.Bytes())
	if err != nil {
		return nil, fmt.Errorf("genopenai: formatting: %w\n%s", err, b.Bytes())
	}
	return out, nil
}
