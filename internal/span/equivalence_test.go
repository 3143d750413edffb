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

	"github.com/litefuse/litefuse-go/internal/export"
	"github.com/litefuse/litefuse-go/internal/otlpreceiver"
	"github.com/litefuse/litefuse-go/internal/span"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"
)

// limits are the library's private providers'.
var limits = span.Limits

// capture keeps the spans ended, and cuts names at start as the
// library's processor does (a ReadWriteSpan write from OnStart).
type capture struct {
	mu    sync.Mutex
	spans []sdktrace.ReadOnlySpan
	live  []sdktrace.ReadWriteSpan
}

func (c *capture) OnStart(_ context.Context, s sdktrace.ReadWriteSpan) {
	if name := s.Name(); len(name) > 40 {
		s.SetName(name[:40])
	}
	_ = s.Attributes() // shared with a reader: later writes must copy
	_, _ = s.Events(), s.Links()
	c.mu.Lock()
	c.live = append(c.live, s)
	c.mu.Unlock()
}

func (c *capture) OnEnd(s sdktrace.ReadOnlySpan) {
	c.mu.Lock()
	c.spans = append(c.spans, s)
	c.mu.Unlock()
}
func (c *capture) Shutdown(context.Context) error   { return nil }
func (c *capture) ForceFlush(context.Context) error { return nil }

// testSampler drops spans named "drop…", keeps the parent's trace state
// with one member added, and adds an attribute of its own.
type testSampler struct{}

func (testSampler) ShouldSample(p sdktrace.SamplingParameters) sdktrace.SamplingResult {
	ts := trace.SpanContextFromContext(p.ParentContext).TraceState()
	ts, _ = ts.Insert("smp", "1")
	if strings.HasPrefix(p.Name, "drop") {
		return sdktrace.SamplingResult{Decision: sdktrace.Drop, Tracestate: ts}
	}
	return sdktrace.SamplingResult{
		Decision:   sdktrace.RecordAndSample,
		Tracestate: ts,
		Attributes: []attribute.KeyValue{attribute.String("sampler", "yes"), attribute.Int("n", 1)},
	}
}

func (testSampler) Description() string { return "test" }

var (
	t0  = time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	res = resource.NewSchemaless(attribute.String("service.name", "svc"), attribute.String("langfuse.environment", "test"))
)

func sdkProvider(c *capture) *sdktrace.TracerProvider {
	return sdktrace.NewTracerProvider(
		sdktrace.WithResource(res),
		sdktrace.WithSampler(testSampler{}),
		sdktrace.WithRawSpanLimits(limits),
		sdktrace.WithSpanProcessor(c),
	)
}

func ownProvider(c *capture) *span.Provider {
	return span.NewProvider(span.Config{Resource: res, Sampler: testSampler{}, Limits: limits, Processor: c})
}

type myErr struct{ msg string }

func (e *myErr) Error() string { return e.msg }

func at(d int) time.Time { return t0.Add(time.Duration(d) * time.Millisecond) }

