package litefusetest

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"sync"
	"time"

	"github.com/litefuse/litefuse-go"
	"github.com/litefuse/litefuse-go/internal/lfserver"
	"github.com/litefuse/litefuse-go/internal/store"
)

// Observation is one observation as Litefuse stores it: Langfuse's
// ObservationV2 with Go names (ID, TraceID, ParentObservationID, Type,
// Name, Level, StatusMessage, Environment, UserID, SessionID, Tags,
// TraceName, StartTime, EndTime, CompletionStartTime, Input, Output,
// Metadata, ProvidedModelName, ModelParameters, UsageDetails, CostDetails,
// PromptName, PromptVersion). Input and Output hold decoded JSON.
type Observation = store.Observation

// Score is one score as the server received it.
type Score = store.Score

// Trace is one trace's summary.
type Trace = store.Trace

// Prompt is a prompt version the server serves (AddPrompt).
type Prompt = lfserver.Prompt

// PromptMessage is one message of a chat prompt, or a placeholder
// (Type "placeholder" with Name).
type PromptMessage = lfserver.PromptMessage

// Keys the test server accepts (any pair is accepted; these are what
// Options sends).
const (
	PublicKey = "pk-lf-litefusetest"
	SecretKey = "sk-lf-litefusetest"
)

// Server is a local Litefuse listening on 127.0.0.1 for tests.
type Server struct {
	// URL is the base URL, http://127.0.0.1:port (LANGFUSE_BASE_URL).
	URL string

	srv       *httptest.Server
	lf        *lfserver.Server
	closed    chan struct{} // closed by Close: WaitObservations returns
	closeOnce sync.Once
}

// NewServer starts a local Litefuse on a free 127.0.0.1 port, with an
// in-memory store. Close it when done.
func NewServer() *Server {
	lf := lfserver.New(store.New(0))
	srv := httptest.NewServer(lf)
	return &Server{URL: srv.URL, srv: srv, lf: lf, closed: make(chan struct{})}
}

// Close stops the server, waiting for requests in flight.
func (s *Server) Close() {
	s.closeOnce.Do(func() { close(s.closed) })
	s.srv.Close()
}

// Handler returns the server's http.Handler.
func (s *Server) Handler() http.Handler { return s.lf }

// Options point a litefuse client, tracer provider or litefuse.Init at this
// server: its base URL and a key pair.
func (s *Server) Options() []litefuse.Option {
	return []litefuse.Option{
		litefuse.WithBaseURL(s.URL),
		litefuse.WithCredentials(PublicKey, SecretKey),
	}
}

// Observations returns every observation received, by start time. The
// result is the caller's own (a deep copy).
func (s *Server) Observations() []Observation {
	var out []Observation
	cursor := ""
	for {
		page, next := s.lf.Store.Observations(store.ObservationFilter{Limit: 1000, Cursor: cursor})
		for _, o := range page {
			out = append(out, copyObservation(o))
		}
		if next == "" {
			break
		}
		cursor = next
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].StartTime.Before(out[j].StartTime) })
	return out
}

// WaitObservations waits until at least n observations were received and
// returns them (by start time), or returns what arrived with an error when
// ctx ends or the server is closed first.
func (s *Server) WaitObservations(ctx context.Context, n int) ([]Observation, error) {
	for {
		changed := s.lf.Store.Changed()
		if obs := s.Observations(); len(obs) >= n {
			return obs, nil
		}
		select {
		case <-changed:
		case <-time.After(50 * time.Millisecond):
		case <-ctx.Done():
			obs := s.Observations()
			return obs, fmt.Errorf("litefusetest: %d observations received, waited for %d: %w", len(obs), n, ctx.Err())
		case <-s.closed:
			obs := s.Observations()
			if len(obs) >= n {
				return obs, nil
			}
			return obs, fmt.Errorf("litefusetest: %d observations received, waited for %d: the server was closed", len(obs), n)
		}
	}
}

// Traces returns the trace summaries, newest first (by start time). The
// result is the caller's own (a deep copy).
func (s *Server) Traces() []Trace {
	list := s.lf.Store.Traces(store.TraceFilter{Limit: 1 << 30})
	for i := range list {
		list[i] = copyTrace(list[i])
	}
	return list
}

// Scores returns the scores received, oldest first (a retry with the same
// id updates). The result is the caller's own (a deep copy).
func (s *Server) Scores() []Score {
	list := s.lf.Store.Scores()
	for i := range list {
		list[i] = copyScore(list[i])
	}
	return list
}

// AddPrompt stores a prompt version the library can fetch; a label moves
// to it from older versions, and Version 0 takes the next number. Give it
// the label "production" to make it the default.
func (s *Server) AddPrompt(p Prompt) { s.lf.AddPrompt(p) }

// Media returns an uploaded media payload by media id (a copy).
func (s *Server) Media(id string) (contentType string, data []byte, ok bool) {
	contentType, data, ok = s.lf.Store.Media(id)
	return contentType, cloneSlice(data), ok
}
