package litefuse_test

import (
	"context"
	"testing"

	"github.com/litefuse/litefuse-go"
)

// Review of issue 18, finding 7: a caller's metadata key equal to one the
// library writes on any observation (stream_cut_short, service_tier,
// attempt, omitted_bytes, output_not_recorded) is kept as caller_<key>,
// also on a span where the library does not write it (an Observe step, a
// call without a retry): a reader of the trace never takes the caller's
// value for the library's.
func TestCallerMetadataNamedLikeTheLibrarysIsAlwaysRenamed(t *testing.T) {
	e := newEnv(t)
	md := map[string]any{
		"stream_cut_short": "true", "service_tier": "scale", "attempt": "3",
		"omitted_bytes": "99", "output_not_recorded": "true", "plain": "kept",
	}
	_, _ = litefuse.Observe(context.Background(), "step", func(context.Context) (int, error) { return 1, nil },
		litefuse.WithMetadata(md), litefuse.WithObserveOptions(litefuse.WithTracerProvider(e.tp)))
	s := e.one(t)
	const p = "langfuse.observation.metadata."
	for k, v := range md {
		name := "caller_" + k
		if k == "plain" {
			name = k
		}
		if got := s.Str(p + name); got != v {
			t.Errorf("%s = %q, want %q", name, got, v)
		}
		if _, ok := s.Attrs[p+k]; ok && k != "plain" {
			t.Errorf("the caller's %s reads as the library's: %v", k, s.Attrs[p+k])
		}
	}
}