// script records the same spans through tp, with every timestamp given.
// It returns what it observed from the spans' own methods on the way.
func script(tp trace.TracerProvider) []string {
	var seen []string
	note := func(f string, a ...any) { seen = append(seen, fmt.Sprintf(f, a...)) }
	tid, _ := trace.TraceIDFromHex("0af7651916cd43dd8448eb211c80319c")
	sid, _ := trace.SpanIDFromHex("b7ad6b7169203331")
	ts, _ := trace.ParseTraceState("up=x")
	remote := trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled, TraceState: ts, Remote: true})
	ctx := trace.ContextWithRemoteSpanContext(context.Background(), remote)
	linkSC := trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: [8]byte{1, 2, 3, 4, 5, 6, 7, 8}, TraceFlags: trace.FlagsSampled})

	tr := tp.Tracer("scope-a", trace.WithInstrumentationVersion("1.2.3"), trace.WithSchemaURL("https://schema"))
	ctx, root := tr.Start(ctx, "root", trace.WithSpanKind(trace.SpanKindServer), trace.WithTimestamp(at(0)),
		trace.WithAttributes(attribute.String("a", "1"), attribute.String("b", "2"), attribute.String("a", "3")),
		trace.WithLinks(trace.Link{SpanContext: linkSC, Attributes: []attribute.KeyValue{attribute.Bool("l", true)}}))
	note("root recording=%v sampled=%v trace=%s remote=%v", root.IsRecording(), root.SpanContext().IsSampled(), root.SpanContext().TraceID(), root.SpanContext().IsRemote())
	note("root tracestate=%s", root.SpanContext().TraceState())
	root.SetName("root renamed")
	root.SetAttributes(
		attribute.String("s", "v"), attribute.Bool("bo", true), attribute.Int64("i", -7), attribute.Float64("f", 1.5),
		attribute.StringSlice("ss", []string{"x", "", "y"}), attribute.BoolSlice("bs", []bool{true, false}),
		attribute.Int64Slice("is", []int64{1, -2}), attribute.Float64Slice("fs", []float64{0.5}),
		attribute.KeyValue{Key: "", Value: attribute.StringValue("invalid key")},
		attribute.String("b", "4"), attribute.String("empty", ""),
		attribute.KeyValue{Key: "bytes", Value: attribute.ByteSliceValue([]byte{0, 1, 2})},
		attribute.Slice("sl", attribute.IntValue(1), attribute.MapValue(attribute.String("k", "1"), attribute.String("k", "2"))),
		attribute.Map("m", attribute.String("z", "1"), attribute.Int("y", 2), attribute.String("z", "3")),
	)
	root.SetAttributes(attribute.String("a", "5"), attribute.String("late", "x"))
	root.AddEvent("ev", trace.WithTimestamp(at(1)), trace.WithAttributes(attribute.String("e", "1"), attribute.String("e", "2"),
		attribute.Map("em", attribute.Int("q", 1), attribute.Int("q", 2))))
	root.RecordError(&myErr{"boom"}, trace.WithTimestamp(at(2)))
	root.RecordError(errors.New("plain"), trace.WithTimestamp(at(3)), trace.WithAttributes(attribute.String("extra", "1")))
	root.RecordError(nil)
	root.AddLink(trace.Link{SpanContext: linkSC})
	root.AddLink(trace.Link{}) // ignored: nothing in it
	root.AddLink(trace.Link{Attributes: []attribute.KeyValue{attribute.String("only", "attrs")}})
	root.SetStatus(codes.Error, "bad")
	root.SetStatus(codes.Unset, "ignored")

	cctx, child := tr.Start(ctx, "child with a rather long name that the processor cuts", trace.WithSpanKind(trace.SpanKindClient), trace.WithTimestamp(at(4)))
	note("child parent-is-root=%v same-trace=%v", child.SpanContext().TraceID() == root.SpanContext().TraceID(), true)
	child.SetStatus(codes.Error, "first")
	child.SetStatus(codes.Ok, "dropped for ok")
	child.SetStatus(codes.Error, "after ok")
	_, grand := tp.Tracer("scope-b").Start(cctx, "grandchild", trace.WithTimestamp(at(5)), trace.WithSpanKind(trace.SpanKind(99)))
	grand.End(trace.WithTimestamp(at(6)))
	child.End(trace.WithTimestamp(at(7)))
	child.End(trace.WithTimestamp(at(100)))
	child.SetName("after end")
	child.SetAttributes(attribute.String("after", "end"))
	child.AddEvent("after end")
	child.SetStatus(codes.Error, "after end")
	child.RecordError(errors.New("after end"))
	child.AddLink(trace.Link{SpanContext: linkSC})
	note("child after end recording=%v", child.IsRecording())

	// Sampled out: not recording, yet its context carries the trace.
	dctx, dropped := tr.Start(ctx, "drop me", trace.WithTimestamp(at(8)))
	// (Its sampled flag is its parent's by design: TestSampledFlagIsTheParents.)
	note("dropped recording=%v trace-kept=%v valid=%v ts=%s", dropped.IsRecording(),
		dropped.SpanContext().TraceID() == tid, dropped.SpanContext().IsValid(), dropped.SpanContext().TraceState())
	dropped.SetAttributes(attribute.String("x", "y"))
	dropped.End()
	_, under := tr.Start(dctx, "under dropped", trace.WithTimestamp(at(9)))
	note("under dropped trace-kept=%v recording=%v", under.SpanContext().TraceID() == tid, under.IsRecording())
	under.End(trace.WithTimestamp(at(10)))

	// A new root, and the span's own provider.
	_, nr := tr.Start(ctx, "new root", trace.WithNewRoot(), trace.WithTimestamp(at(11)))
	note("new root other-trace=%v", nr.SpanContext().TraceID() != tid)
	_, viaSpan := nr.TracerProvider().Tracer("x").Start(ctx, "via span", trace.WithTimestamp(at(12)))
	viaSpan.End(trace.WithTimestamp(at(13)))
	nr.End(trace.WithTimestamp(at(14)))

	// Limits: attributes, events, links, per event, per link.
	_, big := tr.Start(context.Background(), "big", trace.WithTimestamp(at(15)))
	for i := range 1030 {
		big.SetAttributes(attribute.Int(fmt.Sprintf("k%04d", i), i))
	}
	big.SetAttributes(attribute.Int("k0000", -1)) // an update at the limit still applies
	many := make([]attribute.KeyValue, 130)
	for i := range many {
		many[i] = attribute.Int(fmt.Sprintf("e%03d", i), i)
	}
	for i := range 130 {
		big.AddEvent(fmt.Sprintf("ev%d", i), trace.WithTimestamp(at(16+i)), trace.WithAttributes(many...))
	}
	for i := range 130 {
		big.AddLink(trace.Link{SpanContext: trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: [8]byte{byte(i + 1)}}), Attributes: many})
	}
	big.End(trace.WithTimestamp(at(200)))

	// One SetAttributes call with more than the limit at once.
	_, wide := tr.Start(context.Background(), "wide", trace.WithTimestamp(at(201)))
	wideAttrs := make([]attribute.KeyValue, 1100)
	for i := range wideAttrs {
		wideAttrs[i] = attribute.Int(fmt.Sprintf("w%d", i%1050), i)
	}
	wide.SetAttributes(wideAttrs...)
	wide.End(trace.WithTimestamp(at(202)))

	// Many keys, many repeats (the map path of the de-duplication).
	_, rep := tr.Start(context.Background(), "repeats", trace.WithTimestamp(at(203)))
	for i := range 300 {
		rep.SetAttributes(attribute.Int(fmt.Sprintf("r%d", i%150), i))
	}
	rep.End(trace.WithTimestamp(at(204)))

	root.End(trace.WithTimestamp(at(300)))
	root.End()
	return seen
}

