package viewer

import (
	"net/http"
	"sort"
	"strconv"
	"time"

	"github.com/litefuse/litefuse-go/internal/store"
)

// tracePage is what trace.html shows.
type tracePage struct {
	Title    string
	Trace    store.Trace
	Latency  time.Duration
	Tokens   string
	Rows     []obsRow
	Scores   []store.Score
	Selected string // the observation shown beside the tree, "" for none
	Stats    statsView
}

// obsRow is one observation in the tree, with its timeline bar.
type obsRow struct {
	store.Observation
	Depth   int
	Orphan  bool // its parent never arrived
	Latency time.Duration
	BarX    string // bar start, % of the trace's span
	BarW    string // bar width, %
	TTFTW   string // width of the wait for the first token, % ("" when not streamed)
	Tokens  string
	Cost    float64
	Link    string
}

// trace serves "/traces/{trace}": the trace's attributes, its observations
// as a tree with a timeline, and its scores.
func (h *Handler) trace(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("trace")
	t, obs, scores, ok := h.store.Trace(id)
	if !ok {
		h.notFound(w, "trace", id)
		return
	}
	p := tracePage{
		Title:   t.Name,
		Trace:   t,
		Latency: latency(t.StartTime, t.EndTime),
		Tokens:  tokensSummary(t.Usage),
		Rows:    tree(t, obs),
		Scores:  scores,
		Stats:   h.stats(),
	}
	if p.Title == "" {
		p.Title = "Trace " + t.ID
	}
	render(w, h.pages.trace, "layout.html", http.StatusOK, p)
}

// tree orders observations depth first under their parents (siblings by
// start time) and places each on the trace's timeline. An observation whose
// parent is missing is shown as a root, marked; a cycle cannot loop.
func tree(t store.Trace, obs []store.Observation) []obsRow {
	sorted := append([]store.Observation(nil), obs...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].StartTime.Before(sorted[j].StartTime) })
	byID := make(map[string]bool, len(sorted))
	for _, o := range sorted {
		byID[o.ID] = true
	}
	children := map[string][]int{}
	var roots []int
	for i, o := range sorted {
		if o.ParentObservationID == "" || !byID[o.ParentObservationID] || o.ParentObservationID == o.ID {
			roots = append(roots, i)
		} else {
			children[o.ParentObservationID] = append(children[o.ParentObservationID], i)
		}
	}
	t0, t1 := t.StartTime, t.EndTime
	for _, o := range sorted {
		if t0.IsZero() || (!o.StartTime.IsZero() && o.StartTime.Before(t0)) {
			t0 = o.StartTime
		}
		if o.EndTime.After(t1) {
			t1 = o.EndTime
		}
	}
	span := t1.Sub(t0)
	rows := make([]obsRow, 0, len(sorted))
	visited := make([]bool, len(sorted))
	var walk func(i, depth int)
	walk = func(i, depth int) {
		if visited[i] {
			return
		}
		visited[i] = true
		o := sorted[i]
		row := obsRow{
			Observation: o,
			Depth:       depth,
			Orphan:      o.ParentObservationID != "" && !byID[o.ParentObservationID],
			Latency:     latency(o.StartTime, o.EndTime),
			Tokens:      tokensSummary(o.UsageDetails),
			Cost:        totalCost(o.CostDetails),
			Link:        observationLink(t.ID, o.ID),
		}
		row.BarX, row.BarW = bar(o, t0, span)
		if o.CompletionStartTime != nil && span > 0 && !o.StartTime.IsZero() {
			if d := o.CompletionStartTime.Sub(o.StartTime); d > 0 {
				row.TTFTW = strconv.FormatFloat(min(float64(d)/float64(span)*100, 100), 'f', 2, 64)
			}
		}
		rows = append(rows, row)
		for _, c := range children[o.ID] {
			walk(c, depth+1)
		}
	}
	for _, i := range roots {
		walk(i, 0)
	}
	for i := range sorted { // members of a parent cycle: shown, not lost
		walk(i, 0)
	}
	return rows
}

// bar places [start, end] of o on a timeline from t0 lasting span, in
// percent; a bar is never thinner than 0.4% so an event stays visible.
func bar(o store.Observation, t0 time.Time, span time.Duration) (x, w string) {
	if span <= 0 || o.StartTime.IsZero() {
		return "0", "100"
	}
	end := o.EndTime
	if end.Before(o.StartTime) {
		end = o.StartTime
	}
	fx := float64(o.StartTime.Sub(t0)) / float64(span) * 100
	fw := float64(end.Sub(o.StartTime)) / float64(span) * 100
	fx = min(max(fx, 0), 99.6)
	fw = min(max(fw, 0.4), 100-fx)
	return strconv.FormatFloat(fx, 'f', 2, 64), strconv.FormatFloat(fw, 'f', 2, 64)
}

func totalCost(c map[string]float64) float64 {
	if t, ok := c["total"]; ok {
		return t
	}
	var sum float64
	for _, v := range c {
		sum += v
	}
	return sum
}
