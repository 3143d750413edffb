package span_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/litefuse/litefuse-go/internal/span"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// TestEveryMethodImplemented calls every method of sdktrace.ReadWriteSpan
// on a live and on an ended span whose embedded ReadOnlySpan is set to
// nil: a method the SDK adds one day and Span lacks would be promoted from
// the embedded field and panic here. (In a user's program the embedded
// field holds an empty snapshot, so such a method answers zero values.)
func TestEveryMethodImplemented(t *testing.T) {
	tp := ownProvider(&capture{})
	rw := reflect.TypeFor[sdktrace.ReadWriteSpan]()
	for _, ended := range []bool{false, true} {
		_, s := tp.Tracer("t").Start(context.Background(), "s")
		if s.(*span.Span).ReadOnlySpan == nil {
			t.Fatal("the embedded ReadOnlySpan is nil: an unknown method would panic")
		}
		s.(*span.Span).ReadOnlySpan = nil
		if ended {
			s.End()
		}
		v := reflect.ValueOf(s)
		for i := range rw.NumMethod() {
			m := rw.Method(i)
			if !m.IsExported() {
				continue
			}
			args := make([]reflect.Value, 0, m.Type.NumIn())
			for j := range m.Type.NumIn() {
				in := m.Type.In(j)
				if m.Type.IsVariadic() && j == m.Type.NumIn()-1 {
					break
				}
				args = append(args, reflect.Zero(in))
			}
			func() {
				defer func() {
					if r := recover(); r != nil {
						t.Errorf("%s (ended %v) panics: %v: implement it on span.Span", m.Name, ended, r)
					}
				}()
				v.MethodByName(m.Name).Call(args)
			}()
		}
	}
}

// TestNotRecordingCarriesContext: a span sampled out records nothing, yet
// its children are in its trace, and its provider is the provider.
func TestNotRecordingCarriesContext(t *testing.T) {
	c := &capture{}
	tp := ownProvider(c)
	ctx, s := tp.Tracer("t").Start(context.Background(), "drop me")
	if s.IsRecording() || s.SpanContext().IsSampled() || !s.SpanContext().IsValid() {
		t.Fatalf("sampled-out span: recording %v, sampled %v, valid %v", s.IsRecording(), s.SpanContext().IsSampled(), s.SpanContext().IsValid())
	}
	if s.TracerProvider() != trace.TracerProvider(tp) {
		t.Error("a sampled-out span's TracerProvider is not its provider")
	}
	_, child := tp.Tracer("t").Start(ctx, "kept")
	child.End()
	if child.SpanContext().TraceID() != s.SpanContext().TraceID() {
		t.Error("the child of a sampled-out span left its trace")
	}
	if len(c.spans) != 1 || c.spans[0].Parent().SpanID() != s.SpanContext().SpanID() {
		t.Errorf("ended %d spans; want the child, under the sampled-out span", len(c.spans))
	}
}

// TestEndOnceAndFrozen: End twice hands the span over once; nothing
// changes it afterwards, and it no longer records.
func TestEndOnceAndFrozen(t *testing.T) {
	c := &capture{}
	tp := ownProvider(c)
	_, s := tp.Tracer("t").Start(context.Background(), "s")
	s.SetAttributes(attribute.String("k", "v"))
	s.End()
	s.End()
	s.SetName("x")
	s.SetAttributes(attribute.String("k", "changed"), attribute.String("new", "1"))
	s.SetStatus(codes.Error, "x")
	s.AddEvent("x")
	s.RecordError(errors.New("x"))
	s.AddLink(trace.Link{Attributes: []attribute.KeyValue{attribute.String("l", "1")}})
	if len(c.spans) != 1 {
		t.Fatalf("OnEnd called %d times, want 1", len(c.spans))
	}
	ro := c.spans[0]
	if s.IsRecording() || ro.Name() != "s" || len(ro.Attributes()) != 3 || ro.Attributes()[2].Value.AsString() != "v" ||
		ro.Status().Code != codes.Unset || len(ro.Events()) != 0 || len(ro.Links()) != 0 {
		t.Errorf("changed after End: name %q, attrs %v, status %v, events %d, links %d", ro.Name(), ro.Attributes(), ro.Status(), len(ro.Events()), len(ro.Links()))
	}
}

