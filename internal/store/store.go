// Package store keeps what the local Litefuse received: observations as
// Litefuse stores them, their traces, scores and media; in memory, bounded
// in bytes (the oldest traces are evicted and counted), optionally kept in
// a directory across restarts. litefusetest, cmd/litefuse and the web UI
// read it.
//
// CONTRACT (agreed between the server and the UI; fill in the bodies, keep
// the names): the UI codes against exactly these types and methods.
package store

import "time"

// Observation is one observation as Litefuse stores it (Langfuse's
// ObservationV2, Go names).
type Observation struct {
	ID                  string
	TraceID             string
	ParentObservationID string // "" for a root
	Type                string // GENERATION, SPAN, EVENT, AGENT, TOOL, CHAIN, RETRIEVER, EVALUATOR, GUARDRAIL, EMBEDDING
	Name                string
	Level               string // DEFAULT, DEBUG, WARNING, ERROR
	StatusMessage       string
	Version             string
	Environment         string // "default" when none was sent
	Release             string
	UserID              string
	SessionID           string
	TraceName           string
	Tags                []string
	StartTime           time.Time
	EndTime             time.Time
	CompletionStartTime *time.Time
	Input               any // decoded JSON, or the string when it is not JSON
	Output              any
	Metadata            map[string]any
	ProvidedModelName   string
	ModelParameters     map[string]any
	UsageDetails        map[string]int64
	CostDetails         map[string]float64
	PromptName          string
	PromptVersion       int
	TraceMetadata       map[string]any // langfuse.trace.metadata.*
}

// Score is one score as received (POST /api/public/scores).
type Score struct {
	ID            string
	TraceID       string
	ObservationID string
	SessionID     string
	Name          string
	DataType      string // NUMERIC, CATEGORICAL, BOOLEAN
	Value         float64
	StringValue   string
	Comment       string
	Environment   string
	Metadata      map[string]any
	CreatedAt     time.Time
}

// Trace is one trace's summary, as the trace list shows it.
type Trace struct {
	ID           string
	Name         string // langfuse.trace.name, else the root observation's name
	UserID       string
	SessionID    string
	Environment  string
	Release      string
	Version      string
	Tags         []string
	Metadata     map[string]any
	Input        any // the trace's own input/output, else the root's
	Output       any
	StartTime    time.Time
	EndTime      time.Time
	Observations int
	Generations  int
	Errors       int // observations at level ERROR
	Usage        map[string]int64
	TotalCost    float64
	Scores       int
}

// TraceFilter selects traces for the list, newest first.
type TraceFilter struct {
	Name, UserID, SessionID, Tag string
	ErrorsOnly                   bool
	Limit                        int // 0: 50
}

// ObservationFilter selects observations for the read API
// (GET /api/public/v2/observations).
type ObservationFilter struct {
	TraceID, Type, Name, UserID, SessionID, Level string
	Limit                                         int    // 0: 50, at most 1000
	Cursor                                        string // from the previous page
}

// Stats are the store's counters, shown in the UI.
type Stats struct {
	Traces, Observations, Scores int
	Bytes, MaxBytes              int64
	EvictedTraces                int64
}

// Store is the bounded store. Safe for concurrent use.
type Store struct{}

// Traces returns trace summaries matching f, newest first.
func (s *Store) Traces(f TraceFilter) []Trace { panic("unimplemented") }

// Trace returns one trace with its observations (by start time) and scores.
func (s *Store) Trace(id string) (Trace, []Observation, []Score, bool) { panic("unimplemented") }

// Observations returns a page of observations and the next page's cursor ("" at the end).
func (s *Store) Observations(f ObservationFilter) ([]Observation, string) { panic("unimplemented") }

// Scores returns every score, oldest first.
func (s *Store) Scores() []Score { panic("unimplemented") }

// Media returns an uploaded media payload by media id.
func (s *Store) Media(id string) (contentType string, data []byte, ok bool) { panic("unimplemented") }

// Stats returns the counters.
func (s *Store) Stats() Stats { panic("unimplemented") }

// Changed returns a channel closed at the next change (a new span, score or
// eviction): the UI's live updates wait on it.
func (s *Store) Changed() <-chan struct{} { panic("unimplemented") }
