package export

import (
	"strings"
	"unicode/utf8"

	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
)

// CutName returns name as valid UTF-8 of at most max characters.
func CutName(name string, maxChars int) string {
	if len(name) <= maxChars && utf8.ValidString(name) {
		return name
	}
	name = strings.ToValidUTF8(name, "\uFFFD")
	if utf8.RuneCountInString(name) <= maxChars {
		return name
	}
	i, n := 0, 0
	for i = range name {
		if n == maxChars {
			break
		}
		n++
	}
	return name[:i]
}

func countSpans(rs []*tracepb.ResourceSpans) int {
	n := 0
	for _, r := range rs {
		for _, ss := range r.GetScopeSpans() {
			n += len(ss.GetSpans())
		}
	}
	return n
}

// splitSpans returns the first k spans and the rest, keeping each span's
// resource and scope.
func splitSpans(rs []*tracepb.ResourceSpans, k int) (a, b []*tracepb.ResourceSpans) {
	for _, r := range rs {
		var ra, rb *tracepb.ResourceSpans
		for _, ss := range r.GetScopeSpans() {
			spans := ss.GetSpans()
			take := min(k, len(spans))
			k -= take
			if take > 0 {
				if ra == nil {
					ra = &tracepb.ResourceSpans{Resource: r.Resource, SchemaUrl: r.SchemaUrl}
				}
				ra.ScopeSpans = append(ra.ScopeSpans, &tracepb.ScopeSpans{Scope: ss.Scope, SchemaUrl: ss.SchemaUrl, Spans: spans[:take]})
			}
			if take < len(spans) {
				if rb == nil {
					rb = &tracepb.ResourceSpans{Resource: r.Resource, SchemaUrl: r.SchemaUrl}
				}
				rb.ScopeSpans = append(rb.ScopeSpans, &tracepb.ScopeSpans{Scope: ss.Scope, SchemaUrl: ss.SchemaUrl, Spans: spans[take:]})
			}
		}
		if ra != nil {
			a = append(a, ra)
		}
		if rb != nil {
			b = append(b, rb)
		}
	}
	return a, b
}
