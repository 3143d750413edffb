package span_test

import (
	"context"
	"testing"

	"github.com/litefuse/litefuse-go/internal/span"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// TestReadersCannotEditEvents: Events and Links hand out copies, live or
// ended, so a reader that edits them (to redact before logging, say)
// changes nothing the exporter encodes.
func TestReadersCannotEditEvents(t *testing.T) {
	c := &capture{}
	tp := ownProvider(c)
	link := trace.Link{SpanContext: trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{1}, SpanID: trace.SpanID{1}}), Attributes: []attribute.KeyValue{attribute.String("l", "orig")}}
	_, s := tp.Tracer("t").Start(context.Background(), "s", trace.WithLinks(link))
	s.AddEvent("secret-event", trace.WithAttributes(attribute.String("e", "orig")))
	sp := s.(*span.Span)
	for _, ended := range []bool{false, true} {
		if ended {
			s.End()
		}
		ev, ln := sp.Events(), sp.Links()
		ev[0].Name, ev[0].Attributes = "REDACTED", nil
		ln[0].Attributes = nil
		if got := sp.Events()[0]; got.Name != "secret-event" || len(got.Attributes) != 1 {
			t.Errorf("ended %v: an edit of Events() reached the span: %+v", ended, got)
		}
		if got := sp.Links()[0].Attributes; len(got) != 1 {
			t.Errorf("ended %v: an edit of Links() reached the span: %v", ended, got)
		}
	}
}
