package lfserver

// The mapping from OTLP spans to Litefuse observations, by the rules of
// Langfuse's OTel ingestion (DESIGN §5): observation type, model,
// parameters, input and output, usage and cost details, completion start,
// level and status, prompt link, metadata, and the trace-level attributes,
// read from the span first, then its resource.

import (
	"encoding/hex"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/litefuse/litefuse-go/internal/record"
	"github.com/litefuse/litefuse-go/internal/store"
)

// Keys Litefuse reads that the library does not write.
const (
	keyAsRoot         = "langfuse.internal.as_root"
	keyTraceInput     = "langfuse.trace.input"
	keyTraceOutput    = "langfuse.trace.output"
	keyLangfuseUser   = "langfuse.user.id"
	keyLangfuseSess   = "langfuse.session.id"
	keyDeploymentEnv  = "deployment.environment.name"
	keyDeploymentEnv0 = "deployment.environment"
	keyObsVersion     = "langfuse.observation.version"
)

// maxTraceName is the longest trace name Litefuse accepts: a longer one
// fails the trace event, losing its name, user, session and tags.
const maxTraceName = 1000

// Observations maps an export request to observations.
func Observations(req *coltracepb.ExportTraceServiceRequest) []store.Observation {
	var out []store.Observation
	for _, rs := range req.GetResourceSpans() {
		res := rs.GetResource().GetAttributes()
		for _, ss := range rs.GetScopeSpans() {
			for _, sp := range ss.GetSpans() {
				out = append(out, observation(sp, res, ss.GetScope()))
			}
		}
	}
	return out
}

type attrs struct{ span, res []*commonpb.KeyValue }

func find(kvs []*commonpb.KeyValue, key string) *commonpb.AnyValue {
	for _, kv := range kvs {
		if kv.GetKey() == key {
			return kv.GetValue()
		}
	}
	return nil
}

// get returns the span's value for key, else the resource's.
func (a attrs) get(key string) *commonpb.AnyValue {
	if v := find(a.span, key); v != nil {
		return v
	}
	return find(a.res, key)
}

func (a attrs) str(keys ...string) string {
	for _, k := range keys {
		if v := a.get(k); v != nil {
			if s := stringOf(v); s != "" {
				return s
			}
		}
	}
	return ""
}

// stringOf renders a value as Litefuse stores an attribute as text.
func stringOf(v *commonpb.AnyValue) string {
	switch x := v.GetValue().(type) {
	case *commonpb.AnyValue_StringValue:
		return x.StringValue
	case nil:
		return ""
	default:
		b, _ := json.Marshal(plain(v))
		return string(b)
	}
}

// plain converts an attribute value to plain Go (kvlists become objects).
func plain(v *commonpb.AnyValue) any {
	switch x := v.GetValue().(type) {
	case *commonpb.AnyValue_StringValue:
		return x.StringValue
	case *commonpb.AnyValue_IntValue:
		return x.IntValue
	case *commonpb.AnyValue_DoubleValue:
		return x.DoubleValue
	case *commonpb.AnyValue_BoolValue:
		return x.BoolValue
	case *commonpb.AnyValue_BytesValue:
		return hex.EncodeToString(x.BytesValue)
	case *commonpb.AnyValue_ArrayValue:
		vals := x.ArrayValue.GetValues()
		out := make([]any, len(vals))
		for i, e := range vals {
			out[i] = plain(e)
		}
		return out
	case *commonpb.AnyValue_KvlistValue:
		out := map[string]any{}
		for _, kv := range x.KvlistValue.GetValues() {
			out[kv.GetKey()] = plain(kv.GetValue())
		}
		return out
	}
	return nil
}

// jsonOrString decodes s as JSON, or keeps s when it is not JSON.
func jsonOrString(s string) any {
	if s == "" {
		return nil
	}
	var v any
	if json.Unmarshal([]byte(s), &v) == nil {
		return v
	}
	return s
}

func (a attrs) json(key string) any {
	v := a.get(key)
	if v == nil {
		return nil
	}
	if s, ok := v.GetValue().(*commonpb.AnyValue_StringValue); ok {
		return jsonOrString(s.StringValue)
	}
	return plain(v)
}

