package main

import (
	"net/http"

	"github.com/litefuse/litefuse-go/internal/store"
)

// newUI returns the web UI over st; nil serves a plain page saying the UI
// is not built in. The integrator wires internal/viewer in here.
func newUI(st *store.Store) http.Handler {
	_ = st
	return nil
}
