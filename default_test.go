package litefuse_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/litefuse/litefuse-go"
	"github.com/litefuse/litefuse-go/internal/fakeark"
	"github.com/litefuse/litefuse-go/internal/otlpreceiver"
	openai "github.com/sashabaranov/go-openai"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// The default pipeline is process-wide and read from the environment once,
// so each case runs in a child process of the test binary with its own
// environment: the parent starts the local servers and checks what arrived.

const childEnv = "LITEFUSE_TEST_CHILD"

func runChild(t *testing.T, name string, env ...string) string {
	t.Helper()
	return runChildTest(t, "TestChild", name, env...)
}

func runChildTest(t *testing.T, test, name string, env ...string) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+test+"$", "-test.v", "-test.count=1")
	cmd.Env = append(cleanEnv(), append(env, childEnv+"="+name)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child %s: %v\n%s", name, err, out)
	}
	return string(out)
}

// cleanEnv is the environment without any LANGFUSE_* or OTEL_* variable.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "LANGFUSE_") && !strings.HasPrefix(kv, "OTEL_") {
			env = append(env, kv)
		}
	}
	return env
}

// TestChild is the child side; it does nothing in a normal run.
func TestChild(t *testing.T) {
	name := os.Getenv(childEnv)
	if name == "" {
		t.Skip("runs only as a child of the default-pipeline tests")
	}
	cfg := openai.DefaultConfig(testArkKey)
	cfg.BaseURL = os.Getenv("FAKE_ARK_URL")
	client := litefuse.NewClientWithConfig(cfg)
	call := func() {
		resp, err := client.CreateChatCompletion(context.Background(), seedRequest())
		if err != nil || len(resp.Choices) != 1 {
			t.Fatalf("call: %v %+v", err, resp)
		}
	}
	call()
	call()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// As the README's first program does: log Shutdown's error. With
	// tracing off because of a setting, the warning at start-up said why,
	// and Shutdown does not say it again.
	for range 2 {
		if err := litefuse.Shutdown(ctx); err != nil {
			t.Logf("SHUTDOWN ERROR: %v", err)
		} else {
			t.Logf("SHUTDOWN OK")
		}
	}
	call() // after Shutdown the client is a plain client
	st := litefuse.ReadStats()
	t.Logf("STATS ended=%d exported=%d failed=%d", st.Ended, st.Exported, st.Failed)
	t.Logf("FLUSH AFTER SHUTDOWN: %v", litefuse.Flush(ctx))
}

func TestDefaultPipelineFromEnv(t *testing.T) {
	ark, recv := fakeark.New(), otlpreceiver.New()
	defer ark.Close()
	defer recv.Close()
	out := runChild(t, "env", "FAKE_ARK_URL="+ark.BaseURL(),
		"LANGFUSE_PUBLIC_KEY="+testPublicKey, "LANGFUSE_SECRET_KEY="+testSecretKey,
		"LANGFUSE_BASE_URL="+recv.BaseURL(), "LANGFUSE_TRACING_ENVIRONMENT=staging", "LANGFUSE_RELEASE=v9.9.9")
	spans, err := recv.WaitSpans(2, 5*time.Second)
	if err != nil {
		t.Fatalf("%v\nchild output:\n%s", err, out)
	}
	if len(spans) != 2 || len(ark.Requests()) != 3 {
		t.Fatalf("%d spans for %d calls (the third after Shutdown); want 2", len(spans), len(ark.Requests()))
	}
	s := spans[0]
	if s.Str("langfuse.environment") != "staging" || s.Str("langfuse.release") != "v9.9.9" {
		t.Errorf("environment %q release %q", s.Str("langfuse.environment"), s.Str("langfuse.release"))
	}
	if s.Resource["langfuse.environment"] != "staging" {
		t.Errorf("resource = %v", s.Resource)
	}
	if !strings.Contains(out, "STATS ended=2 exported=2 failed=0") {
		t.Errorf("stats line missing:\n%s", out)
	}
	if strings.Count(out, "SHUTDOWN OK") != 2 {
		t.Errorf("Shutdown of a healthy pipeline must return nil:\n%s", out)
	}
	if !strings.Contains(out, "FLUSH AFTER SHUTDOWN: litefuse: the export pipeline is shut down") {
		t.Errorf("Flush after Shutdown did not say the pipeline is shut down:\n%s", out)
	}
}

