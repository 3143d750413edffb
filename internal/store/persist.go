package store

// Persistence for -data DIR: every change is appended to one JSON-lines log,
// replayed at Open (a truncated or damaged last record is dropped) and
// rewritten from what is held when it grows past twice the bound. The
// rewrite goes to a temporary file renamed over the log, so a failed
// rewrite (a full disk) leaves the old log as it was. After the first write
// error the store keeps new data in memory only, and says so once
// (OnWriteError, Err, Stats.WriteError).

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// LogName is the file Open keeps in its directory.
const LogName = "litefuse-store.jsonl"

type record struct {
	Obs   []Observation `json:"o,omitempty"`
	Score *Score        `json:"s,omitempty"`
	Media *mediaRecord  `json:"m,omitempty"`
}

type mediaRecord struct {
	ID          string `json:"id"`
	ContentType string `json:"ct"`
	Data        []byte `json:"data"`
}

type logFile struct {
	path string
	f    *os.File
	size int64
	base int64 // the least size to rewrite past: twice the store's bound
	max  int64 // rewrite past this size: base, or twice the size after the last rewrite
	err  error // the first write error; the store goes on in memory
	on   func(error)
}

// fail records the first write error and reports it, once.
func (l *logFile) fail(err error) {
	if l.err != nil {
		return
	}
	if l.f != nil {
		l.f.Close()
		l.f = nil
	}
	l.err = fmt.Errorf("litefuse store: writing %s failed (%w); new data is kept in memory only until restart", l.path, err)
	if l.on != nil {
		l.on(l.err)
	}
}

// Open returns a store bounded to maxBytes (DefaultMaxBytes when <= 0) that
// keeps its data in dir (created when missing), with what an earlier store
// kept there already loaded.
func Open(dir string, maxBytes int64) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("litefuse store: %w", err)
	}
	s := New(maxBytes)
	path := filepath.Join(dir, LogName)
	f, err := os.Open(path)
	switch {
	case err == nil:
		err = s.replay(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("litefuse store: reading %s: %w", path, err)
		}
	case !errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("litefuse store: %w", err)
	}
	s.log = &logFile{path: path, base: 2*s.maxBytes + 1<<20}
	s.log.max = s.log.base
	if err := s.log.rewrite(s); err != nil {
		// The old log is untouched (the rewrite goes through a temporary
		// file): serve what it holds, and say why nothing new is written.
		s.log.fail(fmt.Errorf("rewriting it at start: %w; the log is kept as it was", err))
	}
	return s, nil
}

// replay loads every record to the end. A line that does not decode (a
// damaged record) is skipped and counted in Skipped, so one bad line never
// takes the records after it; a last line without its newline (a write cut
// short by a crash) is dropped.
func (s *Store) replay(f io.Reader) error {
	r := bufio.NewReaderSize(f, 1<<20)
	for {
		line, err := r.ReadBytes('\n')
		if len(line) > 0 && line[len(line)-1] == '\n' {
			var rec record
			if json.Unmarshal(line, &rec) != nil {
				s.skipped++
				continue
			}
			switch {
			case rec.Obs != nil:
				s.putLocked(rec.Obs)
			case rec.Score != nil:
				s.putScoreLocked(*rec.Score)
			case rec.Media != nil:
				s.putMediaLocked(rec.Media.ID, rec.Media.ContentType, rec.Media.Data)
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// rewrite replaces the log with the store's current content.
func (l *logFile) rewrite(s *Store) error {
	if l.f != nil {
		l.f.Close()
		l.f = nil
	}
	tmp := l.path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false) // '<' is one byte, not six
	// Each trace's observations in arrival order (replay numbers them
	// again in the order written, and the latest arrival gives a trace
	// attribute), the traces in arrival order (eviction's), then scores.
	for i := s.head; i < len(s.order) && err == nil; i++ {
		obs := arrivalObs(s.order[i])
		batch := make([]Observation, len(obs))
		for j, e := range obs {
			batch[j] = e.o
		}
		err = enc.Encode(record{Obs: batch})
	}
	for _, sc := range s.scores {
		if err == nil && !sc.dead {
			err = enc.Encode(record{Score: &sc.s})
		}
	}
	for _, id := range s.mediaQ {
		if m := s.media[id]; m != nil && err == nil {
			err = enc.Encode(record{Media: &mediaRecord{id, m.contentType, m.data}})
		}
	}
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, l.path)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	if l.f, err = os.OpenFile(l.path, os.O_APPEND|os.O_WRONLY, 0o600); err != nil {
		return err
	}
	st, err := l.f.Stat()
	if err == nil {
		l.size = st.Size()
		// The store's size is an estimate: content JSON spells longer
		// (control characters, binary media in base64) makes the log
		// larger than it. Rewriting again only once the log doubled keeps
		// the rewrites' cost proportional to what is appended.
		l.max = max(l.base, 2*l.size)
	}
	return err
}

func (l *logFile) append(s *Store, rec record) {
	if l.err != nil || l.f == nil {
		return
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(rec); err != nil {
		return // a value JSON cannot hold: kept in memory only
	}
	b := buf.Bytes() // ends in a newline
	n, err := l.f.Write(b)
	l.size += int64(n)
	if err != nil {
		l.fail(err)
		return
	}
	if l.size > l.max {
		if err := l.rewrite(s); err != nil {
			l.fail(fmt.Errorf("compacting it: %w; the log is kept as it was", err))
		}
	}
}

func (l *logFile) appendObservations(s *Store, obs []Observation) { l.append(s, record{Obs: obs}) }
func (l *logFile) appendScore(s *Store, sc Score)                 { l.append(s, record{Score: &sc}) }
func (l *logFile) appendMedia(s *Store, id, ct string, data []byte) {
	l.append(s, record{Media: &mediaRecord{id, ct, data}})
}

// Err returns the first error writing the store's directory, if any (the
// store then goes on in memory only).
func (s *Store) Err() error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.log == nil {
		return nil
	}
	return s.log.err
}

// OnWriteError sets f to be called once, with the store's lock held, when
// writing the store's directory first fails (a full disk): the command logs
// it. When that happened already (at Open), f is called now.
func (s *Store) OnWriteError(f func(error)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.log == nil {
		return
	}
	s.log.on = f
	if s.log.err != nil && f != nil {
		f(s.log.err)
	}
}

// Close closes the store's file, if it has one. The store still answers reads.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.log == nil || s.log.f == nil {
		return nil
	}
	err := s.log.f.Close()
	s.log.f = nil
	return err
}

// Skipped is the number of damaged records the last Open skipped.
func (s *Store) Skipped() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.skipped
}
