package platform

import (
	"errors"
	"testing"
)

func TestRender(t *testing.T) {
	vars := map[string]any{"name": "Ada", "n": 3, "f": 1.5, "b": true, "x.y": "dot", "inj": "{{name}}", "extra": "unused"}
	for in, want := range map[string]string{
		"":                      "",
		"plain":                 "plain",
		"Hi {{name}}":           "Hi Ada",
		"Hi {{ name }}!":        "Hi Ada!",
		"{{name}}{{name}}":      "AdaAda",
		"{{n}} {{f}} {{b}}":     "3 1.5 true",
		"{{x.y}}":               "dot",
		"{{inj}}":               "{{name}}", // one pass: values are not expanded
		`json {{"a": 1}} stays`: `json {{"a": 1}} stays`,
		"{{ }} {{1x}} {{a b}}":  "{{ }} {{1x}} {{a b}}",
		"open {{name":           "open {{name",
		"{{{name}}}":            "{Ada}",
	} {
		got, err := Render(in, vars)
		if err != nil || got != want {
			t.Errorf("Render(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestRenderMissing(t *testing.T) {
	_, err := Render("{{b}} {{a}} {{ b }} {{name}}", map[string]any{"name": 1})
	var me *MissingVarsError
	if !errors.As(err, &me) || len(me.Names) != 2 || me.Names[0] != "a" || me.Names[1] != "b" {
		t.Fatalf("got %v", err)
	}
	if err.Error() != `missing variables "a", "b"` {
		t.Fatalf("message %q", err.Error())
	}
	_, err = Render("{{a}}", nil)
	if err == nil || err.Error() != `missing variable "a"` {
		t.Fatalf("got %v", err)
	}
}
