package platform

import (
	"fmt"
	"sort"
	"strings"
)

// MissingVarsError names the template variables that had no value.
type MissingVarsError struct{ Names []string }

func (e *MissingVarsError) Error() string {
	q := make([]string, len(e.Names))
	for i, n := range e.Names {
		q[i] = fmt.Sprintf("%q", n)
	}
	if len(q) == 1 {
		return "missing variable " + q[0]
	}
	return "missing variables " + strings.Join(q, ", ")
}

// Render replaces each {{name}} (spaces inside the braces allowed: {{ name }})
// with fmt's %v of vars[name], in one pass: a value that itself holds
// {{…}} is inserted as is. Names are letters, digits, '_', '-' and '.',
// not starting with a digit, '-' or '.'; anything else between braces is
// left as written. Extra vars are ignored; a name with no value in vars
// is a *MissingVarsError listing every such name, sorted.
func Render(s string, vars map[string]any) (string, error) {
	if !strings.Contains(s, "{{") {
		return s, nil
	}
	var b strings.Builder
	b.Grow(len(s))
	var missing []string
	for {
		i := strings.Index(s, "{{")
		if i < 0 {
			break
		}
		j := strings.Index(s[i+2:], "}}")
		if j < 0 {
			break
		}
		name := strings.TrimSpace(s[i+2 : i+2+j])
		if !validName(name) {
			b.WriteString(s[:i+1]) // not a variable: keep "{" and look further
			s = s[i+1:]
			continue
		}
		b.WriteString(s[:i])
		if v, ok := vars[name]; ok {
			fmt.Fprint(&b, v)
		} else {
			missing = append(missing, name)
		}
		s = s[i+2+j+2:]
	}
	b.WriteString(s)
	if len(missing) > 0 {
		sort.Strings(missing)
		missing = dedup(missing)
		return "", &MissingVarsError{Names: missing}
	}
	return b.String(), nil
}

func validName(n string) bool {
	if n == "" {
		return false
	}
	for i, r := range n {
		switch {
		case r == '_', r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
		case (r >= '0' && r <= '9') || r == '-' || r == '.':
			if i == 0 {
				return false
			}
		default:
			return false
		}
	}
	return true
}

func dedup(s []string) []string {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}
