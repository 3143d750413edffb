package span

import (
	"fmt"
	"reflect"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/embedded"
)

// Span is a recording span: the caller writes to it, and once ended the
// export pipeline reads it as it is (it is its own snapshot: nothing
// changes after End, so reads then take no lock).
type Span struct {
	embedded.Span
	// ReadOnlySpan supplies the interface's unexported method. Every
	// exported method is Span's own (TestEveryMethodImplemented calls
	// each one); it holds an empty snapshot (see zeroSpan) so that a
	// method a later SDK adds answers zero values instead of panicking.
	sdktrace.ReadOnlySpan

	t       *tracer
	sampled bool        // the sampler's decision: RecordAndSample (see Sampled)
	ended   atomic.Bool // set under mu once every field has its final value

	mu       sync.Mutex
	parent   trace.SpanContext
	sc       trace.SpanContext
	kind     trace.SpanKind
	name     string
	start    time.Time
	end      time.Time
	status   sdktrace.Status
	children int

	attrs        []attribute.KeyValue
	droppedAttrs int
	dirty        bool // attrs may hold a key twice
	shared       bool // attrs' array was handed to a reader: copy before writing

	events        []sdktrace.Event
	droppedEvents int
	links         []sdktrace.Link
	droppedLinks  int
}

var _ sdktrace.ReadWriteSpan = (*Span)(nil)

// Sampled reports the sampler's decision for the span, which its
// SpanContext's flag does not carry under a parent (the flag is the
// parent's): processors export a span when it is true.
func (s *Span) Sampled() bool { return s.sampled }

// Exception event names and attributes, as semconv names them.
const (
	exceptionEvent      = "exception"
	exceptionType       = attribute.Key("exception.type")
	exceptionMessage    = attribute.Key("exception.message")
	exceptionStacktrace = attribute.Key("exception.stacktrace")
)

// SpanContext returns the span's SpanContext.
func (s *Span) SpanContext() trace.SpanContext { return s.sc }

// IsRecording reports whether the span has not ended.
func (s *Span) IsRecording() bool { return !s.ended.Load() }

// lock locks s for a write, reporting false (unlocked) once s has ended.
func (s *Span) lock() bool {
	if s.ended.Load() {
		return false
	}
	s.mu.Lock()
	if s.ended.Load() {
		s.mu.Unlock()
		return false
	}
	return true
}

// SetStatus sets the status: Error carries its description, Ok wins over
// Error, Unset changes nothing.
func (s *Span) SetStatus(code codes.Code, description string) {
	if !s.lock() {
		return
	}
	defer s.mu.Unlock()
	if s.status.Code > code {
		return
	}
	st := sdktrace.Status{Code: code}
	if code == codes.Error {
		st.Description = description
	}
	s.status = st
}

// SetAttributes adds attributes: invalid ones are dropped and counted; a
// key set twice keeps its first position and its last value (resolved
// when the span ends or is read); past the count limit new keys are
// dropped and counted, existing ones still updated.
func (s *Span) SetAttributes(kvs ...attribute.KeyValue) {
	if len(kvs) == 0 || !s.lock() {
		return
	}
	defer s.mu.Unlock()
	limit := s.t.p.limits.AttributeCountLimit
	if limit == 0 {
		s.droppedAttrs += len(kvs)
		return
	}
	if limit > 0 && len(s.attrs)+len(kvs) > limit {
		s.addOverLimit(limit, kvs)
		return
	}
	s.writable(len(s.attrs) + len(kvs))
	if len(s.attrs) > 0 || len(kvs) > 1 {
		s.dirty = true
	}
	if plain(kvs) { // the library's own: one copy
		s.attrs = append(s.attrs, kvs...)
		return
	}
	depth := s.t.p.limits.AttributeValueDepthLimit
	for _, kv := range kvs {
		if !kv.Valid() {
			s.droppedAttrs++
			continue
		}
		if composite(kv.Value) {
			kv.Value, _ = normValue(kv.Value, depth)
		}
		s.attrs = append(s.attrs, kv)
	}
}

