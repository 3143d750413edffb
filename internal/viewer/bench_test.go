package viewer

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/litefuse/litefuse-go/internal/store"
)

// BenchmarkListPage is the UI's own cost of "/" (the store's lookup is the
// fake's): 10,000 traces stored, the first 50 shown.
func BenchmarkListPage(b *testing.B) {
	fs := newFakeStore()
	tr, obs, scores := chatTrace()
	for i := range 10000 {
		tr.ID = fmt.Sprintf("%032x", i)
		tr.StartTime = t0.Add(time.Duration(i) * time.Second)
		fs.add(tr, obs, scores...)
	}
	benchPage(b, New(fs), "/")
}

// BenchmarkTracePage renders a trace of 200 observations, and one
// generation of it.
func BenchmarkTracePage(b *testing.B) {
	fs := newFakeStore()
	tr, obs, scores := chatTrace()
	for i := 4; i < 200; i++ {
		o := obs[1]
		o.ID = fmt.Sprintf("%016x", i)
		o.StartTime = t0.Add(time.Duration(i) * time.Millisecond)
		obs = append(obs, o)
	}
	fs.add(tr, obs, scores...)
	b.Run("trace", func(b *testing.B) { benchPage(b, New(fs), "/traces/"+tr.ID) })
	b.Run("generation", func(b *testing.B) { benchPage(b, New(fs), "/traces/"+tr.ID+"/observations/aaaaaaaaaaaaaaa2") })
}

func benchPage(b *testing.B, h http.Handler, target string) {
	b.ReportAllocs()
	req := httptest.NewRequest(http.MethodGet, target, nil)
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatal(rec.Code)
		}
	}
}

// BenchmarkPagesRealStore is what a user waits for with 10,000 traces in
// the real store (4 observations each): the list, a filtered list that
// matches few traces, a trace and a generation. Target: < 100 ms each.
func BenchmarkPagesRealStore(b *testing.B) {
	st := store.New(store.DefaultMaxBytes)
	tr, obs, _ := chatTrace()
	var last string
	for i := range 10000 {
		id := fmt.Sprintf("%032x", i)
		batch := make([]store.Observation, len(obs))
		for j, o := range obs {
			o.TraceID = id
			o.StartTime = o.StartTime.Add(time.Duration(i) * time.Second)
			o.EndTime = o.EndTime.Add(time.Duration(i) * time.Second)
			o.UserID = fmt.Sprintf("user-%d", i%500)
			o.TraceName = tr.Name
			batch[j] = o
		}
		st.PutObservations(batch)
		last = id
	}
	if s := st.Stats(); s.Traces != 10000 || s.EvictedTraces != 0 {
		b.Fatalf("stored %+v", s)
	}
	h := New(st)
	b.Run("list", func(b *testing.B) { benchPage(b, h, "/") })
	b.Run("list-filtered", func(b *testing.B) { benchPage(b, h, "/?user=user-7&errors=") })
	b.Run("trace", func(b *testing.B) { benchPage(b, h, "/traces/"+last) })
	b.Run("generation", func(b *testing.B) { benchPage(b, h, "/traces/"+last+"/observations/aaaaaaaaaaaaaaa2") })
}
