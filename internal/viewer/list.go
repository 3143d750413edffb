package viewer

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/litefuse/litefuse-go/internal/store"
)

// listPage is what list.html shows.
type listPage struct {
	Title   string
	Filter  store.TraceFilter
	Query   string // the filter as a query string, for the live refresh
	Traces  []traceRow
	More    string // link to a longer list, "" when all are shown
	Version string
	Stats   statsView
}

type traceRow struct {
	store.Trace
	Latency time.Duration
	Tokens  string
	Link    string
}

// statsView is the footer's line about the store.
type statsView struct {
	store.Stats
	Version  string // changes whenever the store does
	UsedPct  int
	Bytes    string
	MaxBytes string
}

const (
	defaultLimit = 50
	maxLimit     = 1000
)

// list serves "/": the traces, newest first, filtered by the query's name,
// user, session, tag and errors (limit: how many, 50 unless given).
func (h *Handler) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := store.TraceFilter{
		Name:       strings.TrimSpace(q.Get("name")),
		UserID:     strings.TrimSpace(q.Get("user")),
		SessionID:  strings.TrimSpace(q.Get("session")),
		Tag:        strings.TrimSpace(q.Get("tag")),
		ErrorsOnly: q.Get("errors") != "",
		Limit:      defaultLimit,
	}
	if n, err := strconv.Atoi(q.Get("limit")); err == nil && n > 0 {
		f.Limit = min(n, maxLimit)
	}
	st := h.stats()
	traces := h.store.Traces(f)
	p := listPage{Title: "Traces", Filter: f, Query: filterQuery(f, 0), Version: st.Version, Stats: st}
	for _, t := range traces {
		p.Traces = append(p.Traces, traceRow{Trace: t, Latency: latency(t.StartTime, t.EndTime), Tokens: tokensSummary(t.Usage), Link: traceLink(t.ID)})
	}
	if len(traces) >= f.Limit && f.Limit < maxLimit {
		p.More = "/?" + filterQuery(f, min(f.Limit*2, maxLimit))
	}
	render(w, h.pages.list, "layout.html", http.StatusOK, p)
}

// filterQuery writes f back as the list's query string.
func filterQuery(f store.TraceFilter, limit int) string {
	v := url.Values{}
	for k, s := range map[string]string{"name": f.Name, "user": f.UserID, "session": f.SessionID, "tag": f.Tag} {
		if s != "" {
			v.Set(k, s)
		}
	}
	if f.ErrorsOnly {
		v.Set("errors", "1")
	}
	if limit > 0 {
		v.Set("limit", strconv.Itoa(limit))
	} else if f.Limit != defaultLimit {
		v.Set("limit", strconv.Itoa(f.Limit))
	}
	return v.Encode()
}

func latency(start, end time.Time) time.Duration {
	if start.IsZero() || end.IsZero() {
		return -1
	}
	return end.Sub(start)
}

func (h *Handler) stats() statsView {
	s := h.store.Stats()
	v := statsView{Stats: s, Bytes: fmtBytes(s.Bytes), MaxBytes: fmtBytes(s.MaxBytes)}
	if s.MaxBytes > 0 {
		v.UsedPct = int(s.Bytes * 100 / s.MaxBytes)
	}
	v.Version = strconv.Itoa(s.Traces) + "." + strconv.Itoa(s.Observations) + "." + strconv.Itoa(s.Scores) + "." +
		strconv.FormatInt(s.EvictedTraces, 10) + "." + strconv.FormatInt(s.Bytes, 10)
	return v
}

// fmtBytes: 12.3 MB.
func fmtBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return strconv.FormatInt(n, 10) + " B"
	}
	f, i := float64(n), -1
	for f >= unit && i < 3 {
		f /= unit
		i++
	}
	return strconv.FormatFloat(f, 'f', 1, 64) + " " + []string{"KiB", "MiB", "GiB", "TiB"}[i]
}

// liveMaxAge bounds one live stream; the browser reconnects by itself.
const liveMaxAge = 55 * time.Second

// live serves "/live", a stream of server-sent events: one "change" event
// whenever the store changes (at most one per 300ms), so the list page
// fetches its rows again. "?v=" is the version the page shows: if the
// store has moved on since, the first event goes out at once.
func (h *Handler) live(w http.ResponseWriter, r *http.Request) {
	fl, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte("retry: 1000\n\n"))
	fl.Flush()
	seen := r.URL.Query().Get("v")
	deadline := time.NewTimer(liveMaxAge)
	defer deadline.Stop()
	for {
		changed := h.store.Changed() // before reading the version: no change slips between
		if v := h.stats().Version; v != seen {
			seen = v
			if _, err := w.Write([]byte("event: change\ndata: " + v + "\n\n")); err != nil {
				return
			}
			fl.Flush()
			select { // coalesce bursts of spans into one refresh
			case <-time.After(300 * time.Millisecond):
			case <-r.Context().Done():
				return
			case <-h.done:
				return
			}
			continue
		}
		select {
		case <-changed:
		case <-deadline.C:
			return
		case <-r.Context().Done():
			return
		case <-h.done:
			return
		}
	}
}

// traceLink is a trace's stable address; observationLink one of its
// observations'.
func traceLink(id string) string { return "/traces/" + url.PathEscape(id) }

func observationLink(traceID, id string) string {
	return traceLink(traceID) + "/observations/" + url.PathEscape(id)
}