// plain reports whether every attribute is valid and needs no
// normalisation.
func plain(kvs []attribute.KeyValue) bool {
	for i := range kvs {
		if !kvs[i].Valid() || composite(kvs[i].Value) {
			return false
		}
	}
	return true
}

// writable makes room for n attributes in an array of s's own: the
// first call's exactly (the library sets its attributes in one or two
// calls), later ones at least doubling, so many small calls stay linear.
func (s *Span) writable(n int) {
	if !s.shared && cap(s.attrs) >= n {
		return
	}
	c := max(n, len(s.attrs))
	if cap(s.attrs) < n && len(s.attrs) > 0 {
		c = max(c, 2*cap(s.attrs))
	}
	a := make([]attribute.KeyValue, len(s.attrs), c)
	copy(a, s.attrs)
	s.attrs, s.shared = a, false
}

// addOverLimit adds kvs when they could pass limit (> 0): de-duplicated
// first, then updates are applied and new keys dropped once at the limit.
func (s *Span) addOverLimit(limit int, kvs []attribute.KeyValue) {
	s.writable(min(len(s.attrs)+len(kvs), limit))
	if s.dirty {
		s.attrs = dedupe(s.attrs)
		s.dirty = false
	}
	at := make(map[attribute.Key]int, len(s.attrs))
	for i, kv := range s.attrs {
		at[kv.Key] = i
	}
	depth := s.t.p.limits.AttributeValueDepthLimit
	for _, kv := range kvs {
		if !kv.Valid() {
			s.droppedAttrs++
			continue
		}
		i, ok := at[kv.Key]
		if !ok && len(s.attrs) >= limit {
			s.droppedAttrs++
			continue
		}
		if composite(kv.Value) {
			kv.Value, _ = normValue(kv.Value, depth)
		}
		if ok {
			s.attrs[i] = kv
			continue
		}
		s.attrs = append(s.attrs, kv)
		at[kv.Key] = len(s.attrs) - 1
	}
}

// End ends the span once, at the time given by trace.WithTimestamp or
// now (on the monotonic clock from the start), and hands it to the
// processor. Called in a deferred call while panicking, it records the
// panic as an exception event and lets the panic go on, as the SDK does.
func (s *Span) End(opts ...trace.SpanEndOption) {
	if s.ended.Load() {
		return
	}
	et := s.start.Add(time.Since(s.start))
	s.mu.Lock()
	if s.ended.Load() {
		s.mu.Unlock()
		return
	}
	cfg := trace.NewSpanEndConfig(opts...)
	if r := recover(); r != nil {
		defer panic(r)
		eo := []trace.EventOption{trace.WithAttributes(
			exceptionType.String(typeStr(r)),
			exceptionMessage.String(fmt.Sprint(r)),
		)}
		if cfg.StackTrace() {
			eo = append(eo, trace.WithAttributes(exceptionStacktrace.String(stackTrace())))
		}
		s.addEvent(exceptionEvent, eo...)
	}
	if ts := cfg.Timestamp(); !ts.IsZero() {
		et = ts
	}
	s.endLocked(et)
}

// EndAt is End(trace.WithTimestamp(t)) for the library's own calls, which
// end their spans at a time they took: without the option's two
// allocations, and never in a deferred call while panicking.
func (s *Span) EndAt(t time.Time) {
	if s.ended.Load() {
		return
	}
	s.mu.Lock()
	if s.ended.Load() {
		s.mu.Unlock()
		return
	}
	s.endLocked(t)
}

// endLocked ends the span at et, unlocks it and hands it to the processor.
func (s *Span) endLocked(et time.Time) {
	s.end = et
	if s.dirty {
		s.attrs = dedupe(s.attrs)
		s.dirty = false
	}
	if len(s.attrs) == 0 {
		s.attrs = nil
	}
	if len(s.events) == 0 {
		s.events, s.droppedEvents = nil, 0 // as the SDK's snapshot
	}
	if len(s.links) == 0 {
		s.links, s.droppedLinks = nil, 0
	}
	s.ended.Store(true)
	s.mu.Unlock()
	if p := s.t.p; p.proc != nil && !p.shut.Load() {
		p.proc.OnEnd(s)
	}
}

