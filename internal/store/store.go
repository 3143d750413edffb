// Package store keeps what the local Litefuse received: observations as
// Litefuse stores them, their traces, scores and media; in memory, bounded
// in bytes (the oldest traces are evicted and counted), optionally kept in
// a directory across restarts. litefusetest, cmd/litefuse and the web UI
// read it.
//
// CONTRACT (agreed between the server and the UI; fill in the bodies, keep
// the names): the UI codes against exactly these types and methods.
package store

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

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
	TraceName           string // langfuse.trace.name, else (when read) the trace's root name
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

	// Added by the server (not in the first contract).
	TraceInput, TraceOutput any  // langfuse.trace.input / .output
	AsRoot                  bool // langfuse.internal.as_root: a root despite its parent id
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

	// Added by the server (not in the first contract).
	Environment, Version       string
	FromStartTime, ToStartTime time.Time // start >= From, start < To; zero: unbounded
}

// Stats are the store's counters, shown in the UI.
type Stats struct {
	Traces, Observations, Scores int
	Bytes, MaxBytes              int64
	EvictedTraces                int64

	// Added after the first contract.
	EvictedScores int64  // scores evicted, oldest first, to keep the bound
	WriteError    string // why -data DIR is not being written (new data kept in memory only); "" when fine
}

// MaxTraceName is the longest trace name Litefuse accepts: a longer one
// fails the trace event, so it names no trace.
const MaxTraceName = 1000

// DefaultMaxBytes is the bound when none is given: 256 MiB of stored data.
const DefaultMaxBytes int64 = 256 << 20

// Store is the bounded store. Safe for concurrent use.
type Store struct {
	mu       sync.RWMutex
	skipped  int // damaged records skipped when the log was replayed
	maxBytes int64
	bytes    int64
	evicted  int64
	seq      uint64

	traces  map[string]*traceEntry
	order   []*traceEntry // by first arrival, oldest first (eviction order); order[head:] are live
	head    int
	byStart []*traceEntry // the list's order, newest start first; nil when stale

	all  []*obsEntry // by (start time, seq), oldest first; dead entries compacted lazily
	dead int
	nObs int

	scores        []*scoreEntry // by arrival, oldest first; dead entries compacted lazily
	deadScores    int
	scoreBy       map[string]*scoreEntry
	scoreByTrace  map[string][]*scoreEntry // live scores per trace id, whether or not the trace has arrived yet
	evictedScores int

	media  map[string]*mediaEntry
	mediaQ []string // media ids, oldest first
	mBytes int64

	changed chan struct{}
	log     *logFile // nil when in memory only
}

type traceEntry struct {
	id      string
	seq     uint64
	start   time.Time // the earliest observation's start
	obs     map[string]*obsEntry
	bytes   int64
	summary *Trace // cached; nil when stale
	gone    bool
}

type obsEntry struct {
	seq  uint64
	o    Observation
	t    *traceEntry
	size int64
	dead bool
}

type scoreEntry struct {
	s    Score
	seq  uint64
	size int64
	dead bool
}

type mediaEntry struct {
	contentType string
	data        []byte
}

// New returns an empty in-memory store holding at most maxBytes of data
// (DefaultMaxBytes when maxBytes <= 0).
func New(maxBytes int64) *Store {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	return &Store{
		maxBytes:     maxBytes,
		traces:       map[string]*traceEntry{},
		scoreBy:      map[string]*scoreEntry{},
		scoreByTrace: map[string][]*scoreEntry{},
		media:        map[string]*mediaEntry{},
		changed:      make(chan struct{}),
	}
}

// MaxBytes returns the bound.
func (s *Store) MaxBytes() int64 { return s.maxBytes }

// PutObservations stores observations, replacing any earlier one with the
// same trace and id (a retried export updates, as Litefuse does), then
// evicts the oldest traces while over the bound.
func (s *Store) PutObservations(obs []Observation) {
	if len(obs) == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.putLocked(obs)
	if s.log != nil {
		s.log.appendObservations(s, obs)
	}
	s.signalLocked()
}

