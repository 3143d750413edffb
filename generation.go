package litefuse

import (
	"context"
	"encoding/json"
	"math"
	"time"

	"github.com/litefuse/litefuse-go/internal/record"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// A manual generation: a model reached without HTTP (a local model, a
// gRPC service) recorded through an [Observation], with what the library
// records on its own for a call over HTTP. These are the Go form of the
// Python SDK's generation.update(model=, model_parameters=,
// usage_details=, cost_details=, level=, status_message=,
// completion_start_time=) and update_current_trace(input=, output=).

// ObservationLevel is an observation's level in Litefuse.
type ObservationLevel string

// Observation levels Litefuse knows.
const (
	LevelDebug   ObservationLevel = "DEBUG"
	LevelDefault ObservationLevel = "DEFAULT"
	LevelWarning ObservationLevel = "WARNING"
	LevelError   ObservationLevel = "ERROR"
)

// SetModel records the model the observation called and the parameters
// the caller set (temperature, max_tokens, …; nil: none). An observation
// started without [WithType] becomes a generation.
func (o *Observation) SetModel(model string, parameters map[string]any) {
	o.setGeneration(func() []attribute.KeyValue {
		attrs := []attribute.KeyValue{attribute.String(record.KeyModelName, o.values.String(model))}
		if parameters != nil {
			attrs = append(attrs, attribute.String(record.KeyModelParameters, o.values.JSON(parameters)))
		}
		return attrs
	})
}

// SetUsage records token counts by usage type, as Litefuse reads them:
// "input", "output", "total", and detail types such as
// "input_cached_tokens" or "output_reasoning_tokens" (Litefuse prices each
// type the model defines). Negative counts are left out. An observation
// started without [WithType] becomes a generation.
func (o *Observation) SetUsage(details map[string]int) {
	if len(details) == 0 {
		return
	}
	o.setGeneration(func() []attribute.KeyValue {
		kept := make(map[string]int, len(details))
		for k, v := range details {
			if v >= 0 {
				kept[k] = v
			}
		}
		b, _ := json.Marshal(kept) // a map of ints always encodes
		return []attribute.KeyValue{attribute.String(record.KeyUsageDetails, string(b))}
	})
}

// SetCost records the cost in USD by usage type ("input", "output", …);
// "total" is their sum unless given. NaN, infinite and negative amounts
// are left out. Costs sent this way win over what Litefuse would compute
// from its model prices. An observation started without [WithType]
// becomes a generation.
func (o *Observation) SetCost(details map[string]float64) {
	if len(details) == 0 {
		return
	}
	o.setGeneration(func() []attribute.KeyValue {
		kept := make(map[string]float64, len(details)+1)
		sum := 0.0
		for k, v := range details {
			if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
				continue
			}
			kept[k] = v
			if k != "total" {
				sum += v
			}
		}
		if _, ok := kept["total"]; !ok && len(kept) > 0 {
			kept["total"] = sum
		}
		b, _ := json.Marshal(kept) // finite floats always encode
		return []attribute.KeyValue{attribute.String(record.KeyCostDetails, string(b))}
	})
}

// SetCompletionStartTime records when the first token arrived, for the
// time to first token. A zero time is ignored. An observation started
// without [WithType] becomes a generation.
func (o *Observation) SetCompletionStartTime(t time.Time) {
	if t.IsZero() {
		return
	}
	o.setGeneration(func() []attribute.KeyValue {
		return []attribute.KeyValue{attribute.String(record.KeyCompletionStartTime, record.RFC3339(t))}
	})
}

// SetLevel records the observation's level and a status message (may be
// empty). [LevelError] also marks the span failed, as [Observation.SetError]
// does for an error value.
func (o *Observation) SetLevel(level ObservationLevel, statusMessage string) {
	if !o.recording() || level == "" {
		return
	}
	defer guard()
	v := o.scrubbed()
	attrs := []attribute.KeyValue{attribute.String(record.KeyLevel, v.String(string(level)))}
	msg := ""
	if statusMessage != "" {
		msg = v.Message(scrubKnown(statusMessage))
		attrs = append(attrs, attribute.String(record.KeyStatusMessage, msg))
	}
	o.span.SetAttributes(attrs...)
	if level == LevelError {
		fail(o.span, msg)
	}
}

// SetTraceInput records v, as JSON, as the input of the observation's
// whole trace (langfuse.trace.input), which Litefuse shows at the top of
// the trace; without it Litefuse shows the root observation's input.
func (o *Observation) SetTraceInput(v any) {
	o.set(func() []attribute.KeyValue {
		vals := o.scrubbed()
		return []attribute.KeyValue{attribute.String(record.KeyTraceInput, vals.FieldValue("input", v))}
	})
}

// SetTraceOutput records v, as JSON, as the output of the observation's
// whole trace (langfuse.trace.output).
func (o *Observation) SetTraceOutput(v any) {
	o.set(func() []attribute.KeyValue {
		vals := o.scrubbed()
		return []attribute.KeyValue{attribute.String(record.KeyTraceOutput, vals.FieldValue("output", v))}
	})
}

// setGeneration sets attrs, making the observation a generation unless
// its type was chosen with WithType.
func (o *Observation) setGeneration(attrs func() []attribute.KeyValue) {
	o.set(func() []attribute.KeyValue {
		a := attrs()
		if !o.typed {
			a = append(a, attribute.String(record.KeyObservationType, string(TypeGeneration)))
		}
		return a
	})
}

type observationKey struct{}

// CurrentObservation returns the observation [Observe] or
// [StartObservation] is running in ctx, to set its fields from inside fn
// (Python's update_current_generation and update_current_trace), or nil
// when ctx's span is not one of them. Every method is safe on nil; End
// belongs to whoever started the observation.
func CurrentObservation(ctx context.Context) *Observation {
	o, _ := ctx.Value(observationKey{}).(*Observation)
	if o == nil || o.span != trace.SpanFromContext(ctx) {
		return nil
	}
	return o
}
