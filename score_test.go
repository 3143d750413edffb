package litefuse_test

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/litefuse/litefuse-go"
	"github.com/litefuse/litefuse-go/internal/otlpreceiver"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

type scoreStats struct{ sent, failed, dropped, queued int64 }

func readScoreStats() scoreStats {
	s, f, d, q := litefuse.PlatformStats()
	return scoreStats{s, f, d, q}
}

func flushScores(t *testing.T) error {
	t.Helper()
	return litefuse.FlushPlatform(ctxFor(t, 10*time.Second))
}

// scoreBodies decodes every score request the stand-in received.
func scoreBodies(t *testing.T, recv *otlpreceiver.Receiver) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, r := range recv.PlatformRequests("/api/public/scores") {
		var m map[string]any
		if err := json.Unmarshal(r.Body, &m); err != nil {
			t.Fatalf("score body %q: %v", r.Body, err)
		}
		out = append(out, m)
	}
	return out
}

var uuidV4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestCreateScoreValidation(t *testing.T) {
	recv, _ := platformEnv(t, 0)
	for _, c := range []struct {
		s    litefuse.Score
		want string
	}{
		{litefuse.Score{TraceID: "t"}, "Name is empty"},
		{litefuse.Score{Name: "  ", TraceID: "t"}, "Name is empty"},
		{litefuse.Score{Name: "q", Value: math.NaN(), TraceID: "t"}, "NaN"},
		{litefuse.Score{Name: "q", Value: math.Inf(1), TraceID: "t"}, "+Inf"},
		{litefuse.Score{Name: "q", Value: math.Inf(-1), TraceID: "t"}, "-Inf"},
		{litefuse.Score{Name: "q", Value: 0.5, DataType: "BOOLEAN", TraceID: "t"}, "want 0 or 1"},
		{litefuse.Score{Name: "q", Value: 2, DataType: "BOOLEAN", TraceID: "t"}, "want 0 or 1"},
		{litefuse.Score{Name: "q", DataType: "CATEGORICAL", TraceID: "t"}, "CATEGORICAL needs a StringValue"},
		{litefuse.Score{Name: "q", StringValue: "good", TraceID: "t"}, "StringValue is set on a NUMERIC score"},
		{litefuse.Score{Name: "q", DataType: "PERCENT", TraceID: "t"}, `unknown DataType "PERCENT"`},
		{litefuse.Score{Name: "q", TraceID: "t", SessionID: "s"}, "TraceID and SessionID are both set"},
		{litefuse.Score{Name: "q", ObservationID: "o", SessionID: "s"}, "ObservationID and SessionID"},
		{litefuse.Score{Name: "q"}, "none of TraceID, ObservationID and SessionID"},
		{litefuse.Score{Name: "q", TraceID: "t", Metadata: map[string]any{"ch": make(chan int)}}, "Metadata is not JSON"},
		{litefuse.Score{Name: "q", TraceID: "t", Metadata: map[string]any{"big": strings.Repeat("x", 2<<20)}}, "limit"},
	} {
		err := litefuse.CreateScore(context.Background(), c.s)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "litefuse: CreateScore: ") {
			t.Errorf("CreateScore(%+v) = %v, want an error containing %q", c.s.Name, err, c.want)
		}
	}
	if err := flushScores(t); err != nil {
		t.Fatal(err)
	}
	if n := len(recv.PlatformRequests("/api/public/scores")); n != 0 || readScoreStats() != (scoreStats{}) {
		t.Fatalf("invalid scores were sent (%d) or counted (%+v)", n, readScoreStats())
	}
}

