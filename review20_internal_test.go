package litefuse

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/litefuse/litefuse-go/internal/otlpreceiver"
	api "github.com/litefuse/litefuse-go/internal/platform"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// lacks fails when msg holds any of secrets.
func lacks(t *testing.T, what, msg string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if strings.Contains(msg, s) {
			t.Errorf("%s shows %q: %q", what, s, msg)
		}
	}
}

// Review 1: a URL setting with user:password@ but no "://" never shows the
// password (nor the user) in Init's error, the REST side's error or a
// message naming the target.
func TestURLCredentialsHiddenWithoutScheme(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		opts []Option
	}{
		{env: map[string]string{envHost: "//admin:hunter2@lf.example.com"}},
		{env: map[string]string{envBaseURL: "http//admin:hunter2@x"}},
		{env: map[string]string{envBaseURL: "admin:hunter2@lf.example.com/x"}},
		{opts: []Option{WithBaseURL("//admin:hunter2@lf.example.com")}},
		{opts: []Option{WithBaseURL("https:/admin:hunter2@lf.example.com")}},
	} {
		env := map[string]string{envPublicKey: "pk-lf-1", envSecretKey: hintSecret}
		for k, v := range tc.env {
			env[k] = v
		}
		cfg, _ := loadEnv(lookupFrom(env))
		cfg.apply(tc.opts)
		what := targetOf(&cfg).String()
		lacks(t, "target", what, "hunter2", "admin")
		if _, err := newInstance(cfg); err == nil {
			t.Errorf("%s: accepted", what)
		} else {
			lacks(t, "Init", err.Error(), "hunter2", "admin")
		}
		r := newRest(cfg, defaultTuning)
		if r.err == nil {
			t.Errorf("%s: REST accepted", what)
		} else {
			lacks(t, "REST", r.err.Error(), "hunter2", "admin")
		}
		_ = r.shutdown(context.Background())
	}
	if got := typedURL("//admin:hunter2@lf.example.com", nil); got != "//lf.example.com (credentials, query and fragment hidden)" {
		t.Errorf("typedURL = %q", got)
	}
}

// Review 2: the secret key typed into the base URL setting shows in no
// message: not in a scheme suggestion, the REST errors, the export error
// or the endpoint the export warning names.
func TestSecretInBaseURLHidden(t *testing.T) {
	const secret = "sk-lf-SECRET-0123456789"
	env := map[string]string{envPublicKey: "pk-lf-1", envSecretKey: secret, envBaseURL: secret}
	cfg, _ := loadEnv(lookupFrom(env))
	_, err := newInstance(cfg)
	if err == nil {
		t.Fatal("a key as the base URL was accepted")
	}
	lacks(t, "Init", err.Error(), secret, "SECRET")
	r := newRest(cfg, defaultTuning)
	lacks(t, "REST", r.err.Error(), secret, "SECRET")
	_ = r.shutdown(context.Background())

	// A valid URL holding the secret: export and REST errors hide it.
	dead := closedPortURL(t)
	env[envBaseURL] = dead + "/" + secret
	exp := exporterFor(t, env, WithTimeout(time.Second))
	lacks(t, "shown endpoint", exp.shown, secret)
	err = exp.ExportSpans(context.Background(), stubSpans(1, 10).Snapshots())
	if err == nil {
		t.Fatal("export to a closed port succeeded")
	}
	lacks(t, "export", explainExportError(err).Error(), secret)
	cfg, _ = loadEnv(lookupFrom(env))
	r = newRest(cfg, defaultTuning)
	defer r.shutdown(context.Background())
	_, err = r.projectID(context.Background())
	if err == nil {
		t.Fatal("AuthCheck against a closed port succeeded")
	}
	lacks(t, "AuthCheck", err.Error(), secret)
	if !strings.Contains(err.Error(), "[REDACTED]") {
		t.Errorf("AuthCheck: %q; want the value shown with the key redacted", err)
	}
}

