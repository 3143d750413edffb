package record

import (
	"maps"
	"slices"
	"strconv"

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

// metadata appends at most MaxMetadataKeys keys (in key order, so which
// ones are kept does not change from call to call) and records how many
// were left out.
func metadata[T any](dst []attribute.KeyValue, prefix string, md map[string]T, render func(T) string, v *Values) []attribute.KeyValue {
	if len(md) == 0 {
		return dst
	}
	keys := slices.Sorted(maps.Keys(md))
	dropped := 0
	if len(keys) > MaxMetadataKeys {
		dropped = len(keys) - MaxMetadataKeys
		keys = keys[:MaxMetadataKeys]
	}
	for _, k := range keys {
		dst = append(dst, attribute.String(prefix+v.String(k), render(md[k])))
	}
	if dropped > 0 {
		dst = append(dst, attribute.String(prefix+MetaDroppedMetadata, strconv.Itoa(dropped)))
	}
	return dst
}
