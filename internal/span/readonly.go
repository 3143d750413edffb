package span

import (
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// The sdktrace.ReadOnlySpan side of Span: what processors and the
// exporter read. An ended span never changes, so it is read without its
// lock; a live one (seen by a processor's OnStart) under it.

// read returns *field, under s's lock while s is live; an ended span
// is read without the lock.
func read[T any](s *Span, field *T) T {
	if s.ended.Load() {
		return *field
	}
	s.mu.Lock()
	v := *field
	s.mu.Unlock()
	return v
}

// Name returns the span's name.
func (s *Span) Name() string {
	return read(s, &s.name)
}

// Parent returns the parent's SpanContext (invalid for a root).
func (s *Span) Parent() trace.SpanContext { return s.parent }

// SpanKind returns the span's kind.
func (s *Span) SpanKind() trace.SpanKind { return s.kind }

// StartTime returns when the span started.
func (s *Span) StartTime() time.Time { return s.start }

// EndTime returns when the span ended; zero while it is live.
func (s *Span) EndTime() time.Time {
	return read(s, &s.end)
}

// Attributes returns the attributes, each key once. The slice is not to
// be changed.
func (s *Span) Attributes() []attribute.KeyValue {
	if s.ended.Load() {
		return s.attrs
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended.Load() {
		return s.attrs
	}
	if s.dirty {
		s.writable(len(s.attrs))
		s.attrs = dedupe(s.attrs)
		s.dirty = false
	}
	s.shared = cap(s.attrs) > 0
	return s.attrs
}

// Links returns a copy of the links, as the SDK's span does: a reader
// that edits it changes nothing exported.
func (s *Span) Links() []sdktrace.Link {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.links) == 0 && s.ended.Load() {
		return nil // as the SDK's snapshot
	}
	return append([]sdktrace.Link{}, s.links...)
}

// Events returns a copy of the events, as the SDK's span does: a reader
// that edits it changes nothing exported.
func (s *Span) Events() []sdktrace.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.events) == 0 && s.ended.Load() {
		return nil // as the SDK's snapshot
	}
	return append([]sdktrace.Event{}, s.events...)
}

// Status returns the span's status.
func (s *Span) Status() sdktrace.Status {
	return read(s, &s.status)
}

// InstrumentationScope returns the scope of the tracer that made the span.
func (s *Span) InstrumentationScope() instrumentation.Scope { return s.t.scope }

// InstrumentationLibrary returns InstrumentationScope.
//
//nolint:staticcheck // ReadOnlySpan still has it.
func (s *Span) InstrumentationLibrary() instrumentation.Library { return s.t.scope }

// Resource returns the provider's resource.
func (s *Span) Resource() *resource.Resource { return s.t.p.res }

// DroppedAttributes returns how many attributes were dropped.
func (s *Span) DroppedAttributes() int {
	return read(s, &s.droppedAttrs)
}

// DroppedLinks returns how many links were dropped.
func (s *Span) DroppedLinks() int {
	return read(s, &s.droppedLinks)
}

// DroppedEvents returns how many events were dropped.
func (s *Span) DroppedEvents() int {
	return read(s, &s.droppedEvents)
}

// ChildSpanCount returns how many spans were started under this one
// while it was live.
func (s *Span) ChildSpanCount() int {
	return read(s, &s.children)
}

// zeroSpan is an empty SDK snapshot, embedded in every Span for
// ReadOnlySpan's unexported method: should a later SDK add an exported
// method that Span does not define yet, a caller reaching it through a
// type assertion gets zero values, not a nil-interface panic.
var zeroSpan = tracetest.SpanStub{}.Snapshot()