// Review 3: debug lines only with LANGFUSE_DEBUG, even when the
// application's handler takes debug lines; a public key that is not pk-
// shows nothing of itself; an export 401 with swapped keys says so.
func TestDebugLinesOnlyWithDebug(t *testing.T) {
	recv := otlpreceiver.New()
	defer recv.Close()
	for _, debug := range []bool{false, true} {
		logs := &syncBuffer{}
		cfg := defaultConfig()
		cfg.apply([]Option{WithCredentials("sk-lf-9f8e7d6c5b4a", "pk-lf-0a1b2c3d"), WithBaseURL(recv.BaseURL()), WithDebug(debug),
			WithLogger(slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))})
		inst, err := newInstance(cfg)
		if err != nil {
			t.Fatal(err)
		}
		_ = inst.shutdown(context.Background())
		out := logs.String()
		if got := strings.Contains(out, "tracing on"); got != debug {
			t.Errorf("debug=%v: \"tracing on\" logged: %v:\n%s", debug, got, out)
		}
		lacks(t, "logs", out, "sk-lf-9", "9f8e7d")
	}

	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusBadGateway)
	}))
	defer failing.Close()
	logs := &syncBuffer{}
	usePlatform(t, defaultTuning, []Option{WithCredentials("pk-lf-1", hintSecret), WithBaseURL(failing.URL), WithLogger(slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))})
	for range 2 {
		if _, err := GetPrompt(context.Background(), "debug-off", WithPromptFallback(&Prompt{Text: "Hi"}), WithPromptCacheTTL(0)); err != nil {
			t.Fatal(err)
		}
	}
	if out := logs.String(); strings.Contains(out, "level=DEBUG") {
		t.Errorf("debug lines without LANGFUSE_DEBUG:\n%s", out)
	}

	recv.SetStatus(http.StatusUnauthorized, nil)
	exp := exporterFor(t, map[string]string{envPublicKey: "sk-lf-9f8e7d6c5b4a", envSecretKey: "pk-lf-0a1b2c3d", envBaseURL: recv.BaseURL()})
	err := exp.ExportSpans(context.Background(), stubSpans(1, 10).Snapshots())
	if err == nil {
		t.Fatal("want a 401")
	}
	msg := explainExportError(err).Error()
	hasAll(t, "export 401", msg, "look swapped", "exchange them")
	lacks(t, "export 401", msg, "they must be a pair", "9f8e7d")
}

// Review 4: with a Collector gateway set, the REST side still names the
// base URL setting; a gateway URL with credentials gets the gateway's fix;
// an unreachable gateway is the Collector, not Litefuse.
func TestGatewayMessagesPointAtTheGateway(t *testing.T) {
	env := map[string]string{envPublicKey: "pk-lf-1", envSecretKey: hintSecret, envOTLPTracesEndpoint: "http://127.0.0.1:1/v1/traces"}
	cfg, _ := loadEnv(lookupFrom(env))
	r := newRest(cfg, defaultTuning)
	defer r.shutdown(context.Background())
	msg := r.explain(context.Background(), errors.New("dial tcp: connection refused")).Error()
	hasAll(t, "REST", msg, "LANGFUSE_BASE_URL (unset: the default https://litefuse.cloud)")
	lacks(t, "REST", msg, envOTLPTracesEndpoint)

	env[envOTLPTracesEndpoint] = "http://u:gwpass@127.0.0.1:4318/v1/traces"
	cfg, _ = loadEnv(lookupFrom(env))
	_, _, err := cfg.endpoint()
	if err == nil {
		t.Fatal("a gateway URL with credentials was accepted")
	}
	hasAll(t, "gateway credentials", err.Error(), "OTEL_EXPORTER_OTLP_HEADERS")
	lacks(t, "gateway credentials", err.Error(), envPublicKey, "gwpass")

	dead := closedPortURL(t)
	exp := exporterFor(t, map[string]string{envOTLPTracesEndpoint: dead + "/v1/traces"}, WithTimeout(time.Second))
	err = exp.ExportSpans(context.Background(), stubSpans(1, 10).Snapshots())
	if err == nil {
		t.Fatal("export to a closed port succeeded")
	}
	msg = explainExportError(err).Error()
	hasAll(t, "gateway unreachable", msg, "Collector", envOTLPTracesEndpoint)
	lacks(t, "gateway unreachable", msg, "Litefuse runs there")
}