func TestCreateScoreSendsEachKind(t *testing.T) {
	recv, _ := platformEnv(t, 0, litefuse.WithEnvironment("staging"))
	md := map[string]any{"source": "thumbs"}
	for _, s := range []litefuse.Score{
		{Name: "quality", Value: 0.8, TraceID: "trace-1", ObservationID: "obs-1", Comment: "good", Metadata: md},
		{Name: "helpful", Value: 1, DataType: "BOOLEAN", SessionID: "sess-1"},
		{Name: "tone", StringValue: "friendly", DataType: "categorical", TraceID: "trace-1"},
	} {
		if err := litefuse.CreateScore(context.Background(), s); err != nil {
			t.Fatal(err)
		}
	}
	md["source"] = "changed after the call"
	if err := flushScores(t); err != nil {
		t.Fatal(err)
	}
	got := map[string]map[string]any{}
	for _, b := range scoreBodies(t, recv) {
		got[b["name"].(string)] = b
		if id, _ := b["id"].(string); !uuidV4.MatchString(id) {
			t.Errorf("score %v: id %q is not a v4 UUID", b["name"], id)
		}
		if b["environment"] != "staging" {
			t.Errorf("score %v: environment %v", b["name"], b["environment"])
		}
	}
	q := got["quality"]
	if q["value"] != 0.8 || q["dataType"] != "NUMERIC" || q["traceId"] != "trace-1" || q["observationId"] != "obs-1" ||
		q["comment"] != "good" || q["metadata"].(map[string]any)["source"] != "thumbs" || q["sessionId"] != nil {
		t.Errorf("numeric: %v", q)
	}
	if h := got["helpful"]; h["value"] != 1.0 || h["dataType"] != "BOOLEAN" || h["sessionId"] != "sess-1" || h["traceId"] != nil {
		t.Errorf("boolean: %v", h)
	}
	if c := got["tone"]; c["value"] != "friendly" || c["dataType"] != "CATEGORICAL" {
		t.Errorf("categorical: %v", c)
	}
	if st := readScoreStats(); st != (scoreStats{sent: 3}) {
		t.Fatalf("stats %+v", st)
	}
	hdr := recv.PlatformRequests("/api/public/scores")[0].Header
	if u, p, ok := (&http.Request{Header: hdr}).BasicAuth(); !ok || u != testPublicKey || p != testSecretKey {
		t.Fatal("no Basic auth with the keys")
	}
}

func TestScoreCurrentTraceAndObservation(t *testing.T) {
	recv, _ := platformEnv(t, 0)
	if err := litefuse.ScoreCurrentTrace(context.Background(), litefuse.Score{Name: "q", Value: 1}); err == nil || !strings.Contains(err.Error(), "no span in ctx") {
		t.Fatalf("ScoreCurrentTrace without a span: %v", err)
	}
	if err := litefuse.ScoreCurrentObservation(context.Background(), litefuse.Score{Name: "q", Value: 1}); err == nil || !strings.Contains(err.Error(), "no span in ctx") {
		t.Fatalf("ScoreCurrentObservation without a span: %v", err)
	}
	if err := litefuse.ScoreCurrentTrace(context.Background(), litefuse.Score{Value: 1}); err == nil || !strings.Contains(err.Error(), "Name is empty") {
		t.Fatalf("validation first: %v", err)
	}
	tp := sdktrace.NewTracerProvider()
	defer func() { _ = tp.Shutdown(context.Background()) }()
	ctx, span := tp.Tracer("test").Start(context.Background(), "step")
	defer span.End()
	traceID, spanID := span.SpanContext().TraceID().String(), span.SpanContext().SpanID().String()
	if litefuse.CurrentTraceID(ctx) != traceID || litefuse.CurrentObservationID(ctx) != spanID {
		t.Fatal("CurrentTraceID/CurrentObservationID disagree with the span")
	}
	if err := litefuse.ScoreCurrentTrace(ctx, litefuse.Score{Name: "trace-score", Value: 1, SessionID: "ignored"}); err != nil {
		t.Fatal(err)
	}
	if err := litefuse.ScoreCurrentObservation(ctx, litefuse.Score{Name: "obs-score", Value: 1, TraceID: "ignored"}); err != nil {
		t.Fatal(err)
	}
	if err := flushScores(t); err != nil {
		t.Fatal(err)
	}
	for _, b := range scoreBodies(t, recv) {
		switch b["name"] {
		case "trace-score":
			if b["traceId"] != traceID || b["observationId"] != nil || b["sessionId"] != nil {
				t.Errorf("trace score %v", b)
			}
		case "obs-score":
			if b["traceId"] != traceID || b["observationId"] != spanID {
				t.Errorf("observation score %v", b)
			}
		}
	}
}