// TestRecordErrorStackTrace: WithStackTrace adds exception.stacktrace, as
// the SDK's span does.
func TestRecordErrorStackTrace(t *testing.T) {
	c := &capture{}
	_, s := ownProvider(c).Tracer("t").Start(context.Background(), "s")
	s.RecordError(errors.New("boom"), trace.WithStackTrace(true))
	s.End()
	ev := c.spans[0].Events()
	if len(ev) != 1 || ev[0].Name != "exception" {
		t.Fatalf("events %v", ev)
	}
	got := map[attribute.Key]string{}
	for _, kv := range ev[0].Attributes {
		got[kv.Key] = kv.Value.AsString()
	}
	if got["exception.type"] != "*errors.errorString" || got["exception.message"] != "boom" ||
		!strings.Contains(got["exception.stacktrace"], "TestRecordErrorStackTrace") {
		t.Errorf("exception attributes %v", got)
	}
}

// TestEndWhilePanicking: a deferred End records the panic and lets it go
// on, as the SDK's does.
func TestEndWhilePanicking(t *testing.T) {
	c := &capture{}
	tp := ownProvider(c)
	func() {
		defer func() {
			if r := recover(); r != "oops" {
				t.Errorf("the panic did not go on: %v", r)
			}
		}()
		_, s := tp.Tracer("t").Start(context.Background(), "s")
		defer s.End()
		panic("oops")
	}()
	if len(c.spans) != 1 || len(c.spans[0].Events()) != 1 || c.spans[0].Events()[0].Name != "exception" {
		t.Fatalf("the panic was not recorded: %d spans", len(c.spans))
	}
}

// TestProviderShutdown: the processor shuts down once; afterwards spans
// go nowhere, tracers are no-ops, ForceFlush does nothing.
func TestProviderShutdown(t *testing.T) {
	c := &countingProc{}
	tp := span.NewProvider(span.Config{Processor: c})
	_, live := tp.Tracer("t").Start(context.Background(), "before")
	if err := tp.ForceFlush(context.Background()); err != nil || c.flushes != 1 {
		t.Fatalf("ForceFlush: %v, %d flushes", err, c.flushes)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := tp.ForceFlush(ctx); !errors.Is(err, context.Canceled) || c.flushes != 1 {
		t.Errorf("ForceFlush with a done ctx: %v, %d flushes", err, c.flushes)
	}
	if err := tp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	_ = tp.Shutdown(context.Background())
	live.End()
	_, after := tp.Tracer("t").Start(context.Background(), "after")
	after.End()
	_ = tp.ForceFlush(context.Background())
	if c.shutdowns != 1 || c.ends != 0 || c.flushes != 1 || after.IsRecording() {
		t.Errorf("after Shutdown: %d shutdowns, %d ends, %d flushes, recording %v", c.shutdowns, c.ends, c.flushes, after.IsRecording())
	}
}

type countingProc struct{ ends, flushes, shutdowns int }

func (c *countingProc) OnStart(context.Context, sdktrace.ReadWriteSpan) {}
func (c *countingProc) OnEnd(sdktrace.ReadOnlySpan)                     { c.ends++ }
func (c *countingProc) Shutdown(context.Context) error                  { c.shutdowns++; return nil }
func (c *countingProc) ForceFlush(context.Context) error                { c.flushes++; return nil }

// TestTracerPerScope: one tracer per scope, as the SDK caches them.
func TestTracerPerScope(t *testing.T) {
	tp := ownProvider(&capture{})
	a, b := tp.Tracer("x", trace.WithInstrumentationVersion("1")), tp.Tracer("x", trace.WithInstrumentationVersion("1"))
	if a != b || a == tp.Tracer("x") || a == tp.Tracer("y", trace.WithInstrumentationVersion("1")) {
		t.Error("tracers are not one per scope")
	}
	c := &capture{}
	_, s := ownProvider(c).Tracer("").Start(context.Background(), "s")
	s.End()
	if got := c.spans[0].InstrumentationScope().Name; got != "go.opentelemetry.io/otel/sdk/tracer" {
		t.Errorf("unnamed tracer's scope %q, want the SDK's default name", got)
	}
}

// TestConcurrentUse writes, reads and ends spans from many goroutines, as
// the library does when a large call's recording is finished off the
// caller's goroutine (run with -race).
func TestConcurrentUse(t *testing.T) {
	c := &capture{}
	tp := ownProvider(c)
	ctx, parent := tp.Tracer("t").Start(context.Background(), "parent")
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				_, s := tp.Tracer("t").Start(ctx, "child")
				s.SetAttributes(attribute.Int("g", g), attribute.Int("i", i))
				parent.SetAttributes(attribute.Int(fmt.Sprintf("g%d", g), i))
				parent.AddEvent("e")
				_ = parent.(sdktrace.ReadOnlySpan).Attributes()
				wg.Go(func() { s.End() })
				s.SetStatus(codes.Ok, "")
				_ = s.(sdktrace.ReadOnlySpan).Attributes()
				_ = s.(sdktrace.ReadOnlySpan).Name()
			}
		})
	}
	wg.Wait()
	parent.End()
	ro := parent.(sdktrace.ReadOnlySpan)
	if n := len(ro.Attributes()); n != 10 { // sampler, n, g0…g7
		t.Errorf("parent has %d attributes, want 10", n)
	}
	if ro.ChildSpanCount() != 400 {
		t.Errorf("ChildSpanCount %d, want 400", ro.ChildSpanCount())
	}
}