// Review 5: keys given with WithCredentials: a 401 names WithCredentials,
// not the variables, which are unset.
func TestRejectedKeysNameWithCredentials(t *testing.T) {
	recv := otlpreceiver.New()
	defer recv.Close()
	recv.SetStatus(http.StatusUnauthorized, nil)
	exp := exporterFor(t, map[string]string{}, WithCredentials("pk-lf-code", hintSecret), WithBaseURL(recv.BaseURL()))
	err := exp.ExportSpans(context.Background(), stubSpans(1, 10).Snapshots())
	if err == nil {
		t.Fatal("want a 401")
	}
	msg := explainExportError(err).Error()
	hasAll(t, "export 401", msg, "WithCredentials", "WithBaseURL")
	lacks(t, "export 401", msg, envPublicKey, envSecretKey)

	cfg := defaultConfig()
	cfg.apply([]Option{WithCredentials("pk-lf-code", hintSecret), WithBaseURL(recv.BaseURL())})
	r := newRest(cfg, defaultTuning)
	defer r.shutdown(context.Background())
	msg = r.explain(context.Background(), &api.StatusError{Code: http.StatusUnauthorized}).Error()
	hasAll(t, "AuthCheck 401", msg, "WithCredentials")
	lacks(t, "AuthCheck 401", msg, envPublicKey, envSecretKey)
}

// Review 6: a scheme is suggested only when the fix is plausible, bounded
// and quoted.
func TestSchemeHintOnlyWhenPlausible(t *testing.T) {
	for value, want := range map[string]string{
		"http//x":                  `did you mean "http://x" ?`,
		"https:lf.example.com":     `did you mean "https://lf.example.com" ?`,
		"https:/lf.example.com/lf": `did you mean "https://lf.example.com/lf" ?`,
		"HTTP//localhost:3000":     `did you mean "http://localhost:3000" ?`,
		"localhost:13000":          `did you mean "http://localhost:13000" ?`,
		"lf.example.com":           `did you mean "https://lf.example.com" ?`,
		"httpbin.org":              `did you mean "https://httpbin.org" ?`,
		":3000":                    "",
		"localhost:":               "",
		"lf example com":           "",
		"lf.example.com:99999":     "",
		"x\x1b[31mred":             "",
		strings.Repeat("a", 5000):  "",
		hintSecret:                 "",
	} {
		if got := schemeHint(value, []string{hintSecret}); got != want {
			t.Errorf("schemeHint(%.40q) = %.80q, want %q", value, got, want)
		}
	}
	cfg, _ := loadEnv(lookupFrom(map[string]string{envPublicKey: "pk", envSecretKey: "sk", envBaseURL: strings.Repeat("h", 5000) + "\x1b"}))
	_, err := newInstance(cfg)
	if err == nil || len(err.Error()) > 400 || strings.Contains(err.Error(), "\x1b") {
		t.Errorf("a 5000-byte value: error of %d bytes, raw ESC %v", len(err.Error()), strings.Contains(err.Error(), "\x1b"))
	}
}

// memProvider is an in-memory provider for the observation tests.
func memProvider(t *testing.T) (*sdktrace.TracerProvider, *tracetest.InMemoryExporter) {
	mem := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(mem))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return tp, mem
}

