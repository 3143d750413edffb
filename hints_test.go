package litefuse

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/litefuse/litefuse-go/internal/otlpreceiver"
)

const hintSecret = "sk-lf-secret"

func hasAll(t *testing.T, what, msg string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("%s: %q lacks %q", what, msg, w)
		}
	}
	if strings.Contains(msg, hintSecret) {
		t.Errorf("%s holds the secret key: %q", what, msg)
	}
}

// LANGFUSE_HOST set and unreachable: the export error, AuthCheck and the
// REST side name LANGFUSE_HOST and its value, never LANGFUSE_BASE_URL.
func TestUnreachableHostNamesTheVariableSet(t *testing.T) {
	dead := closedPortURL(t)
	env := map[string]string{envPublicKey: "pk-lf-1", envSecretKey: hintSecret, envHost: dead}
	exp := exporterFor(t, env, WithTimeout(time.Second))
	err := exp.ExportSpans(context.Background(), stubSpans(1, 10).Snapshots())
	if err == nil {
		t.Fatal("export to a closed port succeeded")
	}
	msg := explainExportError(err).Error()
	hasAll(t, "export", msg, `check LANGFUSE_HOST="`+dead+`"`)
	if strings.Contains(msg, envBaseURL) {
		t.Errorf("export error names %s, which is not set: %q", envBaseURL, msg)
	}

	cfg, _ := loadEnv(lookupFrom(env))
	r := newRest(cfg, defaultTuning)
	defer r.shutdown(context.Background())
	_, err = r.projectID(context.Background())
	if err == nil {
		t.Fatal("AuthCheck against a closed port succeeded")
	}
	hasAll(t, "AuthCheck", err.Error(), `check LANGFUSE_HOST="`+dead+`"`)
	if strings.Contains(err.Error(), envBaseURL) {
		t.Errorf("AuthCheck names %s, which is not set: %q", envBaseURL, err)
	}
}

// An export answered 404 says the base URL's host or path is likely
// wrong; a 401 gives the region hint AuthCheck gives.
func TestExportStatusHints(t *testing.T) {
	notFound := httptest.NewServer(http.NotFoundHandler())
	defer notFound.Close()
	exp := exporterFor(t, litefuseEnv(notFound.URL+"/litefuse"))
	err := exp.ExportSpans(context.Background(), stubSpans(1, 10).Snapshots())
	if err == nil {
		t.Fatal("want an error")
	}
	hasAll(t, "404", explainExportError(err).Error(), "404", `LANGFUSE_BASE_URL="`+notFound.URL+`/litefuse"`, "host or path", "https://litefuse.cloud")

	recv := otlpreceiver.New()
	defer recv.Close()
	recv.SetStatus(http.StatusUnauthorized, nil)
	exp = exporterFor(t, map[string]string{envPublicKey: "pk-lf-1", envSecretKey: hintSecret, envHost: recv.BaseURL()})
	err = exp.ExportSpans(context.Background(), stubSpans(1, 10).Snapshots())
	if err == nil {
		t.Fatal("want an error")
	}
	hasAll(t, "401", explainExportError(err).Error(), "rejected the keys", envPublicKey, envSecretKey,
		`LANGFUSE_HOST="`+recv.BaseURL()+`" must be the host (region)`)
}

