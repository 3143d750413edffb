package viewer

import (
	"net/http"
	"time"

	"github.com/litefuse/litefuse-go/internal/store"
)

// observationPage is what observation.html shows: the trace's tree on the
// side, the observation in full.
type observationPage struct {
	Title     string
	Trace     store.Trace
	TraceLink string
	Rows      []obsRow
	Selected  string
	Obs       store.Observation
	Latency   time.Duration
	TTFT      time.Duration // completionStartTime − startTime; -1 when not streamed
	Usage     []usageItem
	Cost      []costItem
	Params    []param
	Scores    []store.Score
	Meta      map[string]any // the caller's metadata
	OTel      map[string]any // the span's other attributes, resource and scope, as Litefuse keeps them in metadata

	Chat       bool // input and/or output shown as messages
	In         []message
	InOK       bool
	Tools      []toolDef
	ToolChoice string
	Out        []message
	OutOK      bool
	InJSON     string
	OutJSON    string
	InMedia    []mediaRef // media in input/output shown as JSON
	OutMedia   []mediaRef
	Stats      statsView
}

type usageItem struct {
	Key, Label string
	Value      int64
}

type costItem struct {
	Key, Label string
	Value      float64
}

type param struct {
	Key, Value string
}

// usageOrder and usageLabels: Litefuse's disjoint buckets first, in
// reading order; any other key follows under its own name.
var (
	usageOrder  = []string{"input", "input_cached_tokens", "output", "output_reasoning_tokens", "total"}
	usageLabels = map[string]string{
		"input": "input", "input_cached_tokens": "cached input", "output": "output",
		"output_reasoning_tokens": "reasoning output", "total": "total",
	}
)

// otelMetadata are the metadata keys under which Litefuse keeps what is
// not a Langfuse attribute: shown apart, folded, so the caller's own
// metadata stands out.
var otelMetadata = map[string]bool{"attributes": true, "resourceAttributes": true, "scope": true}

// observation serves "/traces/{trace}/observations/{obs}".
func (h *Handler) observation(w http.ResponseWriter, r *http.Request) {
	tid, oid := r.PathValue("trace"), r.PathValue("obs")
	t, obs, scores, ok := h.store.Trace(tid)
	if !ok {
		h.notFound(w, "trace", tid)
		return
	}
	var o store.Observation
	found := false
	for _, c := range obs {
		if c.ID == oid {
			o, found = c, true
			break
		}
	}
	if !found {
		h.notFound(w, "observation", oid)
		return
	}
	p := observationPage{
		Title:     o.Name,
		Trace:     t,
		TraceLink: traceLink(t.ID),
		Rows:      tree(t, obs),
		Selected:  o.ID,
		Obs:       o,
		Latency:   latency(o.StartTime, o.EndTime),
		TTFT:      -1,
		Stats:     h.stats(),
	}
	if p.Title == "" {
		p.Title = o.Type + " " + o.ID
	}
	if o.CompletionStartTime != nil && !o.StartTime.IsZero() {
		p.TTFT = o.CompletionStartTime.Sub(o.StartTime)
	}
	for _, s := range scores {
		if s.ObservationID == o.ID {
			p.Scores = append(p.Scores, s)
		}
	}
	for _, k := range usageOrder {
		if v, ok := o.UsageDetails[k]; ok {
			p.Usage = append(p.Usage, usageItem{k, usageLabels[k], v})
		}
	}
	for _, k := range sortedKeys(o.UsageDetails) {
		if _, known := usageLabels[k]; !known {
			p.Usage = append(p.Usage, usageItem{k, k, o.UsageDetails[k]})
		}
	}
	for _, k := range sortedKeys(o.CostDetails) {
		label := usageLabels[k]
		if label == "" {
			label = k
		}
		p.Cost = append(p.Cost, costItem{k, label, o.CostDetails[k]})
	}
	for _, k := range sortedKeys(o.ModelParameters) {
		p.Params = append(p.Params, param{k, compactJSON(o.ModelParameters[k])})
	}
	for k, v := range o.Metadata {
		m := &p.Meta
		if otelMetadata[k] {
			m = &p.OTel
		}
		if *m == nil {
			*m = map[string]any{}
		}
		(*m)[k] = v
	}
	if o.Type == "GENERATION" || o.ProvidedModelName != "" {
		p.In, p.Tools, p.ToolChoice, p.InOK = chatInput(o.Input)
		p.Out, p.OutOK = chatOutput(o.Output)
		p.Chat = p.InOK || p.OutOK
	}
	if !p.InOK && hasValue(o.Input) {
		p.InJSON, p.InMedia = prettyJSON(o.Input), mediaIn(o.Input)
	}
	if !p.OutOK && hasValue(o.Output) {
		p.OutJSON, p.OutMedia = prettyJSON(o.Output), mediaIn(o.Output)
	}
	render(w, h.pages.observation, "layout.html", http.StatusOK, p)
}