// view is what the export pipeline reads of a span; ids are replaced by
// their order of first appearance, so two runs compare.
type view struct {
	Name                    string
	TraceID, SpanID, Parent int
	ParentRemote, Sampled   bool
	TraceState, ParentState string
	Kind                    trace.SpanKind
	Start, End              time.Time
	Attrs                   []attribute.KeyValue
	DroppedAttrs            int
	Events                  []sdktrace.Event
	DroppedEvents           int
	Links                   []linkView
	DroppedLinks            int
	Status                  sdktrace.Status
	Scope, Library          instrumentation.Scope
	Resource                attribute.Distinct
	Children                int
}

type linkView struct {
	TraceID, SpanID int
	Attrs           []attribute.KeyValue
	Dropped         int
}

type ids map[string]int

func (m ids) of(s string) int {
	if s == "00000000000000000000000000000000" || s == "0000000000000000" {
		return 0
	}
	if n, ok := m[s]; ok {
		return n
	}
	m[s] = len(m) + 1
	return m[s]
}

func views(spans []sdktrace.ReadOnlySpan) []view {
	tids, sids := ids{}, ids{}
	out := make([]view, 0, len(spans))
	for _, s := range spans {
		v := view{
			Name: s.Name(), TraceID: tids.of(s.SpanContext().TraceID().String()), SpanID: sids.of(s.SpanContext().SpanID().String()),
			Parent: sids.of(s.Parent().SpanID().String()), ParentRemote: s.Parent().IsRemote(), Sampled: s.SpanContext().IsSampled(),
			TraceState: s.SpanContext().TraceState().String(), ParentState: s.Parent().TraceState().String(),
			Kind: s.SpanKind(), Start: s.StartTime(), End: s.EndTime(),
			Attrs: s.Attributes(), DroppedAttrs: s.DroppedAttributes(), Events: s.Events(), DroppedEvents: s.DroppedEvents(),
			DroppedLinks: s.DroppedLinks(), Status: s.Status(), Scope: s.InstrumentationScope(), Library: s.InstrumentationLibrary(),
			Resource: s.Resource().Equivalent(), Children: s.ChildSpanCount(),
		}
		for _, l := range s.Links() {
			v.Links = append(v.Links, linkView{tids.of(l.SpanContext.TraceID().String()), sids.of(l.SpanContext.SpanID().String()), l.Attributes, l.DroppedAttributeCount})
		}
		out = append(out, v)
	}
	return out
}

