package viewer

import (
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/litefuse/litefuse-go/internal/store"
)

// fakeStore stands in for the store: the handlers' tests depend on what the
// UI shows, not on the store's bound or persistence.
type fakeStore struct {
	mu      sync.Mutex
	traces  []store.Trace // newest first
	obs     map[string][]store.Observation
	scores  map[string][]store.Score
	media   map[string]mediaBlob
	stats   store.Stats
	changed chan struct{}
	filters []store.TraceFilter // every filter the list asked for
}

type mediaBlob struct {
	ctype string
	data  []byte
}

func newFakeStore() *fakeStore {
	return &fakeStore{
		obs:     map[string][]store.Observation{},
		scores:  map[string][]store.Score{},
		media:   map[string]mediaBlob{},
		changed: make(chan struct{}),
	}
}

// add stores a trace with its observations and scores, and signals a change.
func (f *fakeStore) add(t store.Trace, obs []store.Observation, scores ...store.Score) {
	f.mu.Lock()
	f.traces = append([]store.Trace{t}, f.traces...)
	f.obs[t.ID] = obs
	f.scores[t.ID] = scores
	f.stats.Traces++
	f.stats.Observations += len(obs)
	f.stats.Scores += len(scores)
	f.stats.Bytes += 1000
	close(f.changed)
	f.changed = make(chan struct{})
	f.mu.Unlock()
}

func (f *fakeStore) Traces(flt store.TraceFilter) []store.Trace {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.filters = append(f.filters, flt)
	var out []store.Trace
	for _, t := range f.traces {
		if flt.Name != "" && !strings.Contains(t.Name, flt.Name) ||
			flt.UserID != "" && t.UserID != flt.UserID ||
			flt.SessionID != "" && t.SessionID != flt.SessionID ||
			flt.Tag != "" && !slices.Contains(t.Tags, flt.Tag) ||
			flt.ErrorsOnly && t.Errors == 0 {
			continue
		}
		out = append(out, t)
		if len(out) == flt.Limit {
			break
		}
	}
	return out
}

func (f *fakeStore) Trace(id string) (store.Trace, []store.Observation, []store.Score, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, t := range f.traces {
		if t.ID == id {
			return t, f.obs[id], f.scores[id], true
		}
	}
	return store.Trace{}, nil, nil, false
}

func (f *fakeStore) Stats() store.Stats {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.stats
}

func (f *fakeStore) Changed() <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.changed
}

func (f *fakeStore) Media(id string) (string, []byte, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	m, ok := f.media[id]
	return m.ctype, m.data, ok
}

var t0 = time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)

// chatTrace is a trace like the quickstart's: a root span, a generation
// with tools, reasoning and a streamed answer, a tool span and an event.
func chatTrace() (store.Trace, []store.Observation, []store.Score) {
	first := t0.Add(180 * time.Millisecond)
	tr := store.Trace{
		ID: "4bf92f3577b34da6a3ce929d0e0e4736", Name: "weather-agent", UserID: "user-42", SessionID: "sess-7",
		Environment: "staging", Release: "v1.2.3", Version: "build-9", Tags: []string{"prod", "beta"},
		Metadata:  map[string]any{"region": "eu"},
		StartTime: t0, EndTime: t0.Add(1240 * time.Millisecond), Observations: 4, Generations: 1,
		Usage:     map[string]int64{"input": 100, "input_cached_tokens": 20, "output": 30, "output_reasoning_tokens": 12, "total": 162},
		TotalCost: 0.00042, Scores: 1,
	}
	obs := []store.Observation{
		{ID: "aaaaaaaaaaaaaaa1", TraceID: tr.ID, Type: "AGENT", Name: "plan trip", StartTime: t0, EndTime: t0.Add(1240 * time.Millisecond), Level: "DEFAULT"},
		{
			ID: "aaaaaaaaaaaaaaa2", TraceID: tr.ID, ParentObservationID: "aaaaaaaaaaaaaaa1", Type: "GENERATION", Name: "chat",
			StartTime: t0.Add(10 * time.Millisecond), EndTime: t0.Add(900 * time.Millisecond), CompletionStartTime: &first,
			ProvidedModelName: "doubao-seed-1-6-250615", ModelParameters: map[string]any{"temperature": 0.2, "max_tokens": float64(512)},
			Input: map[string]any{
				"messages": []any{
					map[string]any{"role": "system", "content": "You are a travel agent."},
					map[string]any{"role": "user", "content": "Weather in Paris?"},
					map[string]any{"role": "assistant", "tool_calls": []any{map[string]any{"id": "call_1", "type": "function", "function": map[string]any{"name": "get_weather", "arguments": `{"city":"Paris"}`}}}},
					map[string]any{"role": "tool", "tool_call_id": "call_1", "content": "18°C, sunny"},
				},
				"tools": []any{map[string]any{"type": "function", "function": map[string]any{"name": "get_weather", "description": "Weather by city", "parameters": map[string]any{"type": "object"}}}},
			},
			Output:       map[string]any{"role": "assistant", "content": "It is 18°C and sunny in Paris.", "reasoning_content": "The tool said 18°C."},
			UsageDetails: map[string]int64{"input": 100, "input_cached_tokens": 20, "output": 30, "output_reasoning_tokens": 12, "total": 162},
			CostDetails:  map[string]float64{"input": 0.0001, "output": 0.00032, "total": 0.00042},
			PromptName:   "travel", PromptVersion: 3, Level: "WARNING", StatusMessage: "finish_reason=length",
			Metadata: map[string]any{"team": "search", "attributes": map[string]any{"gen_ai.system": "ark"}, "scope": map[string]any{"name": "langfuse-sdk-go"}},
		},
		{ID: "aaaaaaaaaaaaaaa3", TraceID: tr.ID, ParentObservationID: "aaaaaaaaaaaaaaa1", Type: "TOOL", Name: "get_weather", StartTime: t0.Add(950 * time.Millisecond), EndTime: t0.Add(1200 * time.Millisecond), Input: map[string]any{"city": "Paris"}, Output: "18°C, sunny"},
		{ID: "aaaaaaaaaaaaaaa4", TraceID: tr.ID, ParentObservationID: "aaaaaaaaaaaaaaa3", Type: "EVENT", Name: "cache miss", StartTime: t0.Add(960 * time.Millisecond), EndTime: t0.Add(960 * time.Millisecond)},
	}
	scores := []store.Score{{ID: "s1", TraceID: tr.ID, ObservationID: "aaaaaaaaaaaaaaa2", Name: "helpfulness", DataType: "NUMERIC", Value: 0.9, Comment: "good", CreatedAt: t0.Add(2 * time.Second)}}
	return tr, obs, scores
}
