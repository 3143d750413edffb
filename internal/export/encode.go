package export

import (
	"math"
	"slices"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/protobuf/encoding/protowire"
)

// The direct encoder writes finished spans straight into the bytes of an
// OTLP ExportTraceServiceRequest, the same message the SDK's transform
// (otlptrace's tracetransform) builds as protobuf structs and
// proto.Marshal then serialises: the same fields with the same values,
// without the two allocations per attribute and the reflection walk.
// TestEncodeMatchesStockTransform holds the two equal after decoding.
//
// Two differences, both on input the stock path cannot send at all: a
// string that is not valid UTF-8 is repaired (U+FFFD) instead of failing
// the whole batch at marshal time, and spans are grouped by resource and
// scope in the order they first appear (the stock transform's resource
// order comes from a map).

// Field numbers of opentelemetry/proto (collector/trace/v1, trace/v1,
// common/v1, resource/v1).
const (
	fReqResourceSpans = 1

	fRSResource   = 1
	fRSScopeSpans = 2
	fRSSchemaURL  = 3

	fResAttributes = 1

	fSSScope     = 1
	fSSSpans     = 2
	fSSSchemaURL = 3

	fScopeName       = 1
	fScopeVersion    = 2
	fScopeAttributes = 3

	fSpanTraceID       = 1
	fSpanSpanID        = 2
	fSpanTraceState    = 3
	fSpanParentSpanID  = 4
	fSpanName          = 5
	fSpanKind          = 6
	fSpanStart         = 7
	fSpanEnd           = 8
	fSpanAttributes    = 9
	fSpanDroppedAttrs  = 10
	fSpanEvents        = 11
	fSpanDroppedEvents = 12
	fSpanLinks         = 13
	fSpanDroppedLinks  = 14
	fSpanStatus        = 15
	fSpanFlags         = 16

	fEventTime         = 1
	fEventName         = 2
	fEventAttributes   = 3
	fEventDroppedAttrs = 4

	fLinkTraceID      = 1
	fLinkSpanID       = 2
	fLinkTraceState   = 3
	fLinkAttributes   = 4
	fLinkDroppedAttrs = 5
	fLinkFlags        = 6

	fStatusMessage = 2
	fStatusCode    = 3

	fKVKey   = 1
	fKVValue = 2

	fAnyString = 1
	fAnyBool   = 2
	fAnyInt    = 3
	fAnyDouble = 4
	fAnyArray  = 5
	fAnyKVList = 6
	fAnyBytes  = 7

	fListValues = 1 // ArrayValue.values and KeyValueList.values

	// SpanFlags: the parent-is-remote bits (the lower 8 are W3C flags).
	flagHasIsRemote = 0x100
	flagIsRemote    = 0x200
)

// encoder appends OTLP protobuf for spans; the zero value does not cut
// span names.
type encoder struct {
	maxName int // span names are cut to this many characters; 0: no cut
	last    *lastSlice
}

// lastSlice is the last string slice value a span attribute held and its
// AnyValue field, encoded: spans of a batch mostly carry the same finish
// reasons, and attribute.Value.AsStringSlice copies the slice each time.
type lastSlice struct {
	v   attribute.Value // a STRINGSLICE: comparable (an array of strings)
	enc []byte
}

// group is the spans of one resource and scope, in their batch order.
type group struct {
	res   *resource.Resource
	key   attribute.Distinct
	scope instrumentation.Scope
	spans []sdktrace.ReadOnlySpan
}

// appendRequest appends the ExportTraceServiceRequest carrying spans to b.
func (e encoder) appendRequest(b []byte, spans []sdktrace.ReadOnlySpan) []byte {
	if len(spans) == 0 {
		return b
	}
	e.last = new(lastSlice)
	// The usual batch is one resource and one scope: no grouping needed.
	first := spans[0]
	key, scope := first.Resource().Equivalent(), first.InstrumentationScope()
	one := true
	for _, s := range spans[1:] {
		if s.Resource().Equivalent() != key || s.InstrumentationScope() != scope {
			one = false
			break
		}
	}
	if one {
		return e.appendResourceSpans(b, []group{{res: first.Resource(), key: key, scope: scope, spans: spans}})
	}
	var groups []group
	for _, s := range spans {
		k, sc := s.Resource().Equivalent(), s.InstrumentationScope()
		i := 0
		for i < len(groups) && (groups[i].key != k || groups[i].scope != sc) {
			i++
		}
		if i == len(groups) {
			groups = append(groups, group{res: s.Resource(), key: k, scope: sc})
		}
		groups[i].spans = append(groups[i].spans, s)
	}
	// Each resource's groups, in the order the resources first appear.
	for i := 0; i < len(groups); {
		j := i + 1
		for k := j; k < len(groups); k++ {
			if groups[k].key == groups[i].key {
				groups[j], groups[k] = groups[k], groups[j]
				j++
			}
		}
		b = e.appendResourceSpans(b, groups[i:j])
		i = j
	}
	return b
}

