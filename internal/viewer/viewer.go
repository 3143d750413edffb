// Package viewer is the local Litefuse's web UI: the trace list (live), a
// trace as a tree and a timeline, and an observation (a generation as a
// chat), rendered on the server with html/template over the store. Assets
// are embedded; the pages load nothing from the network and run no inline
// script.
package viewer

import (
	"embed"
	"net/http"
	"sync"

	"github.com/litefuse/litefuse-go/internal/store"
)

// Store is what the UI reads; *store.Store implements it.
type Store interface {
	Traces(f store.TraceFilter) []store.Trace
	Trace(id string) (store.Trace, []store.Observation, []store.Score, bool)
	Stats() store.Stats
	Changed() <-chan struct{}
	Media(id string) (contentType string, data []byte, ok bool)
}

//go:embed assets templates
var files embed.FS

// csp allows only the UI's own files: no inline script or style, no other
// origin, no plugins, no framing.
const csp = "default-src 'self'; img-src 'self'; media-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// Handler serves the UI. Mount it at "/"; it answers GET only.
type Handler struct {
	store Store
	mux   *http.ServeMux
	pages pages

	closeOnce sync.Once
	done      chan struct{} // closed by Close: live streams end
}

// New returns the UI over s.
func New(s Store) *Handler {
	h := &Handler{store: s, mux: http.NewServeMux(), pages: parsePages(), done: make(chan struct{})}
	h.mux.HandleFunc("GET /{$}", h.list)
	h.mux.HandleFunc("GET /live", h.live)
	h.mux.HandleFunc("GET /traces/{trace}", h.trace)
	h.mux.HandleFunc("GET /traces/{trace}/observations/{obs}", h.observation)
	h.mux.HandleFunc("GET /media/{id}", h.media)
	h.mux.Handle("GET /assets/", http.FileServerFS(files))
	return h
}

// ServeHTTP sets the security headers on every answer and routes.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", csp)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Referrer-Policy", "no-referrer")
	h.mux.ServeHTTP(w, r)
}

// Close ends the live-update streams still open, so that a server's Close
// or Shutdown does not wait for browsers to go away. Safe to call twice.
func (h *Handler) Close() {
	h.closeOnce.Do(func() { close(h.done) })
}

var _ Store = (*store.Store)(nil)