func observation(sp *tracepb.Span, res []*commonpb.KeyValue, scope *commonpb.InstrumentationScope) store.Observation {
	a := attrs{sp.GetAttributes(), res}
	o := store.Observation{
		ID:                  hex.EncodeToString(sp.GetSpanId()),
		TraceID:             hex.EncodeToString(sp.GetTraceId()),
		ParentObservationID: hex.EncodeToString(sp.GetParentSpanId()),
		Name:                sp.GetName(),
		StartTime:           time.Unix(0, int64(sp.GetStartTimeUnixNano())).UTC(),
		EndTime:             time.Unix(0, int64(sp.GetEndTimeUnixNano())).UTC(),
		Version:             a.str(keyObsVersion, record.KeyVersion),
		Release:             a.str(record.KeyRelease),
		Environment:         a.str(record.KeyEnvironment, keyDeploymentEnv, keyDeploymentEnv0),
		UserID:              a.str(keyLangfuseUser, record.KeyUserID),
		SessionID:           a.str(keyLangfuseSess, record.KeySessionID),
		TraceName:           a.str(record.KeyTraceName),
		Input:               a.json(record.KeyInput),
		Output:              a.json(record.KeyOutput),
		TraceInput:          a.json(keyTraceInput),
		TraceOutput:         a.json(keyTraceOutput),
		StatusMessage:       a.str(record.KeyStatusMessage),
	}
	if sp.GetEndTimeUnixNano() == 0 {
		o.EndTime = time.Time{}
	}
	if v := find(sp.GetAttributes(), keyAsRoot); v != nil {
		o.AsRoot = v.GetBoolValue() || v.GetStringValue() == "true"
	}

	// Type: the attribute, else (none, or one outside the enum) a
	// generation when it names a model or usage.
	typ := strings.ToUpper(a.str(record.KeyObservationType))
	if !observationTypes[typ] {
		typ = "SPAN"
		if a.get(record.KeyModelName) != nil || a.get(record.KeyGenAIRequestModel) != nil ||
			a.get(record.KeyGenAIResponseModel) != nil || a.get(record.KeyUsageDetails) != nil ||
			a.get(record.KeyGenAIInputTokens) != nil {
			typ = "GENERATION"
		}
	}
	o.Type = typ
	o.ProvidedModelName = a.str(record.KeyModelName, record.KeyGenAIResponseModel, record.KeyGenAIRequestModel)
	if m, ok := a.json(record.KeyModelParameters).(map[string]any); ok {
		o.ModelParameters = m
	}
	o.UsageDetails = usage(a)
	o.CostDetails = cost(a)
	if s := a.str(record.KeyCompletionStartTime); s != "" {
		if t, ok := parseTime(s); ok {
			o.CompletionStartTime = &t
		}
	}

	// Level: the attribute (one of the enum); an OTel error status makes
	// it ERROR.
	o.Level = strings.ToUpper(a.str(record.KeyLevel))
	if !levels[o.Level] {
		o.Level = ""
	}
	if sp.GetStatus().GetCode() == tracepb.Status_STATUS_CODE_ERROR {
		o.Level = record.LevelError
		if o.StatusMessage == "" {
			o.StatusMessage = sp.GetStatus().GetMessage()
		}
	}
	if o.Level == "" {
		o.Level = "DEFAULT"
	}

	// Prompt link: name and an integer version, both or neither.
	if name := a.str(record.KeyPromptName); name != "" {
		if v := a.get(record.KeyPromptVersion); v != nil {
			if iv, ok := v.GetValue().(*commonpb.AnyValue_IntValue); ok {
				o.PromptName, o.PromptVersion = name, int(iv.IntValue)
			}
		}
	}

	if v := a.get(record.KeyTraceTags); v != nil {
		o.Tags = tags(v)
	}
	o.Metadata = prefixed(sp.GetAttributes(), record.KeyObservationMetadata)
	o.TraceMetadata = prefixed(sp.GetAttributes(), record.KeyTraceMetadata)
	if rm := prefixed(res, record.KeyTraceMetadata); rm != nil {
		for k, v := range o.TraceMetadata {
			rm[k] = v
		}
		o.TraceMetadata = rm
	}
	// As Langfuse does: the other attributes, the resource and the scope
	// under metadata.
	other := map[string]any{}
	for _, kv := range sp.GetAttributes() {
		if !strings.HasPrefix(kv.GetKey(), "langfuse.") {
			other[kv.GetKey()] = plain(kv.GetValue())
		}
	}
	if len(other) > 0 || len(res) > 0 || scope != nil {
		if o.Metadata == nil {
			o.Metadata = map[string]any{}
		}
		if len(other) > 0 {
			o.Metadata["attributes"] = other
		}
		if len(res) > 0 {
			ra := make(map[string]any, len(res))
			for _, kv := range res {
				ra[kv.GetKey()] = plain(kv.GetValue())
			}
			o.Metadata["resourceAttributes"] = ra
		}
		if scope != nil {
			o.Metadata["scope"] = map[string]any{"name": scope.GetName(), "version": scope.GetVersion()}
		}
	}

	// A trace name over the limit fails the trace event: its trace-level
	// values are lost, as in Litefuse.
	name := o.TraceName
	if name == "" && (o.ParentObservationID == "" || o.AsRoot) {
		name = o.Name
	}
	if len(name) > maxTraceName {
		o.TraceName, o.UserID, o.SessionID, o.Tags, o.TraceMetadata = "", "", "", nil, nil
		o.TraceInput, o.TraceOutput = nil, nil
	}
	return o
}

