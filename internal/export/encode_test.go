package export

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"
)

// stockClient captures what the OTel SDK's OTLP exporter (its
// tracetransform) hands to a client.
type stockClient struct{ got []*tracepb.ResourceSpans }

func (c *stockClient) Start(context.Context) error { return nil }
func (c *stockClient) Stop(context.Context) error  { return nil }
func (c *stockClient) UploadTraces(_ context.Context, rs []*tracepb.ResourceSpans) error {
	c.got = append(c.got, rs...)
	return nil
}

// stockRequest is the stock path: tracetransform, then proto.Marshal (as
// otlptracehttp does), decoded again.
func stockRequest(t *testing.T, spans []sdktrace.ReadOnlySpan) *coltracepb.ExportTraceServiceRequest {
	t.Helper()
	return decodeRequest(t, stockBytes(t, spans))
}

// stockBytes is the stock path's bytes: tracetransform, then proto.Marshal.
func stockBytes(t testing.TB, spans []sdktrace.ReadOnlySpan) []byte {
	t.Helper()
	c := &stockClient{}
	exp := otlptrace.NewUnstarted(c)
	if err := exp.ExportSpans(context.Background(), spans); err != nil {
		t.Fatal(err)
	}
	b, err := proto.Marshal(&coltracepb.ExportTraceServiceRequest{ResourceSpans: c.got})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func decodeRequest(t *testing.T, b []byte) *coltracepb.ExportTraceServiceRequest {
	t.Helper()
	var req coltracepb.ExportTraceServiceRequest
	if err := proto.Unmarshal(b, &req); err != nil {
		t.Fatalf("the encoding does not decode: %v", err)
	}
	return &req
}

// sortResources orders resource spans by their resource: the stock
// transform's order comes from a map.
func sortResources(req *coltracepb.ExportTraceServiceRequest) {
	slices.SortFunc(req.ResourceSpans, func(a, b *tracepb.ResourceSpans) int {
		return strings.Compare(prototext.Format(a.Resource)+a.SchemaUrl, prototext.Format(b.Resource)+b.SchemaUrl)
	})
}

func everyKindOfSpan() []sdktrace.ReadOnlySpan {
	tid := trace.TraceID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	ts, _ := trace.ParseTraceState("vendor=value,other=x")
	sc := func(sid byte, flags trace.TraceFlags, remote bool) trace.SpanContext {
		return trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: trace.SpanID{sid, 1, 2, 3, 4, 5, 6, 7},
			TraceFlags: flags, TraceState: ts, Remote: remote})
	}
	resA := resource.NewWithAttributes("https://opentelemetry.io/schemas/1.26.0",
		attribute.String("service.name", "svc"), attribute.String("langfuse.environment", "prod"))
	resB := resource.NewSchemaless(attribute.String("service.name", "other"), attribute.Int64("n", 7))
	scopeA := instrumentation.Scope{Name: "langfuse-sdk-go", Version: "0.1.0", SchemaURL: "https://example.com/s",
		Attributes: attribute.NewSet(attribute.Bool("scoped", true))}
	scopeB := instrumentation.Scope{Name: "other"}
	attrs := []attribute.KeyValue{
		attribute.String("s", "text é ✓"),
		attribute.String("empty", ""),
		attribute.Bool("t", true),
		attribute.Bool("f", false),
		attribute.Int64("i", -42),
		attribute.Int64("zero", 0),
		attribute.Int64("big", math.MaxInt64),
		attribute.Float64("x", 3.25),
		attribute.Float64("fzero", 0),
		attribute.Float64("inf", math.Inf(-1)),
		attribute.StringSlice("ss", []string{"a", "", strings.Repeat("long ", 40)}),
		attribute.StringSlice("ss0", nil),
		attribute.BoolSlice("bs", []bool{true, false}),
		attribute.Int64Slice("is", []int64{1, -1, 0, 1 << 40}),
		attribute.Float64Slice("fs", []float64{0.5, 0, -2}),
		attribute.ByteSlice("bytes", []byte{0, 1, 0xff}),
		attribute.Slice("mixed", attribute.StringValue("a"), attribute.IntValue(3), attribute.BoolSliceValue([]bool{false})),
		attribute.Map("map", attribute.String("k", "v"), attribute.Float64("f", 1.5)),
		{Key: "empty-value"},
		attribute.String(strings.Repeat("k", 200), strings.Repeat("v", 70000)), // lengths past one and two varint bytes
	}
	start := time.Date(2026, 12, 3, 8, 0, 0, 123456789, time.UTC)
	var stubs tracetest.SpanStubs
	kinds := []trace.SpanKind{trace.SpanKindUnspecified, trace.SpanKindInternal, trace.SpanKindServer,
		trace.SpanKindClient, trace.SpanKindProducer, trace.SpanKindConsumer, trace.SpanKind(42)}
	for i, kind := range kinds {
		st := tracetest.SpanStub{
			Name:                 "span " + kind.String(),
			SpanContext:          sc(byte(i+1), trace.FlagsSampled, false),
			SpanKind:             kind,
			StartTime:            start,
			EndTime:              start.Add(time.Duration(i+1) * time.Millisecond),
			Attributes:           attrs[:i*3%len(attrs)],
			Resource:             resA,
			InstrumentationScope: scopeA,
		}
		switch i {
		case 1:
			st.Parent = sc(99, trace.FlagsSampled, false)
			st.Status = sdktrace.Status{Code: codes.Ok}
			st.Attributes = attrs
			st.DroppedAttributes, st.DroppedEvents, st.DroppedLinks = 3, 4, 5
		case 2:
			st.Parent = sc(98, 0, true)
			st.Status = sdktrace.Status{Code: codes.Error, Description: "upstream 500"}
			st.Events = []sdktrace.Event{
				{Name: "exception", Time: start.Add(time.Microsecond), Attributes: attrs[:5], DroppedAttributeCount: 2},
				{Name: "", Time: time.Time{}},
			}
			st.Links = []sdktrace.Link{
				{SpanContext: sc(50, trace.FlagsSampled, true), Attributes: attrs[4:9], DroppedAttributeCount: 1},
				{SpanContext: sc(51, 0, false)},
			}
			st.ChildSpanCount = 2
		case 3:
			st.Resource, st.InstrumentationScope = resB, scopeB
			st.SpanContext = trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: trace.SpanID{7}}) // no state, not sampled
		case 4:
			st.InstrumentationScope = instrumentation.Scope{}
		case 5:
			st.Resource = resB
			st.Name = ""
		}
		stubs = append(stubs, st)
	}
	return stubs.Snapshots()
}