// Review 7: an invalid WithTraceID is warned about only when the span is
// recorded: not with tracing off.
func TestInvalidTraceIDWarnedOnlyWhenRecorded(t *testing.T) {
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	off := "off-" + NewTraceID("")[:8]
	_, o := StartObservation(context.Background(), "off", WithObserveOptions(WithEnabled(false), WithLogger(log)), WithTraceID(off))
	o.End()
	if out := logs.String(); strings.Contains(out, off) {
		t.Errorf("tracing off, yet warned:\n%s", out)
	}
	tp, _ := memProvider(t)
	on := "on-" + NewTraceID("")[:8]
	_, o = StartObservation(context.Background(), "on", WithObserveOptions(WithTracerProvider(tp), WithLogger(log)), WithTraceID(on))
	o.End()
	if out := logs.String(); !strings.Contains(out, on) || !strings.Contains(out, "recorded in a new trace") {
		t.Errorf("recorded with an invalid ID, no warning:\n%s", out)
	}
}

// Review 8: an invalid ID is named as such by ScoreCurrentTrace and
// TraceURL, with why.
func TestInvalidTraceIDNamedByScoreAndTraceURL(t *testing.T) {
	recv := otlpreceiver.New()
	defer recv.Close()
	usePlatform(t, defaultTuning, []Option{WithCredentials("pk-lf-1", hintSecret), WithBaseURL(recv.BaseURL())})
	upper := strings.ToUpper(NewTraceID("x"))
	ctx := WithGeneration(context.Background(), Generation{TraceID: upper})
	err := ScoreCurrentTrace(ctx, Score{Name: "s", Value: 1})
	if err == nil {
		t.Fatal("ScoreCurrentTrace with an invalid Generation.TraceID succeeded")
	}
	hasAll(t, "ScoreCurrentTrace", err.Error(), upper, "not a trace ID", "upper-case")
	lacks(t, "ScoreCurrentTrace", err.Error(), "no span in ctx")
	for id, why := range map[string]string{
		upper:                             "upper-case",
		strings.Repeat("0", 32):           "all zero",
		NewTraceID("y")[:31]:              "31 characters",
		NewTraceID("y") + "a":             "33 characters",
		"not-hex-at-all-but-32-chars-xx!": "",
	} {
		u, err := TraceURL(context.Background(), id)
		if err == nil {
			t.Errorf("TraceURL(%q) = %q, nil", id, u)
			continue
		}
		hasAll(t, "TraceURL", err.Error(), id, "not a trace ID", why)
	}
}

// Review 9: warnings dedupe on (option, cause, ID), and reaching the bound
// is said once.
func TestTraceIDWarningsDedupeAndSayTheCap(t *testing.T) {
	warnedIDs.Lock()
	saved, savedCapped := warnedIDs.seen, warnedIDs.capped
	warnedIDs.seen, warnedIDs.capped = nil, false
	warnedIDs.Unlock()
	t.Cleanup(func() {
		warnedIDs.Lock()
		warnedIDs.seen, warnedIDs.capped = saved, savedCapped
		warnedIDs.Unlock()
	})
	logs := &syncBuffer{}
	rec := newRecorder([]Option{WithLogger(slog.New(slog.NewTextHandler(logs, nil)))})
	rec.resolve()
	bad := "same-bad-id"
	warnTraceID(rec, idWarning{what: "WithTraceID", cause: "invalid", id: bad, text: "WithTraceID " + bad})
	warnTraceID(rec, idWarning{what: "Generation.TraceID", cause: "invalid", id: bad, text: "Generation.TraceID " + bad})
	warnTraceID(rec, idWarning{what: "WithTraceID", cause: "invalid", id: bad, text: "WithTraceID " + bad})
	if out := logs.String(); strings.Count(out, "level=WARN") != 2 {
		t.Errorf("want one warning per option for one ID:\n%s", out)
	}
	for i := range maxWarnedIDs + 10 {
		id := "bad-" + strings.Repeat("x", i%7) + NewTraceID("")[:6]
		warnTraceID(rec, idWarning{what: "WithTraceID", cause: "invalid", id: id, text: "WithTraceID " + id})
	}
	out := logs.String()
	if n := strings.Count(out, "further ones are not warned about"); n != 1 {
		t.Errorf("the cap is said %d times, want once", n)
	}
	if n := strings.Count(out, "level=WARN"); n != maxWarnedIDs+1 {
		t.Errorf("%d warnings, want %d (the cap, then one saying so)", n, maxWarnedIDs+1)
	}
}