// Hostile environment, through the public API only: every bad value is
// named in one warning, tracing goes on with clamped values, the
// application's vendor headers never reach Litefuse, and a refused
// environment name is left out.
func TestDefaultPipelineHostileEnv(t *testing.T) {
	ark, recv := fakeark.New(), otlpreceiver.New()
	defer ark.Close()
	defer recv.Close()
	out := runChild(t, "hostile", "FAKE_ARK_URL="+ark.BaseURL(),
		"LANGFUSE_PUBLIC_KEY="+testPublicKey, "LANGFUSE_SECRET_KEY="+testSecretKey,
		"LANGFUSE_BASE_URL="+recv.BaseURL()+"/api/public/otel",
		"LANGFUSE_FLUSH_AT=99999999999999", "LANGFUSE_FLUSH_INTERVAL=1ns",
		"LANGFUSE_TRACING_ENVIRONMENT=Prod EU", "LANGFUSE_RELEASE=v1\xff",
		"OTEL_SERVICE_NAME=svc\xfe", "LANGFUSE_DEBUG=on",
		"OTEL_EXPORTER_OTLP_HEADERS=x-honeycomb-team=hc-vendor-secret")
	for _, name := range []string{"LANGFUSE_FLUSH_AT", "LANGFUSE_FLUSH_INTERVAL", "LANGFUSE_TRACING_ENVIRONMENT", "LANGFUSE_RELEASE", "OTEL_SERVICE_NAME"} {
		if n := strings.Count(out, "litefuse: "+name+"="); n != 1 {
			t.Errorf("%d warnings naming %s, want 1:\n%s", n, name, out)
		}
	}
	spans, err := recv.WaitSpans(2, 5*time.Second)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if _, ok := spans[0].Resource["langfuse.environment"]; ok || spans[0].Str("langfuse.environment") != "" {
		t.Errorf("the refused environment was sent: %v", spans[0].Resource)
	}
	for _, r := range recv.Requests() {
		if r.Header.Get("x-honeycomb-team") != "" {
			t.Error("the application's vendor header reached Litefuse")
		}
	}
	if strings.Contains(out, "hc-vendor-secret") || strings.Contains(out, testSecretKey) {
		t.Errorf("a secret in the output:\n%s", out)
	}
	if !strings.Contains(out, "STATS ended=2 exported=2 failed=0") {
		t.Errorf("stats:\n%s", out)
	}
}

// A base URL with credentials or a query is refused, and the warning never
// shows them.
func TestDefaultPipelineURLWithCredentialsRefused(t *testing.T) {
	ark := fakeark.New()
	defer ark.Close()
	out := runChild(t, "badurl", "FAKE_ARK_URL="+ark.BaseURL(),
		"LANGFUSE_PUBLIC_KEY="+testPublicKey, "LANGFUSE_SECRET_KEY="+testSecretKey,
		"LANGFUSE_BASE_URL=https://admin:url-password-1@litefuse.example.com/?token=url-token-2")
	if !strings.Contains(out, "LANGFUSE_BASE_URL") || !strings.Contains(out, "refused") || len(ark.Requests()) != 3 {
		t.Errorf("want a warning naming LANGFUSE_BASE_URL and all calls through:\n%s", out)
	}
	if strings.Contains(out, "url-password-1") || strings.Contains(out, "url-token-2") {
		t.Errorf("the warning shows the URL's secrets:\n%s", out)
	}
}