// appendResourceSpans appends one ResourceSpans: groups share a resource.
func (e encoder) appendResourceSpans(b []byte, groups []group) []byte {
	res := groups[0].res
	n := 0
	for _, g := range groups {
		n += len(g.spans)
	}
	w := guessLen(n)
	b, rs := beginMessageN(b, fReqResourceSpans, w)
	if res != nil {
		var m int
		b, m = beginMessage(b, fRSResource)
		b = appendAttrIter(b, fResAttributes, res.Iter())
		b = endMessage(b, m)
	}
	for _, g := range groups {
		var ss int
		ws := guessLen(len(g.spans))
		b, ss = beginMessageN(b, fRSScopeSpans, ws)
		if g.scope != (instrumentation.Scope{}) {
			var m int
			b, m = beginMessage(b, fSSScope)
			b = appendString(b, fScopeName, g.scope.Name)
			b = appendString(b, fScopeVersion, g.scope.Version)
			b = appendAttrIter(b, fScopeAttributes, g.scope.Attributes.Iter())
			b = endMessage(b, m)
		}
		for _, s := range g.spans {
			b = e.appendSpan(b, s)
		}
		b = appendString(b, fSSSchemaURL, g.scope.SchemaURL)
		b = endMessageN(b, ss, ws)
	}
	if res != nil {
		b = appendString(b, fRSSchemaURL, res.SchemaURL())
	}
	return endMessageN(b, rs, w)
}

// spanGuess is a generation span's usual size on the wire (prompt and
// answer included): the guess behind the bytes reserved for a length.
const spanGuess = 1024

// guessLen is the bytes to reserve for the length of n spans' message:
// a right guess spares moving the whole batch when its length is written.
func guessLen(n int) int { return protowire.SizeVarint(uint64(n) * spanGuess) }

func (e encoder) appendSpan(b []byte, s sdktrace.ReadOnlySpan) []byte {
	const w = 2 // a span of 128 bytes to 16 KB (spanGuess)
	b, m := beginMessageN(b, fSSSpans, w)
	sc := s.SpanContext()
	tid, sid := sc.TraceID(), sc.SpanID()
	b = appendBytes(b, fSpanTraceID, tid[:])
	b = appendBytes(b, fSpanSpanID, sid[:])
	if ts := sc.TraceState(); ts.Len() > 0 {
		b = appendString(b, fSpanTraceState, ts.String())
	}
	parent := s.Parent()
	if psid := parent.SpanID(); psid.IsValid() {
		b = appendBytes(b, fSpanParentSpanID, psid[:])
	}
	name := s.Name()
	if e.maxName > 0 {
		name = CutName(name, e.maxName)
	}
	b = appendString(b, fSpanName, name)
	if k := spanKind(s.SpanKind()); k != 0 {
		b = appendTag(b, fSpanKind, protowire.VarintType)
		b = protowire.AppendVarint(b, k)
	}
	b = appendFixed64(b, fSpanStart, unixNano(s.StartTime().UnixNano()))
	b = appendFixed64(b, fSpanEnd, unixNano(s.EndTime().UnixNano()))
	for _, kv := range s.Attributes() {
		if kv.Value.Type() == attribute.STRINGSLICE && e.last != nil {
			b = e.appendStringSliceKV(b, fSpanAttributes, kv)
			continue
		}
		b = appendKeyValue(b, fSpanAttributes, kv)
	}
	b = appendUint32(b, fSpanDroppedAttrs, s.DroppedAttributes())
	for _, ev := range s.Events() {
		var em int
		b, em = beginMessage(b, fSpanEvents)
		b = appendFixed64(b, fEventTime, unixNano(ev.Time.UnixNano()))
		b = appendString(b, fEventName, ev.Name)
		for _, kv := range ev.Attributes {
			b = appendKeyValue(b, fEventAttributes, kv)
		}
		b = appendUint32(b, fEventDroppedAttrs, ev.DroppedAttributeCount)
		b = endMessage(b, em)
	}
	b = appendUint32(b, fSpanDroppedEvents, s.DroppedEvents())
	for _, l := range s.Links() {
		var lm int
		b, lm = beginMessage(b, fSpanLinks)
		ltid, lsid := l.SpanContext.TraceID(), l.SpanContext.SpanID()
		b = appendBytes(b, fLinkTraceID, ltid[:])
		b = appendBytes(b, fLinkSpanID, lsid[:])
		// The stock transform leaves a link's trace state out; so does
		// this encoder, to send what it sends.
		for _, kv := range l.Attributes {
			b = appendKeyValue(b, fLinkAttributes, kv)
		}
		b = appendUint32(b, fLinkDroppedAttrs, l.DroppedAttributeCount)
		b = appendFixed32(b, fLinkFlags, spanFlags(l.SpanContext.TraceFlags(), l.SpanContext.IsRemote()))
		b = endMessage(b, lm)
	}
	b = appendUint32(b, fSpanDroppedLinks, s.DroppedLinks())
	st := s.Status()
	var sm int
	b, sm = beginMessage(b, fSpanStatus) // always present, as in the stock transform
	b = appendString(b, fStatusMessage, st.Description)
	if c := statusCode(st.Code); c != 0 {
		b = appendTag(b, fStatusCode, protowire.VarintType)
		b = protowire.AppendVarint(b, c)
	}
	b = endMessage(b, sm)
	b = appendFixed32(b, fSpanFlags, spanFlags(sc.TraceFlags(), parent.IsRemote()))
	return endMessageN(b, m, w)
}

