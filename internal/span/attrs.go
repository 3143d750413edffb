package span

import (
	"go.opentelemetry.io/otel/attribute"
)

// maxTableAttrs is the most attributes dedupe handles with a table on the
// stack; more take a map, as the SDK's always does.
const maxTableAttrs = 127

// dedupe keeps each key once, at its first position, with its last value,
// in place (the SDK's rule). The library's spans carry 10–40 attributes:
// a small open-addressing table on the stack finds repeats without the
// map the SDK builds for every span.
func dedupe(kvs []attribute.KeyValue) []attribute.KeyValue {
	n := len(kvs)
	if n < 2 {
		return kvs
	}
	if n > maxTableAttrs {
		return dedupeMap(kvs)
	}
	var table [256]uint8 // index+1 into unique; 0: empty
	mask := uint64(len(table) - 1)
	for size := uint64(4); ; size <<= 1 {
		if size >= uint64(2*n) {
			mask = size - 1
			break
		}
	}
	unique := 0 // kvs[:unique] holds each key once; until a repeat, in place
	for i := range kvs {
		h := keyHash(string(kvs[i].Key)) & mask
		for {
			j := table[h]
			if j == 0 {
				if unique != i {
					kvs[unique] = kvs[i]
				}
				unique++
				table[h] = uint8(unique)
				break
			}
			if kvs[j-1].Key == kvs[i].Key {
				kvs[j-1] = kvs[i]
				break
			}
			h = (h + 1) & mask
		}
	}
	clear(kvs[unique:])
	return kvs[:unique]
}

// keyHash is the table's hash of a key: its length and four of its bytes
// (the last two, the middle, three quarters in), mixed. Attribute keys
// differ in length or near their end; keys that collide only cost a probe
// (the table compares whole keys), and the table holds at most
// maxTableAttrs, so even keys made to collide stay cheap. BenchmarkDedupe
// (a chat call's 18 keys): 125 ns with maphash, 77 ns.
func keyHash(k string) uint64 {
	n := len(k)
	if n == 0 {
		return 0
	}
	x := uint64(n) | uint64(k[n-1])<<16 | uint64(k[n/2])<<24 | uint64(k[n*3/4])<<32 | uint64(k[(n-2+n)%n])<<40
	return (x * 0x9E3779B97F4A7C15) >> 56 // the top byte: every input bit reaches it
}

func dedupeMap(kvs []attribute.KeyValue) []attribute.KeyValue {
	at := make(map[attribute.Key]int, len(kvs))
	unique := kvs[:0]
	for _, kv := range kvs {
		if i, ok := at[kv.Key]; ok {
			unique[i] = kv
			continue
		}
		unique = append(unique, kv)
		at[kv.Key] = len(unique) - 1
	}
	clear(kvs[len(unique):])
	return unique
}

// composite reports whether v is an array or a map of values, the only
// values the SDK normalises at the top level (a top-level depth is never
// 0, so a scalar array stays as it is).
func composite(v attribute.Value) bool {
	t := v.Type()
	return t == attribute.SLICE || t == attribute.MAP
}

// normValues normalises the values of kvs (not their keys) as the SDK does
// for event and link attributes: kvs itself when nothing changes.
func normValues(kvs []attribute.KeyValue, depth int) []attribute.KeyValue {
	var out []attribute.KeyValue
	for i, kv := range kvs {
		if !composite(kv.Value) {
			continue
		}
		v, changed := normValue(kv.Value, depth)
		if out != nil {
			out[i].Value = v
			continue
		}
		if changed {
			out = append([]attribute.KeyValue(nil), kvs...)
			out[i].Value = v
		}
	}
	if out == nil {
		return kvs
	}
	return out
}

// normValue is the SDK's normalisation of an attribute value: a map keeps
// the last value of a key given twice (attribute.MapValue sorts its
// entries stably, so repeats are adjacent), and an array or map nested
// deeper than depth (< 0: no limit) becomes an empty value. Scalars, the
// library's own values, are returned at once.
func normValue(v attribute.Value, depth int) (attribute.Value, bool) {
	switch v.Type() {
	case attribute.BOOLSLICE, attribute.INT64SLICE, attribute.FLOAT64SLICE,
		attribute.STRINGSLICE, attribute.BYTESLICE:
		if depth == 0 {
			return attribute.Value{}, true
		}
	case attribute.SLICE:
		if depth == 0 {
			return attribute.Value{}, true
		}
		elems := v.AsSlice()
		var out []attribute.Value
		for i, e := range elems {
			ne, changed := normValue(e, depth-1)
			if out == nil && changed {
				out = append([]attribute.Value(nil), elems...)
			}
			if out != nil {
				out[i] = ne
			}
		}
		if out != nil {
			return attribute.SliceValue(out...), true
		}
	case attribute.MAP:
		if depth == 0 {
			return attribute.Value{}, true
		}
		kvs := v.AsMap()
		changed := false
		out := make([]attribute.KeyValue, 0, len(kvs))
		for i := 0; i < len(kvs); {
			j := i + 1
			for j < len(kvs) && kvs[j].Key == kvs[i].Key {
				j++
			}
			kv := kvs[j-1]
			if j-i > 1 {
				changed = true
			}
			if nv, ok := normValue(kv.Value, depth-1); ok {
				kv.Value, changed = nv, true
			}
			out = append(out, kv)
			i = j
		}
		if changed {
			return attribute.MapValue(out...), true
		}
	}
	return v, false
}
