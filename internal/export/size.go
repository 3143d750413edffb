package export

import (
	"sync/atomic"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// spanOverhead is a span's fixed cost in memory: the SDK's snapshot
// struct, ids, times, status and slice headers.
const spanOverhead = 512

// Size estimates the memory a span held in the queue keeps alive: its
// name, attributes, events and links. The byte budget counts it.
func Size(s sdktrace.ReadOnlySpan) int64 {
	n := int64(spanOverhead + len(s.Name()) + len(s.Status().Description))
	n += attrsSize(s.Attributes())
	for _, e := range s.Events() {
		n += 64 + int64(len(e.Name)) + attrsSize(e.Attributes)
	}
	for _, l := range s.Links() {
		n += 64 + attrsSize(l.Attributes)
	}
	return n
}

func attrsSize(kvs []attribute.KeyValue) int64 {
	var n int64
	for _, kv := range kvs {
		n += int64(len(kv.Key)) + 32
		switch kv.Value.Type() {
		case attribute.STRING:
			n += int64(len(kv.Value.AsString()))
		case attribute.STRINGSLICE:
			n += stringSliceSize(kv.Value)
		case attribute.BOOL, attribute.INT64, attribute.FLOAT64:
			n += 8
		default: // rare: the slow, exact way
			n += int64(len(kv.Value.Emit()))
		}
	}
	return n
}

// lastSliceSize is the last small string slice value sized, and its size:
// a call's finish reasons are mostly the same value from call to call, and
// attribute.Value.AsStringSlice copies the slice (an allocation on the
// caller's path) each time. Only a value of at most maxSizedSlice is kept
// (review 36): a large one would outlive its span and Shutdown, outside
// the byte budget, and comparing with it would read it whole.
var lastSliceSize atomic.Pointer[sizedSlice]

const maxSizedSlice = 256

type sizedSlice struct {
	v attribute.Value // a STRINGSLICE: comparable (an array of strings)
	n int64
}

func stringSliceSize(v attribute.Value) int64 {
	if c := lastSliceSize.Load(); c != nil && c.v == v {
		return c.n
	}
	var n int64
	for _, e := range v.AsStringSlice() {
		n += int64(len(e)) + 16
	}
	if n <= maxSizedSlice {
		lastSliceSize.Store(&sizedSlice{v, n})
	}
	return n
}