// TestSpanEndAllocs bounds what a library-shaped span costs: the span,
// its attribute array, the context. The SDK's took 7 more (snapshot,
// de-duplication map, grown slices).
func TestSpanEndAllocs(t *testing.T) {
	tp := span.NewProvider(span.Config{Limits: limits, Processor: &countingProc{}})
	tr := tp.Tracer("t")
	attrs := make([]attribute.KeyValue, 20)
	for i := range attrs {
		attrs[i] = attribute.String(fmt.Sprintf("langfuse.observation.key%d", i), "v")
	}
	ctx := context.Background()
	n := testing.AllocsPerRun(200, func() {
		_, s := tr.Start(ctx, "chat")
		s.SetAttributes(attrs...)
		s.End()
	})
	if n > 3 {
		t.Errorf("%.0f allocations per span, want at most 3", n)
	}
}

// TestAttributesReadWhileLiveStayPut: a slice read from a live span is
// not changed by later writes (the SDK's promise too): de-duplication and
// appends work on a copy.
func TestAttributesReadWhileLiveStayPut(t *testing.T) {
	_, s := span.NewProvider(span.Config{Limits: limits}).Tracer("t").Start(context.Background(), "s")
	// The repeat leaves room in the array after the read's de-duplication.
	s.SetAttributes(attribute.String("a", "1"), attribute.String("b", "2"), attribute.String("a", "1x"))
	before := s.(sdktrace.ReadOnlySpan).Attributes()
	want := append([]attribute.KeyValue(nil), before...)
	s.SetAttributes(attribute.String("a", "changed"))
	s.End()
	if !reflect.DeepEqual(before, want) {
		t.Errorf("a slice read before was changed: %v, want %v", before, want)
	}
	got := s.(sdktrace.ReadOnlySpan).Attributes()
	if len(got) != 2 || got[0].Value.AsString() != "changed" || got[1].Key != "b" {
		t.Errorf("after End: %v", got)
	}
}