func spanKind(k trace.SpanKind) uint64 {
	switch k {
	case trace.SpanKindInternal, trace.SpanKindServer, trace.SpanKindClient,
		trace.SpanKindProducer, trace.SpanKindConsumer:
		return uint64(k) // OTLP numbers the kinds as the API does
	}
	return 0
}

func statusCode(c codes.Code) uint64 {
	switch c {
	case codes.Ok:
		return 1
	case codes.Error:
		return 2
	}
	return 0
}

func spanFlags(tf trace.TraceFlags, remote bool) uint32 {
	f := uint32(tf) | flagHasIsRemote
	if remote {
		f |= flagIsRemote
	}
	return f
}

func unixNano(n int64) uint64 { return uint64(max(0, n)) }

// appendAttrIter appends each attribute of an iterator as field num.
func appendAttrIter(b []byte, num protowire.Number, it attribute.Iterator) []byte {
	for it.Next() {
		b = appendKeyValue(b, num, it.Attribute())
	}
	return b
}

// appendKeyValue appends a KeyValue. A key with a string, bool, int or
// float value (nearly every attribute) is written with its lengths known
// up front: a long string is copied once, not moved again by endMessage
// for the AnyValue and the KeyValue holding it.
func appendKeyValue(b []byte, num protowire.Number, kv attribute.KeyValue) []byte {
	key := validString(string(kv.Key))
	var any int // the AnyValue's content size
	var str string
	switch kv.Value.Type() {
	case attribute.STRING:
		str = validString(kv.Value.AsString())
		any = 1 + sizeBytes(len(str))
	case attribute.BOOL:
		any = 2
	case attribute.INT64:
		any = 1 + protowire.SizeVarint(uint64(kv.Value.AsInt64()))
	case attribute.FLOAT64:
		any = 9
	default:
		b, m := beginMessage(b, num)
		b = appendStringValid(b, fKVKey, key)
		b = appendAnyValue(b, fKVValue, kv.Value)
		return endMessage(b, m)
	}
	n := 1 + sizeBytes(any) // the value field
	if key != "" {
		n += 1 + sizeBytes(len(key))
	}
	b = slices.Grow(b, protowire.SizeTag(num)+sizeBytes(n))
	b = appendTag(b, num, protowire.BytesType)
	b = appendLen(b, n)
	b = appendStringValid(b, fKVKey, key)
	b = append(b, byte(protowire.EncodeTag(fKVValue, protowire.BytesType)))
	b = appendLen(b, any)
	switch kv.Value.Type() {
	case attribute.STRING:
		b = append(b, byte(protowire.EncodeTag(fAnyString, protowire.BytesType)))
		b = appendLen(b, len(str))
		b = append(b, str...)
	case attribute.BOOL:
		b = append(b, byte(protowire.EncodeTag(fAnyBool, protowire.VarintType)), byte(protowire.EncodeBool(kv.Value.AsBool())))
	case attribute.INT64:
		b = append(b, byte(protowire.EncodeTag(fAnyInt, protowire.VarintType)))
		b = protowire.AppendVarint(b, uint64(kv.Value.AsInt64()))
	case attribute.FLOAT64:
		b = append(b, byte(protowire.EncodeTag(fAnyDouble, protowire.Fixed64Type)))
		b = protowire.AppendFixed64(b, math.Float64bits(kv.Value.AsFloat64()))
	}
	return b
}

