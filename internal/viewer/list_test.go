package viewer

import (
	"bufio"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/litefuse/litefuse-go/internal/store"
)

func TestListShowsTracesNewestFirst(t *testing.T) {
	fs := newFakeStore()
	tr, obs, scores := chatTrace()
	fs.add(store.Trace{ID: "older", Name: "first-call", StartTime: t0.Add(-time1), EndTime: t0}, nil)
	fs.add(tr, obs, scores...)
	res, body := get(t, New(fs), "/")
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("GET / = %d %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	if i, j := strings.Index(body, "weather-agent"), strings.Index(body, "first-call"); i < 0 || j < 0 || i > j {
		t.Errorf("newest trace not listed first (weather-agent at %d, first-call at %d)", i, j)
	}
	mustContain(t, body,
		`href="/traces/4bf92f3577b34da6a3ce929d0e0e4736"`,  // stable link
		"2026-12-03 08:00:00.000",                          // time
		"1.24s",                                            // latency
		`href="/?user=user-42"`, `href="/?session=sess-7"`, // user, session
		`href="/?tag=prod"`, `href="/?tag=beta"`, // tags
		"4 <span class=\"muted\">(1 gen)</span>", // observations
		"120 → 42 (Σ 162)",                       // usage: input incl. cached → output incl. reasoning
		"$0.000420",                              // cost
	)
}

func TestListFiltersReachTheStore(t *testing.T) {
	fs := newFakeStore()
	tr, obs, scores := chatTrace()
	fs.add(tr, obs, scores...)
	fs.add(store.Trace{ID: "t-err", Name: "broken", Errors: 2, StartTime: t0}, nil)
	h := New(fs)
	_, body := get(t, h, "/?name=weather&user=user-42&session=sess-7&tag=prod&limit=20")
	got := fs.filters[len(fs.filters)-1]
	want := store.TraceFilter{Name: "weather", UserID: "user-42", SessionID: "sess-7", Tag: "prod", Limit: 20}
	if got.Name != want.Name || got.UserID != want.UserID || got.SessionID != want.SessionID || got.Tag != want.Tag || got.Limit != want.Limit || got.ErrorsOnly {
		t.Errorf("filter = %+v, want %+v", got, want)
	}
	mustContain(t, body, "weather-agent", `value="weather"`, `value="user-42"`, `value="sess-7"`, `value="prod"`)
	if strings.Contains(body, "broken") {
		t.Error("a trace the filter excludes is listed")
	}

	_, body = get(t, h, "/?errors=1")
	if !fs.filters[len(fs.filters)-1].ErrorsOnly {
		t.Error("errors=1 did not ask the store for errors only")
	}
	mustContain(t, body, "broken", "2 errors", "checked")
	if strings.Contains(body, "weather-agent") {
		t.Error("a trace without errors is listed under errors only")
	}

	_, body = get(t, h, "/?name=nothing-matches")
	mustContain(t, body, "No trace matches these filters.")

	get(t, h, "/?limit=999999")
	if l := fs.filters[len(fs.filters)-1].Limit; l != maxLimit {
		t.Errorf("limit=999999 asked the store for %d traces, want at most %d", l, maxLimit)
	}
}

func TestListEmptySaysWhatToDo(t *testing.T) {
	_, body := get(t, New(newFakeStore()), "/")
	mustContain(t, body, "No traces yet.", "export LANGFUSE_")
}

func TestStatsShownInFooter(t *testing.T) {
	fs := newFakeStore()
	fs.stats = store.Stats{Traces: 12345, Observations: 67890, Scores: 3, Bytes: 3 << 20, MaxBytes: 64 << 20, EvictedTraces: 17}
	for _, target := range []string{"/", "/traces/nope"} {
		_, body := get(t, New(fs), target)
		mustContain(t, body, "<b>12,345</b> traces", "<b>67,890</b> observations", "<b>3</b> scores",
			"<b>3.0 MiB</b> of 64.0 MiB", "<b>17</b> evicted")
	}
}

// Review of issue 19, findings 2 and 4: evicted scores and a failure to
// write -data are shown, not silent.
func TestScoreEvictionAndWriteErrorShown(t *testing.T) {
	fs := newFakeStore()
	fs.stats = store.Stats{EvictedScores: 4, WriteError: "litefuse store: writing /d/x failed (no space left on device <b>)"}
	_, body := get(t, New(fs), "/")
	mustContain(t, body, "<b>4</b> scores evicted", "new data not saved to disk: litefuse store: writing /d/x failed (no space left on device &lt;b&gt;)")
}

// events reads server-sent event names from /live into a channel.
func events(t *testing.T, url string) (<-chan string, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if ct := res.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("/live Content-Type = %q", ct)
	}
	ch := make(chan string, 16)
	go func() {
		defer close(ch)
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			if name, ok := strings.CutPrefix(sc.Text(), "event: "); ok {
				ch <- name
			}
		}
	}()
	return ch, func() { cancel(); res.Body.Close() }
}

func TestLiveSignalsChanges(t *testing.T) {
	fs := newFakeStore()
	h := New(fs)
	srv := httptest.NewServer(h)
	defer srv.Close()
	defer h.Close()

	// A page rendered before a change: told at once.
	stale := h.stats().Version
	fs.add(store.Trace{ID: "a", StartTime: t0}, nil)
	ch, stop := events(t, srv.URL+"/live?v="+stale)
	defer stop()
	select {
	case e := <-ch:
		if e != "change" {
			t.Fatalf("event %q, want change", e)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a page behind the store was not told to refresh")
	}

	// An up-to-date page: told at the next change, not before.
	ch2, stop2 := events(t, srv.URL+"/live?v="+h.stats().Version)
	defer stop2()
	select {
	case e := <-ch2:
		t.Fatalf("event %q with nothing changed", e)
	case <-time.After(200 * time.Millisecond):
	}
	fs.add(store.Trace{ID: "b", StartTime: t0}, nil)
	select {
	case <-ch2:
	case <-time.After(5 * time.Second):
		t.Fatal("no event after a new trace")
	}
}

func TestCloseEndsLiveStreams(t *testing.T) {
	fs := newFakeStore()
	h := New(fs)
	srv := httptest.NewServer(h)
	defer srv.Close()
	ch, stop := events(t, srv.URL+"/live?v="+h.stats().Version)
	defer stop()
	h.Close()
	h.Close() // twice is fine
	select {
	case _, open := <-ch:
		if open {
			t.Fatal("an event instead of the end of the stream")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close left a live stream open (a server's Close would wait for it)")
	}
}
