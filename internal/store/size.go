package store

// The store's byte accounting: an estimate of what a value holds in memory
// (strings and numbers, plus a fixed cost per value), cheap enough to run on
// every ingested observation.

const (
	perObservation = 1200 // struct, map entries, index (measured: BenchmarkMemoryAtBound)
	perValue       = 72
)

func sizeOfObservation(o *Observation) int64 {
	n := perObservation + len(o.ID) + len(o.TraceID) + len(o.ParentObservationID) + len(o.Type) +
		len(o.Name) + len(o.Level) + len(o.StatusMessage) + len(o.Version) + len(o.Environment) +
		len(o.Release) + len(o.UserID) + len(o.SessionID) + len(o.TraceName) + len(o.ProvidedModelName) +
		len(o.PromptName)
	for _, t := range o.Tags {
		n += perValue + len(t)
	}
	n += sizeOfAny(o.Input) + sizeOfAny(o.Output) + sizeOfAny(o.TraceInput) + sizeOfAny(o.TraceOutput)
	n += sizeOfMap(o.Metadata) + sizeOfMap(o.ModelParameters) + sizeOfMap(o.TraceMetadata)
	for k := range o.UsageDetails {
		n += perValue + 8 + len(k)
	}
	for k := range o.CostDetails {
		n += perValue + 8 + len(k)
	}
	return int64(n)
}

func sizeOfMap(m map[string]any) int {
	n := 0
	for k, v := range m {
		n += perValue + len(k) + sizeOfAny(v)
	}
	return n
}

func sizeOfAny(v any) int {
	switch x := v.(type) {
	case nil:
		return 0
	case string:
		return perValue + len(x)
	case map[string]any:
		return perValue + sizeOfMap(x)
	case []any:
		n := perValue
		for _, e := range x {
			n += perValue + sizeOfAny(e)
		}
		return n
	case []string:
		n := perValue
		for _, e := range x {
			n += perValue + len(e)
		}
		return n
	default:
		return perValue + 8
	}
}
