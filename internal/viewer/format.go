package viewer

import (
	"encoding/json"
	"fmt"
	"html/template"
	"sort"
	"strconv"
	"strings"
	"time"
)

// funcs are the templates' helpers. None returns template.HTML: whatever
// they format is escaped by html/template like any other value.
var funcs = template.FuncMap{
	"dur":      fmtDuration,
	"time":     fmtTime,
	"iso":      func(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) },
	"int":      fmtInt,
	"n":        func(n any) string { return fmtInt(toInt64(n)) },
	"cost":     fmtCost,
	"json":     prettyJSON,
	"keys":     sortedKeys,
	"tokens":   tokensSummary,
	"lower":    strings.ToLower,
	"hasValue": hasValue,
}

// fmtDuration shows a latency the way people read it: 840ms, 1.24s, 2m03s.
func fmtDuration(d time.Duration) string {
	switch {
	case d < 0:
		return "–"
	case d == 0:
		return "0ms"
	case d < time.Millisecond:
		return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 2, 64) + "ms"
	case d < time.Second:
		return strconv.FormatInt(d.Milliseconds(), 10) + "ms"
	case d < time.Minute:
		return strconv.FormatFloat(d.Seconds(), 'f', 2, 64) + "s"
	default:
		m := int(d / time.Minute)
		return fmt.Sprintf("%dm%02ds", m, int((d-time.Duration(m)*time.Minute)/time.Second))
	}
}

// fmtTime shows a time in UTC to the millisecond (the live script turns it
// into the reader's local time).
func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "–"
	}
	return t.UTC().Format("2006-01-02 15:04:05.000")
}

// fmtInt groups thousands: 12,345.
func fmtInt(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// fmtCost shows USD with enough digits for fractions of a cent.
func fmtCost(c float64) string {
	switch {
	case c == 0:
		return "$0"
	case c >= 1:
		return "$" + strconv.FormatFloat(c, 'f', 2, 64)
	case c >= 0.01:
		return "$" + strconv.FormatFloat(c, 'f', 4, 64)
	default:
		return "$" + strconv.FormatFloat(c, 'f', 6, 64)
	}
}

// prettyJSON indents a decoded value for a <pre>; a string stays as is.
func prettyJSON(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// sortedKeys lists a map's keys in order, for stable pages.
func sortedKeys(m any) []string {
	var ks []string
	switch m := m.(type) {
	case map[string]any:
		for k := range m {
			ks = append(ks, k)
		}
	case map[string]int64:
		for k := range m {
			ks = append(ks, k)
		}
	case map[string]float64:
		for k := range m {
			ks = append(ks, k)
		}
	}
	sort.Strings(ks)
	return ks
}

// tokensSummary is "in → out (total)" for the list's usage column.
func tokensSummary(u map[string]int64) string {
	if len(u) == 0 {
		return ""
	}
	in := u["input"] + u["input_cached_tokens"]
	out := u["output"] + u["output_reasoning_tokens"]
	total, ok := u["total"]
	if !ok {
		for _, v := range u {
			total += v
		}
	}
	if in == 0 && out == 0 {
		return fmtInt(total)
	}
	return fmtInt(in) + " → " + fmtInt(out) + " (Σ " + fmtInt(total) + ")"
}

// hasValue reports whether a decoded JSON value is worth a section.
func hasValue(v any) bool {
	switch v := v.(type) {
	case nil:
		return false
	case string:
		return v != ""
	case map[string]any:
		return len(v) > 0
	case []any:
		return len(v) > 0
	}
	return true
}

func toInt64(n any) int64 {
	switch n := n.(type) {
	case int:
		return int64(n)
	case int64:
		return n
	case int32:
		return int64(n)
	}
	return 0
}