func (s *Store) putLocked(obs []Observation) {
	var late []*obsEntry // entries older than s.all's last: merged in once
	insert := func(e *obsEntry) {
		if n := len(s.all); n == 0 || s.all[n-1].before(e.o.StartTime, e.seq) {
			s.all = append(s.all, e)
		} else {
			late = append(late, e)
		}
	}
	for i := range obs {
		o := obs[i]
		if o.Environment == "" {
			o.Environment = "default"
		}
		if o.Level == "" {
			o.Level = "DEFAULT"
		}
		t := s.traces[o.TraceID]
		if t == nil {
			s.seq++
			t = &traceEntry{id: o.TraceID, seq: s.seq, start: o.StartTime, obs: map[string]*obsEntry{}}
			s.traces[o.TraceID] = t
			s.order = append(s.order, t)
			s.byStart = nil
		}
		t.summary = nil
		size := sizeOfObservation(&o)
		if e := t.obs[o.ID]; e != nil {
			s.bytes += size - e.size
			t.bytes += size - e.size
			if e.o.StartTime.Equal(o.StartTime) {
				e.o, e.size = o, size
				continue
			}
			// A retried export moved the start time: re-place it.
			e.dead = true
			s.dead++
			n := &obsEntry{seq: e.seq, o: o, t: t, size: size}
			t.obs[o.ID] = n
			insert(n)
			s.restartLocked(t)
			continue
		}
		s.seq++
		e := &obsEntry{seq: s.seq, o: o, t: t, size: size}
		t.obs[o.ID] = e
		insert(e)
		s.nObs++
		s.bytes += size
		t.bytes += size
		if o.StartTime.Before(t.start) {
			t.start = o.StartTime
			s.byStart = nil
		}
	}
	s.mergeLocked(late)
	s.evictLocked()
}

// before orders observations by start time, then arrival.
func (e *obsEntry) before(start time.Time, seq uint64) bool {
	if !e.o.StartTime.Equal(start) {
		return e.o.StartTime.Before(start)
	}
	return e.seq < seq
}

// mergeLocked places late (entries older than s.all's last) in s.all by
// (start time, seq): one sort of the batch and one merge, not a copy of
// s.all's tail per entry.
func (s *Store) mergeLocked(late []*obsEntry) {
	if len(late) == 0 {
		return
	}
	sort.Slice(late, func(i, j int) bool { return late[i].before(late[j].o.StartTime, late[j].seq) })
	// The entries of s.all not after late's first stay where they are.
	i := sort.Search(len(s.all), func(i int) bool { return !s.all[i].before(late[0].o.StartTime, late[0].seq) })
	tail := append([]*obsEntry(nil), s.all[i:]...)
	out := s.all[:i]
	for len(tail) > 0 && len(late) > 0 {
		if tail[0].before(late[0].o.StartTime, late[0].seq) {
			out, tail = append(out, tail[0]), tail[1:]
		} else {
			out, late = append(out, late[0]), late[1:]
		}
	}
	out = append(out, tail...)
	s.all = append(out, late...)
}

// restartLocked recomputes a trace's start time.
func (s *Store) restartLocked(t *traceEntry) {
	first := true
	for _, e := range t.obs {
		if first || e.o.StartTime.Before(t.start) {
			t.start, first = e.o.StartTime, false
		}
	}
	s.byStart = nil
}

// evictLocked drops the oldest traces, whole, and the oldest scores, by
// arrival, while over the bound.
func (s *Store) evictLocked() {
	for s.bytes+s.mBytes > s.maxBytes {
		var t *traceEntry
		if s.head < len(s.order) {
			t = s.order[s.head]
		}
		sc := s.oldestScoreLocked()
		switch {
		case sc != nil && (t == nil || sc.seq < t.seq):
			s.dropScoreLocked(sc)
			s.evictedScores++
			continue
		case t == nil:
		default:
			s.order[s.head] = nil
			s.head++
			s.dropTraceLocked(t)
			s.evicted++
			continue
		}
		break
	}
	if s.head > 1024 && s.head > len(s.order)/2 {
		s.order = append([]*traceEntry(nil), s.order[s.head:]...)
		s.head = 0
	}
	if s.dead > 1024 && s.dead > len(s.all)/2 {
		s.all, s.dead = live(s.all, s.dead, func(e *obsEntry) bool { return e.dead }), 0
	}
	s.compactScoresLocked()
}

func (s *Store) dropTraceLocked(t *traceEntry) {
	t.gone = true
	delete(s.traces, t.id)
	s.byStart = nil
	for _, e := range t.obs {
		e.dead = true
		s.dead++
		s.nObs--
	}
	s.bytes -= t.bytes
	for _, sc := range slices.Clone(s.scoreByTrace[t.id]) {
		s.dropScoreLocked(sc)
	}
}