// TestEquivalentToSDK runs one script through the OTel SDK's provider and
// through the library's, built alike, and compares what the spans said on
// the way, what the export pipeline reads of them, and the OTLP they
// become at a local receiver (ids aside, which are random).
func TestEquivalentToSDK(t *testing.T) {
	var sdkCap, ownCap capture
	sdkTP, ownTP := sdkProvider(&sdkCap), ownProvider(&ownCap)
	sdkSeen, ownSeen := script(sdkTP), script(ownTP)
	if !reflect.DeepEqual(sdkSeen, ownSeen) {
		t.Errorf("the spans answered differently:\nSDK: %q\nown: %q", sdkSeen, ownSeen)
	}
	if len(sdkCap.spans) != len(ownCap.spans) || len(sdkCap.spans) != 9 {
		t.Fatalf("spans ended: SDK %d, own %d; want 9", len(sdkCap.spans), len(ownCap.spans))
	}
	sv, ov := views(sdkCap.spans), views(ownCap.spans)
	for i := range sv {
		if !reflect.DeepEqual(sv[i], ov[i]) {
			t.Errorf("span %d (%s) differs:\nSDK: %+v\nown: %+v", i, sv[i].Name, sv[i], ov[i])
		}
	}
	// The live spans as OnStart saw them, read again now they ended. The
	// SDK's live span answers an empty slice where its snapshot answers
	// nil; the library's span is its own snapshot: the two are read alike.
	a, b := views(asRO(sdkCap.live)), views(asRO(ownCap.live))
	for i := range a {
		if len(a[i].Events) == 0 {
			a[i].Events = nil
		}
	}
	if !reflect.DeepEqual(a, b) {
		for i := range a {
			if !reflect.DeepEqual(a[i], b[i]) {
				t.Errorf("span %d handed to OnStart reads differently after End:\nSDK: %#v\nown: %#v", i, a[i], b[i])
			}
		}
	}

	sdkReq, ownReq := sendOTLP(t, sdkCap.spans), sendOTLP(t, ownCap.spans)
	if !proto.Equal(sdkReq, ownReq) {
		t.Errorf("the OTLP differs:\nSDK: %v\nown: %v", sdkReq, ownReq)
	}
}

func asRO(live []sdktrace.ReadWriteSpan) []sdktrace.ReadOnlySpan {
	out := make([]sdktrace.ReadOnlySpan, len(live))
	for i, s := range live {
		out[i] = s
	}
	return out
}

// sendOTLP exports spans to a local receiver and returns the request it
// decoded, with ids renumbered.
func sendOTLP(t *testing.T, spans []sdktrace.ReadOnlySpan) *coltracepb.ExportTraceServiceRequest {
	t.Helper()
	recv := otlpreceiver.New()
	defer recv.Close()
	c := export.NewClient(export.ClientConfig{Endpoint: recv.BaseURL() + otlpreceiver.TracesPath, Timeout: 10 * time.Second})
	if err := c.ExportSpans(context.Background(), spans); err != nil {
		t.Fatal(err)
	}
	reqs := recv.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	req := proto.Clone(reqs[0].Body).(*coltracepb.ExportTraceServiceRequest)
	tids, sids := ids{}, ids{}
	num := func(b []byte, m ids) []byte {
		if len(b) == 0 {
			return nil
		}
		return []byte{byte(m.of(fmt.Sprintf("%x", b)))}
	}
	for _, rs := range req.ResourceSpans {
		for _, ss := range rs.ScopeSpans {
			for _, s := range ss.Spans {
				s.TraceId, s.SpanId, s.ParentSpanId = num(s.TraceId, tids), num(s.SpanId, sids), num(s.ParentSpanId, sids)
				for _, l := range s.Links {
					l.TraceId, l.SpanId = num(l.TraceId, tids), num(l.SpanId, sids)
				}
			}
		}
	}
	return req
}