// appendStringSliceKV is appendKeyValue for a string slice value, whose
// AnyValue is encoded again only when it differs from the last one's.
func (e encoder) appendStringSliceKV(b []byte, num protowire.Number, kv attribute.KeyValue) []byte {
	l := e.last
	if l.enc == nil || kv.Value != l.v {
		l.v, l.enc = kv.Value, appendAnyValue(l.enc[:0], fKVValue, kv.Value)
	}
	key := validString(string(kv.Key))
	n := len(l.enc)
	if key != "" {
		n += 1 + sizeBytes(len(key))
	}
	b = appendTag(b, num, protowire.BytesType)
	b = appendLen(b, n)
	b = appendStringValid(b, fKVKey, key)
	return append(b, l.enc...)
}

// appendAnyValue appends an AnyValue as the stock transform builds it: a
// set oneof field is written even when it holds its zero value.
func appendAnyValue(b []byte, num protowire.Number, v attribute.Value) []byte {
	b, m := beginMessage(b, num)
	switch v.Type() {
	case attribute.STRING:
		b = appendStringAlways(b, fAnyString, v.AsString())
	case attribute.BOOL:
		b = appendTag(b, fAnyBool, protowire.VarintType)
		b = protowire.AppendVarint(b, protowire.EncodeBool(v.AsBool()))
	case attribute.INT64:
		b = appendTag(b, fAnyInt, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(v.AsInt64()))
	case attribute.FLOAT64:
		b = appendTag(b, fAnyDouble, protowire.Fixed64Type)
		b = protowire.AppendFixed64(b, math.Float64bits(v.AsFloat64()))
	case attribute.STRINGSLICE:
		var a int
		b, a = beginMessage(b, fAnyArray)
		for _, s := range v.AsStringSlice() {
			var e int
			b, e = beginMessage(b, fListValues)
			b = appendStringAlways(b, fAnyString, s)
			b = endMessage(b, e)
		}
		b = endMessage(b, a)
	case attribute.BOOLSLICE:
		var a int
		b, a = beginMessage(b, fAnyArray)
		for _, x := range v.AsBoolSlice() {
			b = append(b, byte(protowire.EncodeTag(fListValues, protowire.BytesType)), 2,
				byte(protowire.EncodeTag(fAnyBool, protowire.VarintType)), byte(protowire.EncodeBool(x)))
		}
		b = endMessage(b, a)
	case attribute.INT64SLICE:
		var a int
		b, a = beginMessage(b, fAnyArray)
		for _, x := range v.AsInt64Slice() {
			var e int
			b, e = beginMessage(b, fListValues)
			b = appendTag(b, fAnyInt, protowire.VarintType)
			b = protowire.AppendVarint(b, uint64(x))
			b = endMessage(b, e)
		}
		b = endMessage(b, a)
	case attribute.FLOAT64SLICE:
		var a int
		b, a = beginMessage(b, fAnyArray)
		for _, x := range v.AsFloat64Slice() {
			b = append(b, byte(protowire.EncodeTag(fListValues, protowire.BytesType)), 9,
				byte(protowire.EncodeTag(fAnyDouble, protowire.Fixed64Type)))
			b = protowire.AppendFixed64(b, math.Float64bits(x))
		}
		b = endMessage(b, a)
	case attribute.BYTESLICE:
		b = appendTag(b, fAnyBytes, protowire.BytesType)
		b = protowire.AppendBytes(b, v.AsByteSlice())
	case attribute.SLICE:
		var a int
		b, a = beginMessage(b, fAnyArray)
		for _, x := range v.AsSlice() {
			b = appendAnyValue(b, fListValues, x)
		}
		b = endMessage(b, a)
	case attribute.MAP:
		var a int
		b, a = beginMessage(b, fAnyKVList)
		for _, kv := range v.AsMap() {
			b = appendKeyValue(b, fListValues, kv)
		}
		b = endMessage(b, a)
	case attribute.EMPTY:
	default:
		b = appendStringAlways(b, fAnyString, "INVALID")
	}
	return endMessage(b, m)
}