// prefixed collects attributes under prefix, JSON values decoded.
func prefixed(kvs []*commonpb.KeyValue, prefix string) map[string]any {
	var out map[string]any
	for _, kv := range kvs {
		k, ok := strings.CutPrefix(kv.GetKey(), prefix)
		if !ok || k == "" {
			continue
		}
		if out == nil {
			out = map[string]any{}
		}
		if s, ok := kv.GetValue().GetValue().(*commonpb.AnyValue_StringValue); ok {
			out[k] = jsonOrString(s.StringValue)
		} else {
			out[k] = plain(kv.GetValue())
		}
	}
	return out
}

func tags(v *commonpb.AnyValue) []string {
	var out []string
	switch x := v.GetValue().(type) {
	case *commonpb.AnyValue_ArrayValue:
		for _, e := range x.ArrayValue.GetValues() {
			if s := stringOf(e); s != "" {
				out = append(out, s)
			}
		}
	case *commonpb.AnyValue_StringValue:
		if json.Unmarshal([]byte(x.StringValue), &out) != nil {
			out = nil
			for _, s := range strings.Split(x.StringValue, ",") {
				if s = strings.TrimSpace(s); s != "" {
					out = append(out, s)
				}
			}
		}
	}
	return out
}

// observationTypes and levels are the enums Litefuse accepts
// (ObservationType, ObservationLevel).
var (
	observationTypes = map[string]bool{
		"GENERATION": true, "SPAN": true, "EVENT": true, "AGENT": true, "TOOL": true, "CHAIN": true,
		"RETRIEVER": true, "EVALUATOR": true, "GUARDRAIL": true, "EMBEDDING": true,
	}
	levels = map[string]bool{"DEBUG": true, "DEFAULT": true, "WARNING": true, "ERROR": true}
)

// maxUsage is the largest usage count kept: an integer a float64 and an
// int64 both hold exactly.
const maxUsage = 1 << 53

// usage reads usage details: non-negative integers only (Litefuse's
// map<string, integer>); a value out of range, fractional or not a number
// is left out, not stored wrapped or rounded.
func usage(a attrs) map[string]int64 {
	if m, ok := a.json(record.KeyUsageDetails).(map[string]any); ok {
		out := make(map[string]int64, len(m))
		for k, v := range m {
			if f, ok := v.(float64); ok && f >= 0 && f <= maxUsage && f == math.Trunc(f) {
				out[k] = int64(f)
			}
		}
		return out
	}
	in, out := a.get(record.KeyGenAIInputTokens), a.get(record.KeyGenAIOutputTokens)
	if in == nil && out == nil {
		return nil
	}
	u := map[string]int64{}
	for k, v := range map[string]*commonpb.AnyValue{"input": in, "output": out} {
		if n := v.GetIntValue(); v != nil && n >= 0 && n <= maxUsage {
			u[k] = n
			u["total"] += n
		}
	}
	return u
}

func cost(a attrs) map[string]float64 {
	m, ok := a.json(record.KeyCostDetails).(map[string]any)
	if !ok {
		return nil
	}
	out := make(map[string]float64, len(m))
	for k, v := range m {
		if f, ok := v.(float64); ok {
			out[k] = f
		}
	}
	return out
}

// parseTime reads a completion start time: RFC 3339 with a zone (a JSON
// string or bare), or epoch milliseconds.
func parseTime(s string) (time.Time, bool) {
	if uq, err := strconv.Unquote(s); err == nil {
		s = uq
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), true
	}
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.UnixMilli(ms).UTC(), true
	}
	return time.Time{}, false
}
