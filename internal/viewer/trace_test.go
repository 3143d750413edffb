package viewer

import (
	"strings"
	"testing"
	"time"

	"github.com/litefuse/litefuse-go/internal/store"
)

func TestTracePageShowsTreeTimelineAttributesAndScores(t *testing.T) {
	fs := newFakeStore()
	tr, obs, scores := chatTrace()
	fs.add(tr, obs, scores...)
	res, body := get(t, New(fs), "/traces/"+tr.ID)
	if res.StatusCode != 200 {
		t.Fatalf("GET trace = %d", res.StatusCode)
	}
	mustContain(t, body,
		"<h1>weather-agent</h1>", "1.24s",
		`href="/?user=user-42"`, `href="/?session=sess-7"`, `href="/?tag=prod"`,
		"<dd>staging</dd>", "<dd>v1.2.3</dd>", "<dd>build-9</dd>", `&#34;region&#34;: &#34;eu&#34;`,
		"helpfulness", "0.9", "good", // the score
		"doubao-seed-1-6-250615", "$0.000420",
	)
	// The tree: parent before child, children indented one level deeper.
	rows := tree(tr, obs)
	var got []string
	for _, r := range rows {
		got = append(got, strings.Repeat("  ", r.Depth)+r.Name)
	}
	if want := []string{"plan trip", "  chat", "  get_weather", "    cache miss"}; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("tree = %q, want %q", got, want)
	}
	for _, r := range rows {
		if !strings.Contains(body, `href="`+r.Link+`"`) {
			t.Errorf("no link to observation %s", r.ID)
		}
	}
	// The timeline: bars placed by start and end on the trace's span.
	if rows[0].BarX != "0.00" || rows[0].BarW != "100.00" {
		t.Errorf("root bar = %s+%s, want 0.00+100.00", rows[0].BarX, rows[0].BarW)
	}
	if rows[2].BarX != "76.61" || rows[2].BarW != "20.16" { // 950ms..1200ms of 1240ms
		t.Errorf("tool bar = %s+%s, want 76.61+20.16", rows[2].BarX, rows[2].BarW)
	}
	if rows[1].TTFTW != "13.71" { // first token 170ms after the generation's start
		t.Errorf("generation's wait for the first token = %s%%, want 13.71", rows[1].TTFTW)
	}
	if rows[3].BarW != "0.40" {
		t.Errorf("an event's bar is %s%% wide, want the 0.40 minimum", rows[3].BarW)
	}
	mustContain(t, body, `x="76.61"`, `width="20.16"`)
}

func TestTreeKeepsOrphansAndCycles(t *testing.T) {
	tr := store.Trace{ID: "t", StartTime: t0, EndTime: t0.Add(time.Second)}
	obs := []store.Observation{
		{ID: "child", ParentObservationID: "never-arrived", StartTime: t0},
		{ID: "a", ParentObservationID: "b", StartTime: t0.Add(time.Millisecond)},
		{ID: "b", ParentObservationID: "a", StartTime: t0.Add(2 * time.Millisecond)},
		{ID: "self", ParentObservationID: "self", StartTime: t0.Add(3 * time.Millisecond)},
	}
	rows := tree(tr, obs)
	if len(rows) != len(obs) {
		t.Fatalf("tree shows %d of %d observations", len(rows), len(obs))
	}
	if !rows[0].Orphan || rows[0].Depth != 0 {
		t.Errorf("observation with a missing parent: orphan=%v depth=%d, want a marked root", rows[0].Orphan, rows[0].Depth)
	}
}
