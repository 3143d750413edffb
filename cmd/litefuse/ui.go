package main

import (
	"net/http"

	"github.com/litefuse/litefuse-go/internal/store"
	"github.com/litefuse/litefuse-go/internal/viewer"
)

// newUI returns the web UI over st.
func newUI(st *store.Store) http.Handler {
	return viewer.New(st)
}