// RecordError adds an exception event for err (exception.type and
// exception.message; exception.stacktrace with trace.WithStackTrace).
func (s *Span) RecordError(err error, opts ...trace.EventOption) {
	if err == nil || !s.IsRecording() {
		return
	}
	opts = append(opts, trace.WithAttributes(
		exceptionType.String(typeStr(err)),
		exceptionMessage.String(err.Error()),
	))
	if c := trace.NewEventConfig(opts...); c.StackTrace() {
		opts = append(opts, trace.WithAttributes(exceptionStacktrace.String(stackTrace())))
	}
	s.AddEvent(exceptionEvent, opts...)
}

func typeStr(i any) string {
	t := reflect.TypeOf(i)
	if t.PkgPath() == "" && t.Name() == "" {
		return t.String()
	}
	return fmt.Sprintf("%s.%s", t.PkgPath(), t.Name())
}

func stackTrace() string {
	b := make([]byte, 2048)
	return string(b[:runtime.Stack(b, false)])
}

// AddEvent adds an event; past the event limit the oldest is dropped and
// counted.
func (s *Span) AddEvent(name string, opts ...trace.EventOption) {
	if !s.lock() {
		return
	}
	defer s.mu.Unlock()
	s.addEvent(name, opts...)
}

func (s *Span) addEvent(name string, opts ...trace.EventOption) {
	c := trace.NewEventConfig(opts...)
	lim := s.t.p.limits
	e := sdktrace.Event{Name: name, Attributes: normValues(c.Attributes(), lim.AttributeValueDepthLimit), Time: c.Timestamp()}
	e.Attributes, e.DroppedAttributeCount = cut(e.Attributes, lim.AttributePerEventCountLimit)
	s.events, s.droppedEvents = evict(s.events, e, lim.EventCountLimit, s.droppedEvents)
}

// AddLink adds a link (one with neither a valid context, attributes nor
// trace state is ignored); past the link limit the oldest is dropped.
func (s *Span) AddLink(l trace.Link) {
	if !l.SpanContext.IsValid() && len(l.Attributes) == 0 && l.SpanContext.TraceState().Len() == 0 {
		return
	}
	if !s.lock() {
		return
	}
	defer s.mu.Unlock()
	lim := s.t.p.limits
	sl := sdktrace.Link{SpanContext: l.SpanContext, Attributes: normValues(l.Attributes, lim.AttributeValueDepthLimit)}
	sl.Attributes, sl.DroppedAttributeCount = cut(sl.Attributes, lim.AttributePerLinkCountLimit)
	s.links, s.droppedLinks = evict(s.links, sl, lim.LinkCountLimit, s.droppedLinks)
}

// cut keeps at most limit attributes (< 0: all), returning how many it
// dropped.
func cut(kvs []attribute.KeyValue, limit int) ([]attribute.KeyValue, int) {
	switch {
	case limit == 0:
		return nil, len(kvs)
	case limit > 0 && len(kvs) > limit:
		return kvs[:limit], len(kvs) - limit
	}
	return kvs, 0
}

// evict appends v to q, which holds at most capacity values (< 0: no
// bound): the oldest goes first, counted in dropped.
func evict[T any](q []T, v T, capacity, dropped int) ([]T, int) {
	if capacity == 0 {
		return q, dropped + 1
	}
	if capacity > 0 && len(q) == capacity {
		copy(q, q[1:])
		q = q[:capacity-1]
		dropped++
	}
	return append(q, v), dropped
}

// SetName renames the span.
func (s *Span) SetName(name string) {
	if !s.lock() {
		return
	}
	s.name = name
	s.mu.Unlock()
}

// TracerProvider returns the provider that made the span, so spans
// started from it land in the same pipeline.
func (s *Span) TracerProvider() trace.TracerProvider { return s.t.p }

func (s *Span) addChild() {
	if !s.lock() {
		return
	}
	s.children++
	s.mu.Unlock()
}
