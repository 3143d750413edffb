package record

import (
	"slices"
	"strconv"
	"strings"

	"go.opentelemetry.io/otel/attribute"
)

// Trace holds the trace-level attributes Litefuse shows on the trace.
type Trace struct {
	UserID, SessionID, Name, Version string
	Tags                             []string
	Metadata                         map[string]string
}

// TraceAttrs appends the trace-level attributes carried by every span the
// library owns: environment and release, then t's.
func TraceAttrs(dst []attribute.KeyValue, t *Trace, env, release string, v *Values) []attribute.KeyValue {
	if env != "" {
		dst = append(dst, attribute.String(KeyEnvironment, v.String(env)))
	}
	if release != "" {
		dst = append(dst, attribute.String(KeyRelease, v.String(release)))
	}
	if t == nil {
		return dst
	}
	for _, f := range [...]struct{ key, val string }{
		{KeyUserID, t.UserID}, {KeySessionID, t.SessionID}, {KeyTraceName, t.Name}, {KeyVersion, t.Version},
	} {
		if f.val != "" {
			dst = append(dst, attribute.String(f.key, v.String(f.val)))
		}
	}
	if len(t.Tags) > 0 {
		tags := make([]string, len(t.Tags))
		for i, tag := range t.Tags {
			tags[i] = v.String(tag)
		}
		dst = append(dst, attribute.StringSlice(KeyTraceTags, tags))
	}
	return metadata(dst, KeyTraceMetadata, t.Metadata, func(s string) string { return v.Metadata(s) }, v)
}

// ObservationMetadata appends per-observation metadata, masked.
func ObservationMetadata(dst []attribute.KeyValue, md map[string]any, v *Values) []attribute.KeyValue {
	return metadata(dst, KeyObservationMetadata, md, v.Metadata, v)
}

// CallerPrefix goes before a caller's metadata key that the library writes
// on some observation (stream_cut_short, attempt, …; see Reserved), on
// every span, whether the library writes it there or not: the caller's
// value is kept, renamed, and never overwrites or reads as what the
// library records.
const CallerPrefix = "caller_"

// Reserved reports whether k, under prefix (KeyObservationMetadata or
// KeyTraceMetadata), is a metadata key the library may write itself.
func Reserved(prefix, k string) bool {
	switch k {
	case MetaDroppedMetadata:
		return true
	case MetaStreamCutShort, MetaServiceTier, MetaAttempt, MetaOmittedBytes, MetaOutputNotRecorded:
		return prefix == KeyObservationMetadata
	}
	return false
}

// metadata appends at most MaxMetadataKeys keys (in key order, so which
// ones are kept does not change from call to call) and records how many
// were left out. A reserved key is recorded as CallerPrefix+key, or left
// out (and counted) when the caller set that name too.
func metadata[T any](dst []attribute.KeyValue, prefix string, md map[string]T, render func(T) string, v *Values) []attribute.KeyValue {
	if len(md) == 0 {
		return dst
	}
	type entry struct{ name, key string }
	entries := make([]entry, 0, len(md))
	dropped := 0
	for k := range md {
		name := k
		if Reserved(prefix, k) {
			name = CallerPrefix + k
			if _, dup := md[name]; dup {
				dropped++
				continue
			}
		}
		entries = append(entries, entry{name, k})
	}
	slices.SortFunc(entries, func(a, b entry) int { return strings.Compare(a.name, b.name) })
	if len(entries) > MaxMetadataKeys {
		dropped += len(entries) - MaxMetadataKeys
		entries = entries[:MaxMetadataKeys]
	}
	for _, e := range entries {
		dst = append(dst, attribute.String(prefix+v.String(e.name), render(md[e.key])))
	}
	if dropped > 0 {
		dst = append(dst, attribute.String(prefix+MetaDroppedMetadata, strconv.Itoa(dropped)))
	}
	return dst
}