func TestDefaultPipelineWithoutKeysPassesThrough(t *testing.T) {
	ark := fakeark.New()
	defer ark.Close()
	out := runChild(t, "nokeys", "FAKE_ARK_URL="+ark.BaseURL())
	if n := len(ark.Requests()); n != 3 {
		t.Errorf("%d calls reached the server, want 3", n)
	}
	if n := warnLines(out, "LANGFUSE_PUBLIC_KEY and LANGFUSE_SECRET_KEY are not set"); n != 1 {
		t.Errorf("%d warnings about missing keys, want exactly 1:\n%s", n, out)
	}
	// One message per cause: the program that logs Shutdown's error (the
	// README's) shows the missing keys once, and no failure.
	if n := strings.Count(out, "are not set"); n != 1 || strings.Count(out, "SHUTDOWN OK") != 2 {
		t.Errorf("the missing keys said %d times (want 1), Shutdown must return nil for a deliberate pass-through:\n%s", n, out)
	}
	// The request reached the server exactly as sent: no stream options injected.
	if strings.Contains(string(ark.Requests()[0].Body), "stream_options") {
		t.Errorf("request altered: %s", ark.Requests()[0].Body)
	}
}

func TestDefaultPipelineDisabled(t *testing.T) {
	ark, recv := fakeark.New(), otlpreceiver.New()
	defer ark.Close()
	defer recv.Close()
	out := runChild(t, "disabled", "FAKE_ARK_URL="+ark.BaseURL(),
		"LANGFUSE_PUBLIC_KEY="+testPublicKey, "LANGFUSE_SECRET_KEY="+testSecretKey,
		"LANGFUSE_BASE_URL="+recv.BaseURL(), "LANGFUSE_TRACING_ENABLED=false")
	time.Sleep(100 * time.Millisecond)
	if n := len(recv.Requests()); n != 0 {
		t.Errorf("%d export requests with tracing disabled", n)
	}
	if n := strings.Count(out, "WARN"); n != 0 || len(ark.Requests()) != 3 {
		t.Errorf("%d warnings (want none), %d calls through (want 3):\n%s", n, len(ark.Requests()), out)
	}
}

func TestDefaultPipelineBadEnvWarnsAndKeepsWorking(t *testing.T) {
	ark, recv := fakeark.New(), otlpreceiver.New()
	defer ark.Close()
	defer recv.Close()
	out := runChild(t, "badenv", "FAKE_ARK_URL="+ark.BaseURL(),
		"LANGFUSE_PUBLIC_KEY="+testPublicKey, "LANGFUSE_SECRET_KEY="+testSecretKey,
		"LANGFUSE_BASE_URL="+recv.BaseURL(), "LANGFUSE_SAMPLE_RATE=2", "LANGFUSE_FLUSH_AT=lots")
	if !strings.Contains(out, `LANGFUSE_SAMPLE_RATE="2"`) || !strings.Contains(out, `LANGFUSE_FLUSH_AT="lots"`) {
		t.Errorf("no warning naming the bad variables:\n%s", out)
	}
	if _, err := recv.WaitSpans(2, 5*time.Second); err != nil {
		t.Errorf("bad values must fall back to defaults and keep tracing: %v", err)
	}
}

func TestDefaultPipelineBadURLTurnsTracingOff(t *testing.T) {
	ark := fakeark.New()
	defer ark.Close()
	out := runChild(t, "badurl", "FAKE_ARK_URL="+ark.BaseURL(),
		"LANGFUSE_PUBLIC_KEY="+testPublicKey, "LANGFUSE_SECRET_KEY="+testSecretKey,
		"LANGFUSE_BASE_URL=not a url")
	if !strings.Contains(out, "LANGFUSE_BASE_URL") || len(ark.Requests()) != 3 {
		t.Errorf("want a warning naming LANGFUSE_BASE_URL and all calls through:\n%s", out)
	}
}