// PutMedia stores an uploaded media payload under its media id. Media is
// bounded separately, to a quarter of the store's bound; the oldest payloads
// go first.
func (s *Store) PutMedia(id, contentType string, data []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.putMediaLocked(id, contentType, data)
	if s.log != nil {
		s.log.appendMedia(s, id, contentType, data)
	}
	s.signalLocked()
}

func (s *Store) putMediaLocked(id, contentType string, data []byte) {
	if old := s.media[id]; old != nil {
		s.mBytes -= int64(len(old.data))
	} else {
		s.mediaQ = append(s.mediaQ, id)
	}
	s.media[id] = &mediaEntry{contentType, data}
	s.mBytes += int64(len(data))
	for s.mBytes > s.maxBytes/4 && len(s.mediaQ) > 0 {
		old := s.mediaQ[0]
		s.mediaQ = s.mediaQ[1:]
		if m := s.media[old]; m != nil {
			s.mBytes -= int64(len(m.data))
			delete(s.media, old)
		}
	}
}

func (s *Store) signalLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// Traces returns trace summaries matching f, newest first: by start
// time, then by arrival.
func (s *Store) Traces(f TraceFilter) []Trace {
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	s.mu.Lock() // summaries and the order are cached under the lock
	defer s.mu.Unlock()
	var out []Trace
	for _, t := range s.byStartLocked() {
		if len(out) >= limit {
			break
		}
		sum := s.summaryLocked(t)
		if f.Name != "" && !strings.Contains(strings.ToLower(sum.Name), strings.ToLower(f.Name)) ||
			f.UserID != "" && sum.UserID != f.UserID ||
			f.SessionID != "" && sum.SessionID != f.SessionID ||
			f.Tag != "" && !contains(sum.Tags, f.Tag) ||
			f.ErrorsOnly && sum.Errors == 0 {
			continue
		}
		out = append(out, *sum)
	}
	return out
}

// byStartLocked returns the live traces, newest start first (equal starts:
// newest arrival first), sorted again only after a change.
func (s *Store) byStartLocked() []*traceEntry {
	if s.byStart != nil {
		return s.byStart
	}
	list := make([]*traceEntry, 0, len(s.order)-s.head)
	for i := len(s.order) - 1; i >= s.head; i-- {
		list = append(list, s.order[i])
	}
	sort.SliceStable(list, func(i, j int) bool { return list[i].start.After(list[j].start) })
	s.byStart = list
	return list
}

func contains(list []string, v string) bool {
	for _, e := range list {
		if e == v {
			return true
		}
	}
	return false
}

// Trace returns one trace with its observations (by start time) and scores.
func (s *Store) Trace(id string) (Trace, []Observation, []Score, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.traces[id]
	if t == nil {
		return Trace{}, nil, nil, false
	}
	sum := *s.summaryLocked(t)
	obs := sortedObs(t)
	out := make([]Observation, len(obs))
	for i, e := range obs {
		out[i] = s.withTraceName(e)
	}
	var scores []Score
	for _, sc := range s.scoreByTrace[id] {
		scores = append(scores, sc.s)
	}
	return sum, out, scores, true
}

// withTraceName returns the observation with its trace's attributes, as
// Litefuse reads them: the trace's name when the observation carries none
// (the root's name, as Litefuse names a trace), and the trace's user,
// session, tags and release, whichever span brought them and whenever.
func (s *Store) withTraceName(e *obsEntry) Observation {
	o := e.o
	sum := s.summaryLocked(e.t)
	if o.TraceName == "" {
		o.TraceName = sum.Name
	}
	if sum.UserID != "" {
		o.UserID = sum.UserID
	}
	if sum.SessionID != "" {
		o.SessionID = sum.SessionID
	}
	if sum.Release != "" {
		o.Release = sum.Release
	}
	if len(sum.Tags) > 0 {
		o.Tags = sum.Tags
	}
	return o
}

// arrivalObs returns t's observations in arrival order.
func arrivalObs(t *traceEntry) []*obsEntry {
	obs := make([]*obsEntry, 0, len(t.obs))
	for _, e := range t.obs {
		obs = append(obs, e)
	}
	sort.Slice(obs, func(i, j int) bool { return obs[i].seq < obs[j].seq })
	return obs
}