// TestEndAtIsEndWithTimestamp: EndAt(t) ends the span as
// End(trace.WithTimestamp(t)) does: the same end time and attributes (a
// repeated key de-duplicated), handed over once, ignored after any End.
func TestEndAtIsEndWithTimestamp(t *testing.T) {
	at := time.Unix(1700000000, 123456789)
	var got [2]sdktrace.ReadOnlySpan
	for i, end := range []func(trace.Span){
		func(s trace.Span) { s.End(trace.WithTimestamp(at)) },
		func(s trace.Span) { s.(*span.Span).EndAt(at) },
	} {
		c := &capture{}
		_, s := ownProvider(c).Tracer("t").Start(context.Background(), "s")
		s.SetAttributes(attribute.String("k", "a"), attribute.String("k", "b"))
		end(s)
		end(s)
		s.End()
		if len(c.spans) != 1 {
			t.Fatalf("variant %d: OnEnd called %d times, want 1", i, len(c.spans))
		}
		got[i] = c.spans[0]
	}
	a, b := got[0], got[1]
	if !a.EndTime().Equal(at) || !b.EndTime().Equal(at) || fmt.Sprint(a.Attributes()) != fmt.Sprint(b.Attributes()) || strings.Count(fmt.Sprint(b.Attributes()), `"k"`) != 1 {
		t.Errorf("End(WithTimestamp) gave %v %v, EndAt gave %v %v", a.EndTime(), a.Attributes(), b.EndTime(), b.Attributes())
	}
	c := &capture{}
	_, s := ownProvider(c).Tracer("t").Start(context.Background(), "s")
	s.End()
	s.(*span.Span).EndAt(at)
	if len(c.spans) != 1 || c.spans[0].EndTime().Equal(at) {
		t.Errorf("EndAt after End changed the span: %d handed over, end %v", len(c.spans), c.spans[0].EndTime())
	}
}

// TestStartSpanMakesNoContext: StartSpan starts the span Start would
// (same parent, trace, kind, name; the processor told), one allocation
// fewer: no context holding it. A tracer of another provider is asked
// through its own Start.
func TestStartSpanMakesNoContext(t *testing.T) {
	c := &capture{}
	tr := span.NewProvider(span.Config{Processor: c}).Tracer("t")
	parentCtx, parent := tr.Start(context.Background(), "parent")
	tid := span.NewTraceID()
	for _, ctx := range []context.Context{context.Background(), parentCtx} {
		_, want := tr.Start(ctx, "call", trace.WithSpanKind(trace.SpanKindClient))
		got := span.StartSpan(tr, ctx, tid, "call", trace.WithSpanKind(trace.SpanKindClient))
		w, g := want.(*span.Span), got.(*span.Span)
		if !g.IsRecording() || g.Name() != w.Name() || g.SpanKind() != w.SpanKind() || !g.Parent().Equal(w.Parent()) {
			t.Fatalf("StartSpan: %q %v parent %v; Start: %q %v parent %v", g.Name(), g.SpanKind(), g.Parent(), w.Name(), w.SpanKind(), w.Parent())
		}
		if ctx == parentCtx && g.SpanContext().TraceID() != parent.SpanContext().TraceID() {
			t.Fatal("StartSpan under a parent left its trace")
		}
		if ctx != parentCtx && g.SpanContext().TraceID() != tid {
			t.Fatalf("StartSpan began trace %s, not the id given %s", g.SpanContext().TraceID(), tid)
		}
	}
	c.mu.Lock()
	started := len(c.live)
	c.mu.Unlock()
	if started != 5 {
		t.Fatalf("the processor was told of %d starts, want 5", started)
	}
	bare := span.NewProvider(span.Config{}).Tracer("t")
	ctxAllocs := testing.AllocsPerRun(100, func() { _, _ = bare.Start(context.Background(), "s") })
	spanAllocs := testing.AllocsPerRun(100, func() { _ = span.StartSpan(bare, context.Background(), trace.TraceID{}, "s") })
	if spanAllocs != ctxAllocs-1 {
		t.Fatalf("StartSpan: %v allocations, Start: %v; want one fewer", spanAllocs, ctxAllocs)
	}
	other := sdktrace.NewTracerProvider().Tracer("t")
	if s := span.StartSpan(other, context.Background(), tid, "s"); !s.IsRecording() {
		t.Fatal("another provider's tracer started no recording span")
	}
}