// Review 10: SetLevel reads any case, records the message of an empty or
// unknown level, warns once about an unknown one, and the last of
// SetError and SetLevel decides both level and OTel status.
func TestSetLevelNormalisedAndAgreesWithStatus(t *testing.T) {
	tp, mem := memProvider(t)
	logs := &syncBuffer{}
	obsOpt := WithObserveOptions(WithTracerProvider(tp), WithLogger(slog.New(slog.NewTextHandler(logs, nil))))
	for _, tc := range []struct {
		name       string
		do         func(o *Observation)
		level, msg string
		failed     bool
	}{
		{"lower", func(o *Observation) { o.SetLevel("error", "lowercase") }, "ERROR", "lowercase", true},
		{"warning", func(o *Observation) { o.SetLevel(" warning ", "w") }, "WARNING", "w", false},
		{"unknown", func(o *Observation) { o.SetLevel("CRITICAL", "crit") }, "", "crit", false},
		{"empty", func(o *Observation) { o.SetLevel("", "msg only") }, "", "msg only", false},
		{"error then warning", func(o *Observation) { o.SetError(errors.New("boom")); o.SetLevel(LevelWarning, "recovered") }, "WARNING", "recovered", false},
		{"warning then error", func(o *Observation) { o.SetLevel(LevelWarning, "w"); o.SetError(errors.New("boom")) }, "ERROR", "boom", true},
	} {
		mem.Reset()
		_, o := StartObservation(context.Background(), tc.name, obsOpt)
		tc.do(o)
		o.End()
		spans := mem.GetSpans()
		if len(spans) != 1 {
			t.Fatalf("%s: %d spans", tc.name, len(spans))
		}
		attrs := map[string]string{}
		for _, kv := range spans[0].Attributes {
			attrs[string(kv.Key)] = kv.Value.Emit()
		}
		if attrs["langfuse.observation.level"] != tc.level || attrs["langfuse.observation.status_message"] != tc.msg {
			t.Errorf("%s: level %q message %q, want %q %q", tc.name, attrs["langfuse.observation.level"], attrs["langfuse.observation.status_message"], tc.level, tc.msg)
		}
		if failed := spans[0].Status.Code == codes.Error; failed != tc.failed {
			t.Errorf("%s: OTel status %v, want failed=%v", tc.name, spans[0].Status, tc.failed)
		}
	}
	if out := logs.String(); strings.Count(out, "CRITICAL") != 1 {
		t.Errorf("want one warning naming CRITICAL:\n%s", out)
	}
}

// Review 11: one NaN in SetModel's parameters (or in metadata or input)
// keeps the rest, as valid JSON with a placeholder.
func TestNonFiniteNumbersKeepTheRest(t *testing.T) {
	tp, mem := memProvider(t)
	_, o := StartObservation(context.Background(), "nan", WithObserveOptions(WithTracerProvider(tp)))
	o.SetModel("llama", map[string]any{"temperature": 0.2, "nan": math.NaN()})
	o.SetInput([]float64{1, math.Inf(1)})
	o.SetMetadata(map[string]any{"score": math.Inf(-1), "ok": "yes"})
	o.End()
	attrs := map[string]string{}
	for _, kv := range mem.GetSpans()[0].Attributes {
		attrs[string(kv.Key)] = kv.Value.Emit()
	}
	for key, want := range map[string]string{
		"langfuse.observation.model.parameters": `{"nan":"NaN","temperature":0.2}`,
		"langfuse.observation.input":            `[1,"+Inf"]`,
		"langfuse.observation.metadata.score":   `"-Inf"`,
	} {
		if got := attrs[key]; got != want || !json.Valid([]byte(got)) {
			t.Errorf("%s = %q, want %q", key, got, want)
		}
	}
}