func sortedObs(t *traceEntry) []*obsEntry {
	obs := make([]*obsEntry, 0, len(t.obs))
	for _, e := range t.obs {
		obs = append(obs, e)
	}
	sort.Slice(obs, func(i, j int) bool {
		a, b := obs[i], obs[j]
		if !a.o.StartTime.Equal(b.o.StartTime) {
			return a.o.StartTime.Before(b.o.StartTime)
		}
		return a.seq < b.seq
	})
	return obs
}

// summaryLocked computes (and caches) a trace's summary. Trace-level values
// come from the latest observation that carries them.
func (s *Store) summaryLocked(t *traceEntry) *Trace {
	if t.summary != nil {
		return t.summary
	}
	sum := &Trace{ID: t.id, Observations: len(t.obs), Scores: len(s.scoreByTrace[t.id])}
	var root *obsEntry
	tags := map[string]bool{}
	// In arrival order, so the latest observation carrying a trace
	// attribute gives it (not whichever map iteration visits last).
	for _, e := range arrivalObs(t) {
		o := &e.o
		if o.ParentObservationID == "" || o.AsRoot {
			if root == nil || o.StartTime.Before(root.o.StartTime) {
				root = e
			}
		}
		if sum.StartTime.IsZero() || o.StartTime.Before(sum.StartTime) {
			sum.StartTime = o.StartTime
		}
		if o.EndTime.After(sum.EndTime) {
			sum.EndTime = o.EndTime
		}
		if o.Type == "GENERATION" {
			sum.Generations++
		}
		if o.Level == "ERROR" {
			sum.Errors++
		}
		for k, v := range o.UsageDetails {
			if sum.Usage == nil {
				sum.Usage = map[string]int64{}
			}
			sum.Usage[k] += v
		}
		sum.TotalCost += totalCost(o.CostDetails)
		for _, tag := range o.Tags {
			tags[tag] = true
		}
		set := func(dst *string, v string) {
			if v != "" {
				*dst = v
			}
		}
		set(&sum.Name, o.TraceName)
		set(&sum.UserID, o.UserID)
		set(&sum.SessionID, o.SessionID)
		set(&sum.Release, o.Release)
		set(&sum.Version, o.Version)
		if o.Environment != "default" {
			set(&sum.Environment, o.Environment)
		}
		for k, v := range o.TraceMetadata {
			if sum.Metadata == nil {
				sum.Metadata = map[string]any{}
			}
			sum.Metadata[k] = v
		}
		if o.TraceInput != nil {
			sum.Input = o.TraceInput
		}
		if o.TraceOutput != nil {
			sum.Output = o.TraceOutput
		}
	}
	if sum.Environment == "" {
		sum.Environment = "default"
	}
	if root != nil {
		if sum.Name == "" && len(root.o.Name) <= MaxTraceName {
			sum.Name = root.o.Name
		}
		if sum.Input == nil {
			sum.Input = root.o.Input
		}
		if sum.Output == nil {
			sum.Output = root.o.Output
		}
	}
	for tag := range tags {
		sum.Tags = append(sum.Tags, tag)
	}
	sort.Strings(sum.Tags)
	t.summary = sum
	return sum
}

func totalCost(c map[string]float64) float64 {
	if v, ok := c["total"]; ok {
		return v
	}
	var sum float64
	for _, v := range c {
		sum += v
	}
	return sum
}