// A base URL without a scheme is shown as typed, and a loopback host gets
// http://, any other https://; secrets in it never show.
func TestBaseURLShownAsTyped(t *testing.T) {
	for _, tc := range []struct {
		value string
		want  []string
		not   []string
	}{
		{"localhost:13000", []string{`LANGFUSE_BASE_URL "localhost:13000"`, "did you mean http://localhost:13000 ?"}, []string{"https://localhost"}},
		{"127.0.0.1:13000", []string{`"127.0.0.1:13000"`, "did you mean http://127.0.0.1:13000 ?"}, []string{"https://127"}},
		{"[::1]:3000/lf", []string{`"[::1]:3000/lf"`, "did you mean http://[::1]:3000/lf ?"}, nil},
		{"litefuse.example.com", []string{`"litefuse.example.com"`, "did you mean https://litefuse.example.com ?"}, nil},
		{"admin:" + hintSecret + "@localhost:13000", []string{`"localhost:13000 (credentials, query and fragment hidden)"`}, []string{"admin", "did you mean"}},
		{"localhost:13000/?token=" + hintSecret, []string{"(credentials, query and fragment hidden)"}, []string{"token"}},
	} {
		cfg, _ := loadEnv(lookupFrom(map[string]string{envPublicKey: "pk", envSecretKey: "sk", envBaseURL: tc.value}))
		_, err := newInstance(cfg)
		if err == nil {
			t.Errorf("%q: no error", tc.value)
			continue
		}
		hasAll(t, tc.value, err.Error(), tc.want...)
		for _, n := range tc.not {
			if strings.Contains(err.Error(), n) {
				t.Errorf("%q: %q shows %q", tc.value, err, n)
			}
		}
	}
	// The REST side (AuthCheck, prompts, scores) says the same.
	cfg, _ := loadEnv(lookupFrom(map[string]string{envPublicKey: "pk", envSecretKey: "sk", envHost: "localhost:13000"}))
	r := newRest(cfg, defaultTuning)
	defer r.shutdown(context.Background())
	hasAll(t, "REST", r.err.Error(), `LANGFUSE_HOST="localhost:13000"`, "did you mean http://localhost:13000 ?")
}

// LANGFUSE_DEBUG names the spans of each export, bounded.
func TestDebugNamesTheSpansSent(t *testing.T) {
	recv := otlpreceiver.New()
	defer recv.Close()
	logs := &syncBuffer{}
	cfg := defaultConfig()
	cfg.apply([]Option{WithCredentials("pk-lf-1", hintSecret), WithBaseURL(recv.BaseURL()), WithDebug(true), WithLogger(slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))})
	inst, err := newInstance(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"plan", "chat kimi-k2"} {
		_, span := inst.tracer.Start(context.Background(), name)
		span.End()
	}
	if err := inst.flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	for i := range 25 {
		_, span := inst.tracer.Start(context.Background(), "step-"+string(rune('a'+i)))
		span.End()
	}
	if err := inst.shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	out := logs.String()
	hasAll(t, "debug", out, `names="plan, chat kimi-k2"`, "… 5 more")
}

// A prompt fallback served because Litefuse failed is a warning, once per
// prompt, with the reason.
func TestPromptFallbackWarnsOncePerPrompt(t *testing.T) {
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusBadGateway)
	}))
	defer failing.Close()
	logs := &syncBuffer{}
	usePlatform(t, defaultTuning, []Option{WithCredentials("pk-lf-1", hintSecret), WithBaseURL(failing.URL), WithLogger(slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))})
	fb := WithPromptFallback(&Prompt{Text: "Hi"})
	for range 3 {
		for _, name := range []string{"greeting", "farewell"} {
			p, err := GetPrompt(context.Background(), name, fb, WithPromptCacheTTL(0))
			if err != nil || !p.Fallback {
				t.Fatalf("GetPrompt = %+v, %v", p, err)
			}
		}
	}
	out := logs.String()
	if n := strings.Count(out, "level=WARN"); n != 2 {
		t.Errorf("%d warnings, want one per prompt:\n%s", n, out)
	}
	hasAll(t, "fallback", out, `prompt="\"greeting\" label \"production\""`, "502", "serving the fallback prompt")
}

// With no base URL set, messages say the default is in use; a Collector
// gateway is named by its own variable, with a gateway's fix.
func TestTargetNamesDefaultAndGateway(t *testing.T) {
	cfg, _ := loadEnv(lookupFrom(map[string]string{envPublicKey: "pk", envSecretKey: hintSecret}))
	if got := targetOf(&cfg).String(); got != "LANGFUSE_BASE_URL (unset: the default https://litefuse.cloud)" {
		t.Errorf("default target = %q", got)
	}
	notFound := httptest.NewServer(http.NotFoundHandler())
	defer notFound.Close()
	exp := exporterFor(t, map[string]string{envOTLPTracesEndpoint: notFound.URL + "/v1/trace"})
	err := exp.ExportSpans(context.Background(), stubSpans(1, 10).Snapshots())
	if err == nil {
		t.Fatal("want an error")
	}
	hasAll(t, "gateway 404", explainExportError(err).Error(), `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT="`+notFound.URL+`/v1/trace"`, "gateway's full OTLP/HTTP traces URL")
}