// TestEncodeMatchesStockTransform: the direct encoder's bytes decode to the
// same request as the OTel SDK's transform plus proto.Marshal, for every
// span kind, attribute type, events, links, status, resource, scope, trace
// state, flags and dropped counts.
func TestEncodeMatchesStockTransform(t *testing.T) {
	spans := everyKindOfSpan()
	for _, tc := range []struct {
		name  string
		spans []sdktrace.ReadOnlySpan
	}{
		{"mixed resources and scopes", spans},
		{"one resource and scope", []sdktrace.ReadOnlySpan{spans[0], spans[1], spans[2]}},
		{"one span", spans[2:3]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := stockRequest(t, tc.spans)
			got := decodeRequest(t, encoder{}.appendRequest(nil, tc.spans))
			sortResources(want)
			sortResources(got)
			if !proto.Equal(got, want) {
				t.Errorf("direct encoding differs from the stock transform\ngot:\n%s\nwant:\n%s",
					prototext.Format(got), prototext.Format(want))
			}
		})
	}
	// With one resource (the stock order is then fixed) the bytes are the
	// stock marshal's, byte for byte.
	one := []sdktrace.ReadOnlySpan{spans[0], spans[1], spans[2]}
	got, want := encoder{}.appendRequest(nil, one), stockBytes(t, one)
	if !bytes.Equal(got, want) {
		t.Errorf("one resource: %d bytes differ from the stock marshal's %d", len(got), len(want))
	}
}

