package store

// Scores: stored under their id (a retry updates), listed per trace, and
// evicted with their trace or, oldest first, to keep the store's bound.

// PutScore stores a score, replacing one with the same id.
func (s *Store) PutScore(sc Score) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.putScoreLocked(sc)
	if s.log != nil {
		s.log.appendScore(s, sc)
	}
	s.signalLocked()
}

func sizeOfScore(sc *Score) int64 {
	return int64(200 + len(sc.ID) + len(sc.TraceID) + len(sc.ObservationID) + len(sc.SessionID) +
		len(sc.Name) + len(sc.DataType) + len(sc.StringValue) + len(sc.Comment) + len(sc.Environment) +
		sizeOfMap(sc.Metadata))
}

func (s *Store) putScoreLocked(sc Score) {
	size := sizeOfScore(&sc)
	if old := s.scoreBy[sc.ID]; old != nil && sc.ID != "" && old.s.TraceID == sc.TraceID {
		s.bytes += size - old.size
		old.s, old.size = sc, size
	} else {
		if old != nil && sc.ID != "" {
			s.dropScoreLocked(old) // the retry names another trace
		}
		s.seq++
		e := &scoreEntry{s: sc, seq: s.seq, size: size}
		if sc.ID != "" {
			s.scoreBy[sc.ID] = e
		}
		s.scores = append(s.scores, e)
		s.bytes += size
		if sc.TraceID != "" {
			s.scoreByTrace[sc.TraceID] = append(s.scoreByTrace[sc.TraceID], e)
		}
	}
	if t := s.traces[sc.TraceID]; t != nil {
		t.summary = nil
	}
	s.evictLocked()
}

// dropScoreLocked removes a live score.
func (s *Store) dropScoreLocked(e *scoreEntry) {
	if e.dead {
		return
	}
	e.dead = true
	s.deadScores++
	s.bytes -= e.size
	if s.scoreBy[e.s.ID] == e {
		delete(s.scoreBy, e.s.ID)
	}
	if id := e.s.TraceID; id != "" {
		list := s.scoreByTrace[id]
		for i, x := range list {
			if x == e {
				list = append(list[:i], list[i+1:]...)
				break
			}
		}
		if len(list) == 0 {
			delete(s.scoreByTrace, id)
		} else {
			s.scoreByTrace[id] = list
		}
		if t := s.traces[id]; t != nil {
			t.summary = nil
		}
	}
}

// oldestScoreLocked returns the oldest live score, or nil.
func (s *Store) oldestScoreLocked() *scoreEntry {
	for i, e := range s.scores {
		if !e.dead {
			if i > 0 { // dead entries ahead of it go now
				s.scores = s.scores[i:]
				s.deadScores -= i
			}
			return e
		}
	}
	s.scores, s.deadScores = s.scores[:0], 0
	return nil
}

func (s *Store) compactScoresLocked() {
	if s.deadScores > 64 && s.deadScores > len(s.scores)/2 {
		s.scores, s.deadScores = live(s.scores, s.deadScores, func(e *scoreEntry) bool { return e.dead }), 0
	}
}

// Scores returns every score, oldest first.
func (s *Store) Scores() []Score {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]Score, 0, len(s.scores)-s.deadScores)
	for _, e := range s.scores {
		if !e.dead {
			out = append(out, e.s)
		}
	}
	return out
}
