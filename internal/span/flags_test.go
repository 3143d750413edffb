package span_test

import (
	"context"
	"testing"

	"github.com/litefuse/litefuse-go/internal/span"
	"go.opentelemetry.io/otel/trace"
)

// TestSampledFlagIsTheParents: the sampler decides what is recorded and
// exported (Sampled), but under a parent the span's sampled flag is the
// parent's, so the application's parent-based samplers and the
// traceparent it sends downstream are what they would be without the
// library. A root's flag is the decision. (testSampler drops spans named
// "drop me" and keeps the others.)
func TestSampledFlagIsTheParents(t *testing.T) {
	c := &capture{}
	tr := ownProvider(c).Tracer("t")
	for _, tc := range []struct {
		name                  string
		parentFlags           trace.TraceFlags
		hasParent             bool
		wantFlag, wantSampled bool
	}{
		{"keep", 0, false, true, true},
		{"drop me", 0, false, false, false},
		{"keep", 0, true, false, true},
		{"drop me", trace.FlagsSampled, true, true, false},
	} {
		ctx := context.Background()
		if tc.hasParent {
			ctx = trace.ContextWithRemoteSpanContext(ctx, trace.NewSpanContext(trace.SpanContextConfig{
				TraceID: trace.TraceID{9}, SpanID: trace.SpanID{9}, TraceFlags: tc.parentFlags, Remote: true}))
		}
		_, s := tr.Start(ctx, tc.name)
		if got := s.SpanContext().IsSampled(); got != tc.wantFlag {
			t.Errorf("%q, parent %v flags %v: sampled flag %v, want %v", tc.name, tc.hasParent, tc.parentFlags, got, tc.wantFlag)
		}
		if got := s.IsRecording(); got != tc.wantSampled {
			t.Errorf("%q, parent %v flags %v: recording %v, want %v", tc.name, tc.hasParent, tc.parentFlags, got, tc.wantSampled)
		}
		if sp, ok := s.(*span.Span); ok && !sp.Sampled() {
			t.Errorf("%q: a recording span says it is not sampled", tc.name)
		}
		s.End()
	}
}