// TestEncodeLengthsAtVarintBoundaries: the encoder writes every length
// with exact sizes or reserved bytes (a span's 2, a batch's 3); around
// each varint boundary (127/128, 16383/16384, 2 MiB) of an attribute's
// value, a key, a span and a batch, its bytes are the stock marshal's.
func TestEncodeLengthsAtVarintBoundaries(t *testing.T) {
	res := resource.NewSchemaless(attribute.String("service.name", "svc"))
	scope := instrumentation.Scope{Name: "langfuse-sdk-go"}
	span := func(i int, attrs ...attribute.KeyValue) sdktrace.ReadOnlySpan {
		stub := tracetest.SpanStub{
			Name: "chat",
			SpanContext: trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{1},
				SpanID: trace.SpanID{byte(i), byte(i >> 8), 1}, TraceFlags: trace.FlagsSampled}),
			StartTime: time.Unix(1, 0), EndTime: time.Unix(2, 0),
			Attributes: attrs, Resource: res, InstrumentationScope: scope,
		}
		return stub.Snapshot()
	}
	check := func(name string, spans ...sdktrace.ReadOnlySpan) {
		t.Helper()
		got, want := encoder{}.appendRequest(nil, spans), stockBytes(t, spans)
		if !bytes.Equal(got, want) {
			t.Errorf("%s: %d bytes differ from the stock marshal's %d", name, len(got), len(want))
		}
	}
	// Each length from 160 below a boundary to just past it: the value,
	// its AnyValue, KeyValue, span, ScopeSpans and ResourceSpans each
	// cross it at one of them (a span carries about 70 bytes besides).
	// Around 2 MiB every 8th length: each one still lands within 8 bytes
	// of the boundary on both sides, at a fraction of the time.
	long := strings.Repeat("v", 2<<20+8)
	for _, edge := range []int{128, 16384, 2 << 20} {
		step := 1
		if edge == 2<<20 {
			step = 8
		}
		for n := max(0, edge-160); n <= edge+8; n += step {
			v := long[:n]
			check(fmt.Sprintf("string value of %d bytes", n), span(0, attribute.String("k", v)))
			if edge < 2<<20 {
				check(fmt.Sprintf("key of %d bytes", n), span(0, attribute.String(v, "x"), attribute.Int64(v, 1)))
				check(fmt.Sprintf("string slice element of %d bytes", n), span(0, attribute.StringSlice("ss", []string{v})))
			}
		}
	}
	// Batches whose length crosses the reserved 3 bytes' bounds: 2 MiB.
	for _, n := range []int{1, 2, 15, 16, 17, 100} {
		spans := make([]sdktrace.ReadOnlySpan, n)
		for i := range spans {
			spans[i] = span(i, attribute.String("v", strings.Repeat("x", (2<<20)/n-60)))
		}
		check(fmt.Sprintf("batch of %d spans, ~2 MiB", n), spans...)
	}
	check("empty span")
	check("one small span", span(0))
}

// TestEncodeGroupsInBatchOrder: spans of one resource and scope share one
// ResourceSpans / ScopeSpans, in the order they came.
func TestEncodeGroupsInBatchOrder(t *testing.T) {
	spans := everyKindOfSpan()
	got := decodeRequest(t, encoder{}.appendRequest(nil, spans))
	var names []string
	total := 0
	for _, rs := range got.ResourceSpans {
		for _, ss := range rs.ScopeSpans {
			for _, s := range ss.Spans {
				names = append(names, s.Name)
				total++
			}
		}
	}
	if len(got.ResourceSpans) != 2 || total != len(spans) {
		t.Fatalf("%d resources, %d spans", len(got.ResourceSpans), total)
	}
	if names[0] != spans[0].Name() || names[1] != spans[1].Name() {
		t.Errorf("order: %q", names)
	}
}

// TestEncodeRepairsUTF8AndCutsNames: strings that are not valid UTF-8 are
// repaired (the stock marshal fails the whole batch on them) and span names
// are cut.
func TestEncodeRepairsUTF8AndCutsNames(t *testing.T) {
	stub := tracetest.SpanStub{
		Name:        "bad\xffname-that-is-long",
		SpanContext: trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{1}, SpanID: trace.SpanID{1}, TraceFlags: trace.FlagsSampled}),
		Attributes:  []attribute.KeyValue{attribute.String("k\xfe", "v\xff"), attribute.StringSlice("ss", []string{"\xc3"})},
		Status:      sdktrace.Status{Code: codes.Error, Description: "\xff"},
	}
	got := decodeRequest(t, encoder{maxName: 8}.appendRequest(nil, []sdktrace.ReadOnlySpan{stub.Snapshot()}))
	s := got.ResourceSpans[0].ScopeSpans[0].Spans[0]
	if s.Name != "bad\uFFFDname" || s.Attributes[0].Key != "k\uFFFD" || s.Attributes[0].Value.GetStringValue() != "v\uFFFD" ||
		s.Attributes[1].Value.GetArrayValue().Values[0].GetStringValue() != "\uFFFD" || s.Status.Message != "\uFFFD" {
		t.Errorf("got %s", prototext.Format(s))
	}
}