// TestChildOwnProvider is the child side of TestInitWithOwnProvider.
func TestChildOwnProvider(t *testing.T) {
	if os.Getenv(childEnv) != "ownprovider" {
		t.Skip("runs only as a child")
	}
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	if err := litefuse.Init(litefuse.WithTracerProvider(tp)); err != nil {
		t.Fatal(err)
	}
	cfg := openai.DefaultConfig(testArkKey)
	cfg.BaseURL = os.Getenv("FAKE_ARK_URL")
	client := litefuse.NewClientWithConfig(cfg)
	_, err := litefuse.Observe(context.Background(), "pipeline", func(ctx context.Context) (int, error) {
		_, err := client.CreateChatCompletion(ctx, seedRequest())
		return 0, err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := litefuse.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	spans := exp.GetSpans()
	if len(spans) != 2 || spans[0].Parent.SpanID() != spans[1].SpanContext.SpanID() {
		t.Fatalf("want the generation under the pipeline, both in the application's provider: %d spans", len(spans))
	}
	t.Log("OWNPROVIDER OK")
}

func TestInitWithOwnProvider(t *testing.T) {
	ark := fakeark.New()
	defer ark.Close()
	out := runChildTest(t, "TestChildOwnProvider", "ownprovider", "FAKE_ARK_URL="+ark.BaseURL())
	if !strings.Contains(out, "OWNPROVIDER OK") {
		t.Errorf("child output:\n%s", out)
	}
}

// warnLines counts the warning lines of out that contain s.
func warnLines(out, s string) int {
	n := 0
	for line := range strings.SplitSeq(out, "\n") {
		if strings.Contains(line, "WARN") && strings.Contains(line, s) {
			n++
		}
	}
	return n
}

// TestChildOff is the child side of the tracing-off tests: TraceURL for
// an empty ID.
func TestChildOff(t *testing.T) {
	if os.Getenv(childEnv) != "off" {
		t.Skip("runs only as a child")
	}
	_, err := litefuse.TraceURL(context.Background(), litefuse.CurrentTraceID(context.Background()))
	t.Logf("TRACEURL: %v", err)
}

// With tracing turned off by a setting, TraceURL says tracing is off and
// which setting did it (not "the trace ID is empty"); with LANGFUSE_DEBUG
// one debug line says the same at start-up.
func TestTracingOffSaysWhy(t *testing.T) {
	out := runChildTest(t, "TestChildOff", "off", "LANGFUSE_PUBLIC_KEY="+testPublicKey,
		"LANGFUSE_SECRET_KEY="+testSecretKey, "LANGFUSE_TRACING_ENABLED=false", "LANGFUSE_DEBUG=true")
	if !strings.Contains(out, "TRACEURL: litefuse: TraceURL: no trace ID: tracing is off (LANGFUSE_TRACING_ENABLED=false turned tracing off)") {
		t.Errorf("TraceURL with tracing off:\n%s", out)
	}
	if n := strings.Count(out, "tracing is off: LANGFUSE_TRACING_ENABLED=false; calls pass through"); n != 1 {
		t.Errorf("%d debug lines saying tracing is off and why, want 1:\n%s", n, out)
	}
	if strings.Contains(out, testSecretKey) {
		t.Errorf("a secret in the output:\n%s", out)
	}
	out = runChildTest(t, "TestChildOff", "off")
	if !strings.Contains(out, "TRACEURL: litefuse: TraceURL: no trace ID: tracing is off (LANGFUSE_PUBLIC_KEY and LANGFUSE_SECRET_KEY are not set") {
		t.Errorf("TraceURL without keys:\n%s", out)
	}
	out = runChildTest(t, "TestChildOff", "off", "LANGFUSE_PUBLIC_KEY="+testPublicKey, "LANGFUSE_SECRET_KEY="+testSecretKey,
		"LANGFUSE_BASE_URL=http://127.0.0.1:9")
	if !strings.Contains(out, "TRACEURL: litefuse: TraceURL: the trace ID is empty: CurrentTraceID(ctx) is \"\" outside Observe") {
		t.Errorf("TraceURL with tracing on and no span:\n%s", out)
	}
}
