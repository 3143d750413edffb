package litefuse_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/litefuse/litefuse-go"
	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/propagation"
)

// With AsBaggage the trace attributes travel as W3C baggage under the
// Python SDK's keys, and a downstream service that only has the baggage
// records the same user, session, tags and metadata.
func TestPropagateAttributesAsBaggage(t *testing.T) {
	ctx := litefuse.PropagateAttributes(context.Background(), litefuse.Attributes{
		UserID: "u-1", SessionID: "s-1", Version: "v2", Tags: []string{"a", "b"},
		Metadata: map[string]string{"plan": "pro"}, AsBaggage: true,
	})
	b := baggage.FromContext(ctx)
	for k, want := range map[string]string{"langfuse_user_id": "u-1", "langfuse_session_id": "s-1", "langfuse_version": "v2", "langfuse_tags": "a,b", "langfuse_metadata_plan": "pro"} {
		if got := b.Member(k).Value(); got != want {
			t.Errorf("baggage %s = %q, want %q", k, got, want)
		}
	}
	// Over the wire with the application's propagator, as between services.
	prop := propagation.Baggage{}
	h := http.Header{}
	prop.Inject(ctx, propagation.HeaderCarrier(h))
	downstream := prop.Extract(context.Background(), propagation.HeaderCarrier(h))

	e := newEnv(t)
	if _, err := e.client.CreateChatCompletion(downstream, seedRequest()); err != nil {
		t.Fatal(err)
	}
	s := e.one(t)
	if s.Str("user.id") != "u-1" || s.Str("session.id") != "s-1" || s.Str("langfuse.version") != "v2" || s.Str("langfuse.trace.metadata.plan") != "pro" {
		t.Errorf("downstream generation lacks the trace attributes: %v", s.Attrs)
	}
	if tags, _ := s.Attrs["langfuse.trace.tags"].([]string); len(tags) != 2 {
		t.Errorf("tags = %v", s.Attrs["langfuse.trace.tags"])
	}
}

// Without AsBaggage nothing goes into the baggage: personal data never
// leaves the process unasked.
func TestPropagateAttributesNoBaggageByDefault(t *testing.T) {
	ctx := litefuse.PropagateAttributes(context.Background(), litefuse.Attributes{UserID: "u-1"})
	if baggage.FromContext(ctx).Len() != 0 {
		t.Errorf("baggage set without AsBaggage: %v", baggage.FromContext(ctx))
	}
}