// Observations returns a page of observations and the next page's cursor
// ("" at the end). Pages run newest first: by start time, then by arrival.
// A cursor that ValidCursor refuses starts at the first page.
func (s *Store) Observations(f ObservationFilter) ([]Observation, string) {
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, 1000)
	cur, hasCursor := parseCursor(f.Cursor)
	s.mu.Lock()
	defer s.mu.Unlock()
	match := func(e *obsEntry) bool {
		o := &e.o
		if e.dead || hasCursor && !e.before(cur.start, cur.seq) ||
			f.TraceID != "" && o.TraceID != f.TraceID ||
			f.Type != "" && !strings.EqualFold(o.Type, f.Type) ||
			f.Name != "" && o.Name != f.Name ||
			f.Level != "" && !strings.EqualFold(o.Level, f.Level) ||
			f.Environment != "" && o.Environment != f.Environment ||
			f.Version != "" && o.Version != f.Version ||
			!f.FromStartTime.IsZero() && o.StartTime.Before(f.FromStartTime) ||
			!f.ToStartTime.IsZero() && !o.StartTime.Before(f.ToStartTime) {
			return false
		}
		if f.UserID != "" || f.SessionID != "" {
			sum := s.summaryLocked(e.t)
			if f.UserID != "" && sum.UserID != f.UserID || f.SessionID != "" && sum.SessionID != f.SessionID {
				return false
			}
		}
		return true
	}
	var out []Observation
	var last *obsEntry
	more := false
	visit := func(e *obsEntry) bool { // false: stop
		if !match(e) {
			return true
		}
		if len(out) == limit {
			more = true
			return false
		}
		out = append(out, s.withTraceName(e))
		last = e
		return true
	}
	if f.TraceID != "" {
		if t := s.traces[f.TraceID]; t != nil {
			for _, e := range slices.Backward(sortedObs(t)) {
				if !visit(e) {
					break
				}
			}
		}
	} else {
		// s.all is sorted by (start, seq): start below the cursor.
		i := len(s.all) - 1
		if hasCursor {
			i = sort.Search(len(s.all), func(i int) bool { return !s.all[i].before(cur.start, cur.seq) }) - 1
		}
		for ; i >= 0; i-- {
			if !visit(s.all[i]) {
				break
			}
		}
	}
	if !more {
		return out, ""
	}
	return out, formatCursor(last)
}

type cursor struct {
	start time.Time
	seq   uint64
}

// cursorKey signs the cursors this process gives, so a cursor it did not
// give (a well-formed forgery included) is refused.
var cursorKey = func() []byte {
	k := make([]byte, 32)
	_, _ = rand.Read(k)
	return k
}()

func cursorMAC(pos string) string {
	m := hmac.New(sha256.New, cursorKey)
	m.Write([]byte(pos))
	return hex.EncodeToString(m.Sum(nil)[:12])
}

// formatCursor names the position after e: its start time and arrival,
// signed.
func formatCursor(e *obsEntry) string {
	st := e.o.StartTime
	pos := strconv.FormatInt(st.Unix(), 36) + "." + strconv.FormatInt(int64(st.Nanosecond()), 36) + "." +
		strconv.FormatUint(e.seq, 36)
	return pos + "." + cursorMAC(pos)
}

func parseCursor(c string) (cursor, bool) {
	parts := strings.Split(c, ".")
	if len(parts) != 4 || !hmac.Equal([]byte(parts[3]), []byte(cursorMAC(strings.Join(parts[:3], ".")))) {
		return cursor{}, false
	}
	sec, err1 := strconv.ParseInt(parts[0], 36, 64)
	nsec, err2 := strconv.ParseInt(parts[1], 36, 64)
	seq, err3 := strconv.ParseUint(parts[2], 36, 64)
	if err1 != nil || err2 != nil || err3 != nil || nsec < 0 || nsec >= 1e9 {
		return cursor{}, false
	}
	return cursor{time.Unix(sec, nsec).UTC(), seq}, true
}

// ValidCursor reports whether c is a cursor Observations returned (the
// read API answers 400 to any other).
func ValidCursor(c string) bool {
	_, ok := parseCursor(c)
	return ok
}

// Media returns an uploaded media payload by media id.
func (s *Store) Media(id string) (contentType string, data []byte, ok bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	m := s.media[id]
	if m == nil {
		return "", nil, false
	}
	return m.contentType, m.data, true
}

// Stats returns the counters.
func (s *Store) Stats() Stats {
	s.mu.RLock()
	defer s.mu.RUnlock()
	st := Stats{
		Traces: len(s.traces), Observations: s.nObs, Scores: len(s.scores) - s.deadScores,
		Bytes: s.bytes + s.mBytes, MaxBytes: s.maxBytes, EvictedTraces: s.evicted,
		EvictedScores: int64(s.evictedScores),
	}
	if s.log != nil && s.log.err != nil {
		st.WriteError = s.log.err.Error()
	}
	return st
}

// Changed returns a channel closed at the next change (a new span, score or
// eviction): the UI's live updates wait on it.
func (s *Store) Changed() <-chan struct{} {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.changed
}

// live returns the entries of all that are not dead, in order, in a new
// slice sized for them (dead of them are).
func live[E any](all []E, dead int, isDead func(E) bool) []E {
	out := make([]E, 0, len(all)-dead)
	for _, e := range all {
		if !isDead(e) {
			out = append(out, e)
		}
	}
	return out
}