// BenchmarkEncode: one batch of 256 generation-like spans (15 attributes,
// ~1 KB), from the SDK's own snapshots; the direct encoder against the
// stock transform plus proto.Marshal.
func BenchmarkEncode(b *testing.B) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	tr := tp.Tracer("langfuse-sdk-go")
	attrs := []attribute.KeyValue{
		attribute.String("langfuse.observation.type", "generation"),
		attribute.String("langfuse.observation.model.name", "doubao-seed-1-6"),
		attribute.String("langfuse.observation.input", `[{"role":"system","content":"You're an AI assistant"},{"role":"user","content":"What is Litefuse?"}]`),
		attribute.String("langfuse.observation.output", `{"role":"assistant","content":"`+strings.Repeat("Litefuse is an LLM observability platform. ", 8)+`"}`),
		attribute.String("langfuse.observation.usage_details", `{"input":20,"output":60,"total":80}`),
		attribute.String("langfuse.observation.model.parameters", `{"temperature":0.7,"max_tokens":256}`),
		attribute.String("gen_ai.operation.name", "chat"),
		attribute.String("gen_ai.provider.name", "byteplus"),
		attribute.String("gen_ai.request.model", "doubao-seed-1-6"),
		attribute.String("gen_ai.response.model", "doubao-seed-1-6"),
		attribute.String("gen_ai.response.id", "chatcmpl-123"),
		attribute.StringSlice("gen_ai.response.finish_reasons", []string{"stop"}),
		attribute.Int("gen_ai.usage.input_tokens", 20),
		attribute.Int("gen_ai.usage.output_tokens", 60),
		attribute.String("server.address", "ark.ap-southeast.bytepluses.com"),
	}
	for range 256 {
		_, s := tr.Start(context.Background(), "chat doubao-seed-1-6")
		s.SetAttributes(attrs...)
		s.End()
	}
	spans := rec.Ended()
	b.Run("direct", func(b *testing.B) {
		b.ReportAllocs()
		var buf []byte
		start := cpuNow()
		for b.Loop() {
			buf = encoder{}.appendRequest(buf[:0], spans)
		}
		b.ReportMetric(float64(cpuNow()-start)/float64(b.N), "cpu-ns/op")
		b.ReportMetric(float64(len(buf))/float64(len(spans)), "B/span")
	})
	b.Run("stock", func(b *testing.B) {
		b.ReportAllocs()
		c := &stockClient{}
		exp := otlptrace.NewUnstarted(c)
		for b.Loop() {
			c.got = c.got[:0]
			_ = exp.ExportSpans(context.Background(), spans)
			_, _ = proto.Marshal(&coltracepb.ExportTraceServiceRequest{ResourceSpans: c.got})
		}
	})
}

// TestEncodeRepeatedStringSlices: a string slice value equal to the last
// span's is written from the encoder's copy; values that change from span
// to span (other elements, more, none, an empty key, invalid UTF-8) are
// each written as the stock marshal writes them.
func TestEncodeRepeatedStringSlices(t *testing.T) {
	values := [][]string{{"stop"}, {"stop"}, {"length"}, {"stop", "length"}, nil, {"stop"}, {""}, {"bad\xff"}, {"bad\xff"}, {"stop"}}
	var spans []sdktrace.ReadOnlySpan
	for i, v := range values {
		stub := tracetest.SpanStub{
			Name: "chat",
			SpanContext: trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{1},
				SpanID: trace.SpanID{byte(i + 1)}, TraceFlags: trace.FlagsSampled}),
			Attributes: []attribute.KeyValue{
				attribute.StringSlice("gen_ai.response.finish_reasons", v),
				attribute.StringSlice("", v),
				attribute.StringSlice("other", []string{"x", strings.Repeat("y", i*30)}),
			},
		}
		spans = append(spans, stub.Snapshot())
	}
	got := decodeRequest(t, encoder{}.appendRequest(nil, spans))
	for i, s := range got.ResourceSpans[0].ScopeSpans[0].Spans {
		for j, a := range s.Attributes[:2] {
			var vals []string
			for _, x := range a.Value.GetArrayValue().GetValues() {
				vals = append(vals, x.GetStringValue())
			}
			want := slices.Clone(values[i])
			for k := range want {
				want[k] = strings.ToValidUTF8(want[k], "\uFFFD")
			}
			if !slices.Equal(vals, want) || a.Value.GetArrayValue() == nil {
				t.Errorf("span %d attribute %d: %q, want %q", i, j, vals, want)
			}
		}
	}
	valid := append(spans[:7:7], spans[9]) // the stock marshal refuses invalid UTF-8
	enc, stock := encoder{}.appendRequest(nil, valid), stockBytes(t, valid)
	if !bytes.Equal(enc, stock) {
		t.Errorf("%d bytes differ from the stock marshal's %d", len(enc), len(stock))
	}
}

