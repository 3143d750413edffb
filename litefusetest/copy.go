package litefusetest

// Deep copies: what the Server returns is the caller's own, so a test may
// change it without changing (or racing with) what the server holds.

import "maps"

func copyObservation(o Observation) Observation {
	o.Tags = cloneSlice(o.Tags)
	if o.CompletionStartTime != nil {
		t := *o.CompletionStartTime
		o.CompletionStartTime = &t
	}
	o.Input, o.Output = copyAny(o.Input), copyAny(o.Output)
	o.TraceInput, o.TraceOutput = copyAny(o.TraceInput), copyAny(o.TraceOutput)
	o.Metadata = copyMap(o.Metadata)
	o.ModelParameters = copyMap(o.ModelParameters)
	o.TraceMetadata = copyMap(o.TraceMetadata)
	o.UsageDetails = maps.Clone(o.UsageDetails)
	o.CostDetails = maps.Clone(o.CostDetails)
	return o
}

func copyTrace(t Trace) Trace {
	t.Tags = cloneSlice(t.Tags)
	t.Metadata = copyMap(t.Metadata)
	t.Input, t.Output = copyAny(t.Input), copyAny(t.Output)
	t.Usage = maps.Clone(t.Usage)
	return t
}

func copyScore(s Score) Score {
	s.Metadata = copyMap(s.Metadata)
	return s
}

func cloneSlice[T any](s []T) []T {
	if s == nil {
		return nil
	}
	return append([]T(nil), s...)
}

func copyMap(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = copyAny(v)
	}
	return out
}

// copyAny copies decoded JSON (and the attribute values the server keeps:
// []string, []any, maps).
func copyAny(v any) any {
	switch x := v.(type) {
	case map[string]any:
		return copyMap(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = copyAny(e)
		}
		return out
	case []string:
		return cloneSlice(x)
	default:
		return v
	}
}
