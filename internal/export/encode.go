package export

import (
	"encoding/binary"
	"math"
	"slices"
	"strings"
	"unicode/utf8"
	"unsafe"

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

// appendTag appends a field's tag: one byte for a field number under 16
// (every field this encoder writes).
func appendTag(b []byte, num protowire.Number, t protowire.Type) []byte {
	if num < 16 {
		return append(b, byte(num)<<3|byte(t))
	}
	return protowire.AppendTag(b, num, t)
}

// sizeBytes is the size of a length-delimited field's length and n bytes.
func sizeBytes(n int) int {
	if n < 0x80 {
		return 1 + n
	}
	return protowire.SizeVarint(uint64(n)) + n
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

// appendLen appends a length as a varint; most are under 128.
func appendLen(b []byte, n int) []byte {
	if n < 0x80 {
		return append(b, byte(n))
	}
	return protowire.AppendVarint(b, uint64(n))
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

// beginMessage appends the tag of a length-delimited field and a one-byte
// length placeholder; it returns where the field's content starts.
func beginMessage(b []byte, num protowire.Number) ([]byte, int) {
	return beginMessageN(b, num, 1)
}

// endMessage ends a field begun by beginMessage.
func endMessage(b []byte, start int) []byte { return endMessageN(b, start, 1) }

// beginMessageN appends the tag of a length-delimited field and w bytes
// for its length: the length's varint size when it is known roughly (a
// span's 2 bytes, a batch's 3), so that endMessageN moves nothing.
func beginMessageN(b []byte, num protowire.Number, w int) ([]byte, int) {
	b = appendTag(b, num, protowire.BytesType)
	for range w {
		b = append(b, 0)
	}
	return b, len(b)
}

// endMessageN writes the length of the field begun at start with w bytes
// reserved, moving the content when the length's varint needs another
// number of bytes: the bytes are always the minimal encoding.
func endMessageN(b []byte, start, w int) []byte {
	n := len(b) - start
	if n < 0x80 && w == 1 {
		b[start-1] = byte(n)
		return b
	}
	k := protowire.SizeVarint(uint64(n))
	switch {
	case k > w:
		b = append(b, make([]byte, k-w)...) // no allocation while capacity lasts
		copy(b[start+k-w:], b[start:start+n])
	case k < w:
		copy(b[start-(w-k):], b[start:start+n])
		b = b[:len(b)-(w-k)]
	}
	start += k - w
	protowire.AppendVarint(b[:start-k], uint64(n))
	return b
}

// appendString appends a string field unless empty (proto3's default).
func appendString(b []byte, num protowire.Number, s string) []byte {
	if s == "" {
		return b
	}
	return appendStringAlways(b, num, s)
}

// appendStringAlways appends a string field, repaired to valid UTF-8.
func appendStringAlways(b []byte, num protowire.Number, s string) []byte {
	s = validString(s)
	b = appendTag(b, num, protowire.BytesType)
	b = appendLen(b, len(s))
	return append(b, s...)
}

// appendStringValid appends a string field known valid, unless empty.
func appendStringValid(b []byte, num protowire.Number, s string) []byte {
	if s == "" {
		return b
	}
	b = appendTag(b, num, protowire.BytesType)
	b = appendLen(b, len(s))
	return append(b, s...)
}

// validString is s, repaired to valid UTF-8 (U+FFFD) when it is not.
func validString(s string) string {
	if validUTF8(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// validUTF8 is utf8.ValidString, faster on the short all-ASCII strings
// most attributes are (keys, ids, model names; BenchmarkValidUTF8): 32,
// then 8 bytes at a time are checked for a high bit, and utf8.ValidString
// takes over from the first block that has one (every byte before it is ASCII, so a
// character starts there). From 256 bytes on, utf8.ValidString's own
// ASCII loop is as fast: it checks the whole string.
func validUTF8(s string) bool {
	if len(s) >= 256 {
		return utf8.ValidString(s)
	}
	p := unsafe.Slice(unsafe.StringData(s), len(s))
	const hi = 0x8080808080808080
	i := 0
	for ; i+32 <= len(p); i += 32 {
		q := p[i : i+32]
		if (binary.LittleEndian.Uint64(q)|binary.LittleEndian.Uint64(q[8:])|
			binary.LittleEndian.Uint64(q[16:])|binary.LittleEndian.Uint64(q[24:]))&hi != 0 {
			return utf8.ValidString(s[i:])
		}
	}
	for ; i+8 <= len(p); i += 8 {
		if binary.LittleEndian.Uint64(p[i:])&hi != 0 {
			return utf8.ValidString(s[i:])
		}
	}
	for j := i; j < len(p); j++ {
		if p[j] >= 0x80 {
			return utf8.ValidString(s[i:])
		}
	}
	return true
}

func appendBytes(b []byte, num protowire.Number, v []byte) []byte {
	b = appendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, v)
}

func appendFixed64(b []byte, num protowire.Number, v uint64) []byte {
	if v == 0 {
		return b
	}
	b = appendTag(b, num, protowire.Fixed64Type)
	return protowire.AppendFixed64(b, v)
}

func appendFixed32(b []byte, num protowire.Number, v uint32) []byte {
	if v == 0 {
		return b
	}
	b = appendTag(b, num, protowire.Fixed32Type)
	return protowire.AppendFixed32(b, v)
}

// appendUint32 appends a count, clamped to uint32 as the stock transform
// does, unless zero.
func appendUint32(b []byte, num protowire.Number, v int) []byte {
	if v <= 0 {
		return b
	}
	b = appendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, uint64(min(int64(v), math.MaxUint32)))
}

// bodies keeps one request buffer for good: a batch of 512 generations
// is about 600 KB, encoded once per export, and exports are too far apart
// for a sync.Pool (emptied by the garbage collector) to keep one.
var bodies = make(chan *[]byte, 1)

// maxKeptBody bounds the buffer kept between exports.
const maxKeptBody = 4 << 20

func getBody() *[]byte {
	select {
	case p := <-bodies:
		return p
	default:
		return new([]byte)
	}
}

func putBody(p *[]byte) {
	if cap(*p) > maxKeptBody {
		return
	}
	*p = (*p)[:0]
	select {
	case bodies <- p:
	default:
	}
}