// FuzzEncodeMatchesStock: spans whose attributes (every kind), events and
// names are drawn from the fuzzer's bytes encode to the stock marshal's
// bytes exactly. Strings are valid UTF-8 (the stock marshal refuses the
// rest) and lengths reach past each varint boundary.
func FuzzEncodeMatchesStock(f *testing.F) {
	f.Add([]byte("seed"), uint16(3))
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13}, uint16(16380))
	f.Add([]byte{0xff, 0x80, 0x7f, 0x20}, uint16(120))
	f.Fuzz(func(t *testing.T, data []byte, long uint16) {
		next := func() int {
			if len(data) == 0 {
				return 0
			}
			x := int(data[0])
			data = data[1:]
			return x
		}
		str := func() string {
			n := next()
			if n >= 250 {
				n = int(long) // a long one: past 127 and 16383
			}
			if n%5 == 1 {
				return strings.Repeat("é", n/2) + "x" // non-ASCII
			}
			return strings.Repeat(string(rune('a'+n%26)), n)
		}
		var attrs []attribute.KeyValue
		for len(data) > 0 && len(attrs) < 40 {
			k := str()
			switch next() % 11 {
			case 0:
				attrs = append(attrs, attribute.String(k, str()))
			case 1:
				attrs = append(attrs, attribute.Bool(k, next()%2 == 0))
			case 2:
				attrs = append(attrs, attribute.Int64(k, int64(next())<<uint(next()%64)-int64(next())))
			case 3:
				attrs = append(attrs, attribute.Float64(k, float64(next())/3))
			case 4:
				attrs = append(attrs, attribute.StringSlice(k, []string{str(), str()}[:next()%3%2+1]))
			case 5:
				attrs = append(attrs, attribute.StringSlice(k, []string{"stop"}))
			case 6:
				attrs = append(attrs, attribute.Int64Slice(k, []int64{int64(next()), -1}))
			case 7:
				attrs = append(attrs, attribute.BoolSlice(k, []bool{next()%2 == 0}))
			case 8:
				attrs = append(attrs, attribute.Float64Slice(k, []float64{float64(next())}))
			case 9:
				attrs = append(attrs, attribute.String(k, strings.Repeat("é✓", next())))
			case 10:
				attrs = append(attrs, attribute.KeyValue{Key: attribute.Key(k)})
			}
		}
		res := resource.NewSchemaless(attribute.String("service.name", "svc"))
		var spans []sdktrace.ReadOnlySpan
		for i := range 3 {
			stub := tracetest.SpanStub{
				Name: str(),
				SpanContext: trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{1},
					SpanID: trace.SpanID{byte(i + 1)}, TraceFlags: trace.FlagsSampled}),
				StartTime: time.Unix(1, 0), EndTime: time.Unix(2, 0),
				Attributes: attrs[:len(attrs)*(i+1)/3],
				Resource:   res, InstrumentationScope: instrumentation.Scope{Name: "s"},
			}
			if i == 1 {
				stub.Events = []sdktrace.Event{{Name: "e", Time: time.Unix(1, 5), Attributes: attrs[:len(attrs)/2]}}
			}
			spans = append(spans, stub.Snapshot())
		}
		got, want := encoder{}.appendRequest(nil, spans), stockBytes(t, spans)
		if !bytes.Equal(got, want) {
			t.Fatalf("%d bytes differ from the stock marshal's %d", len(got), len(want))
		}
	})
}