func TestScoreRetriesKeepTheSameID(t *testing.T) {
	recv, _ := platformEnv(t, 0)
	recv.FailPlatformNext(1, 503, nil)
	recv.FailPlatformNext(1, 429, http.Header{"Retry-After": {"0"}})
	recv.FailPlatformNext(1, 500, nil)
	if err := litefuse.CreateScore(context.Background(), litefuse.Score{Name: "q", Value: 1, TraceID: "t"}); err != nil {
		t.Fatal(err)
	}
	if err := flushScores(t); err != nil {
		t.Fatal(err)
	}
	bodies := scoreBodies(t, recv)
	if len(bodies) != 4 {
		t.Fatalf("%d attempts, want 4", len(bodies))
	}
	for _, b := range bodies {
		if b["id"] != bodies[0]["id"] {
			t.Fatalf("ids differ across retries: %v vs %v", b["id"], bodies[0]["id"])
		}
	}
	if n := len(recv.Scores()); n != 1 {
		t.Fatalf("%d scores stored, want 1", n)
	}
	if st := readScoreStats(); st != (scoreStats{sent: 1}) {
		t.Fatalf("stats %+v", st)
	}
}

func TestScoreNoRetryOn400(t *testing.T) {
	recv, log := platformEnv(t, 0)
	recv.FailPlatformNext(2, 400, nil)
	for range 2 {
		if err := litefuse.CreateScore(context.Background(), litefuse.Score{Name: "q", Value: 1, TraceID: "t"}); err != nil {
			t.Fatal(err)
		}
	}
	err := flushScores(t)
	if err == nil || !strings.Contains(err.Error(), "2 scores failed") || !strings.Contains(err.Error(), "400") {
		t.Fatalf("flush: %v", err)
	}
	if n := len(recv.PlatformRequests("/api/public/scores")); n != 2 {
		t.Fatalf("%d requests, want 2 (no retry)", n)
	}
	if st := readScoreStats(); st != (scoreStats{failed: 2}) {
		t.Fatalf("stats %+v", st)
	}
	if n := strings.Count(log.String(), "sending scores failed"); n != 1 {
		t.Fatalf("failure logged %d times at warn, want once:\n%s", n, log.String())
	}
	if strings.Contains(log.String(), testSecretKey) {
		t.Fatal("the log holds the secret key")
	}
}

func TestScoreDropsCountedAndCallsNeverBlock(t *testing.T) {
	usePlatformAtQueue := func() {
		log := &logBuffer{}
		litefuse.UsePlatformForTest(t, 3,
			litefuse.WithCredentials(testPublicKey, testSecretKey),
			litefuse.WithBaseURL(hangServer(t)),
			litefuse.WithTimeout(30*time.Second),
			litefuse.WithLogger(log.logger()))
	}
	usePlatformAtQueue()
	start := time.Now()
	for range 20 {
		if err := litefuse.CreateScore(context.Background(), litefuse.Score{Name: "q", Value: 1, TraceID: "t"}); err != nil {
			t.Fatal(err)
		}
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("20 CreateScore calls took %s against a hanging server", d)
	}
	st := readScoreStats()
	if st.dropped < 20-3-2 || st.dropped+st.queued != 20 || st.sent != 0 {
		t.Fatalf("stats %+v: want the overflow dropped and the rest queued", st)
	}
	// Shutdown gives up at its deadline: every score ends counted, and no
	// goroutine of the platform survives.
	err := litefuse.ShutdownPlatform(ctxFor(t, 100*time.Millisecond))
	if err == nil {
		t.Fatal("ShutdownPlatform should report the scores it could not send")
	}
	st = readScoreStats()
	if st.queued != 0 || st.sent+st.failed+st.dropped != 20 {
		t.Fatalf("after shutdown: %+v", st)
	}
	if err := litefuse.CreateScore(context.Background(), litefuse.Score{Name: "q", Value: 1, TraceID: "t"}); err != nil {
		t.Fatal(err)
	}
	if readScoreStats().dropped != st.dropped+1 {
		t.Fatal("a score after shutdown must be dropped and counted")
	}
	noPlatformGoroutines(t)
}

// noPlatformGoroutines fails unless every goroutine of the platform is
// gone (allowing a moment for ones past their last line to exit).
func noPlatformGoroutines(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(time.Second)
	for {
		g := platformGoroutines()
		if g == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("goroutines left after ShutdownPlatform:\n%s", g)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// platformGoroutines returns the stacks of goroutines running platform code.
func platformGoroutines() string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "internal/platform.(*Sender)") || strings.Contains(g, "internal/platform.(*Cache") {
			out = append(out, g)
		}
	}
	return strings.Join(out, "\n\n")
}

func TestScoreFlushWaits(t *testing.T) {
	recv, _ := platformEnv(t, 0)
	recv.FailPlatformNext(1, 429, http.Header{"Retry-After": {"1"}})
	if err := litefuse.CreateScore(context.Background(), litefuse.Score{Name: "q", Value: 1, TraceID: "t"}); err != nil {
		t.Fatal(err)
	}
	if err := litefuse.FlushPlatform(ctxFor(t, 200*time.Millisecond)); err == nil || !strings.Contains(err.Error(), "1 still queued") {
		t.Fatalf("a flush past its deadline: %v", err)
	}
	start := time.Now()
	if err := flushScores(t); err != nil {
		t.Fatal(err)
	}
	if st := readScoreStats(); st != (scoreStats{sent: 1}) {
		t.Fatalf("stats %+v after %s", st, time.Since(start))
	}
	if err := litefuse.ShutdownPlatform(ctxFor(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	noPlatformGoroutines(t)
}

func TestScoreWithTracingOffIsDiscarded(t *testing.T) {
	recv, _ := platformEnv(t, 0, litefuse.WithEnabled(false))
	if err := litefuse.CreateScore(context.Background(), litefuse.Score{Name: "q", Value: 1, TraceID: "t"}); err != nil {
		t.Fatal(err)
	}
	if err := litefuse.ScoreCurrentTrace(context.Background(), litefuse.Score{Name: "q", Value: 1}); err == nil || !strings.Contains(err.Error(), "tracing is off") {
		t.Fatalf("no span, tracing off: %v", err)
	}
	if err := litefuse.CreateScore(context.Background(), litefuse.Score{Name: ""}); err == nil {
		t.Fatal("invalid scores are still errors")
	}
	_ = flushScores(t)
	if n := len(recv.PlatformRequests("/api/public/scores")); n != 0 || readScoreStats() != (scoreStats{}) {
		t.Fatalf("sent %d, stats %+v", n, readScoreStats())
	}
}

// A score's Metadata value whose MarshalJSON panics is an error, as a value
// that is not JSON is: never a panic in the caller (review 38, finding 4).
func TestScoreMetadataMarshalPanicIsAnError(t *testing.T) {
	recv, _ := platformEnv(t, 0)
	var err error
	func() {
		defer func() {
			if p := recover(); p != nil {
				t.Fatalf("CreateScore panicked into the caller: %v", p)
			}
		}()
		err = litefuse.CreateScore(context.Background(), litefuse.Score{Name: "q", Value: 1, TraceID: "t", Metadata: map[string]any{"bad": panicky{}}})
	}()
	if err == nil || !strings.Contains(err.Error(), "Metadata is not JSON") || !strings.Contains(err.Error(), `score "q"`) {
		t.Errorf("CreateScore: %v; want the score named and its Metadata refused", err)
	}
	if err := flushScores(t); err != nil {
		t.Fatal(err)
	}
	if n := len(recv.Scores()); n != 0 {
		t.Errorf("%d scores sent, want none", n)
	}
}
