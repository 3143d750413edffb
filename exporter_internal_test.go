package litefuse

import (
	"context"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/litefuse/litefuse-go/internal/export"
	"github.com/litefuse/litefuse-go/internal/otlpreceiver"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// stubSpans are n ended, sampled spans with an attribute of size bytes.
func stubSpans(n, size int) tracetest.SpanStubs {
	stubs := make(tracetest.SpanStubs, n)
	for i := range stubs {
		var tid trace.TraceID
		var sid trace.SpanID
		tid[0], sid[0], sid[1] = 1, byte(i), byte(i>>8)
		stubs[i] = tracetest.SpanStub{
			Name: "span",
			SpanContext: trace.NewSpanContext(trace.SpanContextConfig{
				TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled,
			}),
			StartTime:  time.Now(),
			EndTime:    time.Now(),
			Attributes: stubAttr(size),
		}
	}
	return stubs
}

func exporterFor(t *testing.T, env map[string]string, opts ...Option) *exporter {
	t.Helper()
	cfg, errs := loadEnv(lookupFrom(env))
	cfg.apply(opts)
	errs = append(errs, cfg.normalize()...)
	if len(errs) != 0 {
		t.Fatalf("config: %v", errs)
	}
	exp, warns, err := newExporter(cfg)
	if err != nil || len(warns) != 0 {
		t.Fatalf("newExporter: %v %v", err, warns)
	}
	t.Cleanup(func() { _ = exp.Shutdown(context.Background()) })
	return exp
}

func litefuseEnv(base string) map[string]string {
	return map[string]string{envPublicKey: "pk-lf-1", envSecretKey: "sk-lf-secret", envBaseURL: base}
}

// Row: NewExporter against a 401 returns an error naming the fix.
func TestNewExporterReturnsErrors(t *testing.T) {
	recv := otlpreceiver.New()
	defer recv.Close()
	recv.SetStatus(http.StatusUnauthorized, nil)
	exp := exporterFor(t, litefuseEnv(recv.BaseURL()))
	err := exp.ExportSpans(context.Background(), stubSpans(3, 10).Snapshots())
	if err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("ExportSpans against a 401: %v, want an error", err)
	}
	if strings.Contains(err.Error(), "sk-lf-secret") {
		t.Errorf("error carries the secret: %v", err)
	}
	recv.SetStatus(http.StatusOK, nil)
	if err := exp.ExportSpans(context.Background(), stubSpans(3, 10).Snapshots()); err != nil {
		t.Errorf("ExportSpans against a 200: %v", err)
	}
}

// Row: WithTimeout bounds an export also with WithHTTPClient.
func TestNewExporterTimeoutWithHTTPClient(t *testing.T) {
	recv := otlpreceiver.New()
	defer recv.Close()
	recv.Hang(true)
	exp := exporterFor(t, litefuseEnv(recv.BaseURL()), WithHTTPClient(&http.Client{}), WithTimeout(200*time.Millisecond))
	start := time.Now()
	err := exp.ExportSpans(context.Background(), stubSpans(1, 10).Snapshots())
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("ExportSpans took %v with a 200ms timeout", took)
	}
	if err == nil {
		t.Error("ExportSpans returned nil against a receiver that never answers")
	}
}

// Row: OTEL_EXPORTER_OTLP_CERTIFICATE (and the TRACES_ form) is trusted.
func TestNewExporterTLSFromEnv(t *testing.T) {
	var mu sync.Mutex
	got := 0
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got++
		mu.Unlock()
		w.WriteHeader(http.StatusOK)
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the untrusted handshake below
	srv.StartTLS()
	defer srv.Close()
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	// Without the CA the server is not trusted.
	exp := exporterFor(t, litefuseEnv(srv.URL))
	if err := exp.ExportSpans(context.Background(), stubSpans(1, 10).Snapshots()); err == nil {
		t.Fatal("an untrusted certificate was accepted")
	}
	for _, name := range []string{"OTEL_EXPORTER_OTLP_CERTIFICATE", "OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE"} {
		env := litefuseEnv(srv.URL)
		env[name] = ca
		exp := exporterFor(t, env)
		if err := exp.ExportSpans(context.Background(), stubSpans(1, 10).Snapshots()); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if got != 2 {
		t.Errorf("%d requests reached the TLS server, want 2", got)
	}
	// A file that cannot be read is named in a warning, never a panic.
	env := litefuseEnv(srv.URL)
	env["OTEL_EXPORTER_OTLP_CERTIFICATE"] = filepath.Join(t.TempDir(), "missing.pem")
	cfg, _ := loadEnv(lookupFrom(env))
	if _, warns, err := newExporter(cfg); err != nil || len(warns) != 1 || !strings.Contains(warns[0].Error(), "OTEL_EXPORTER_OTLP_CERTIFICATE") {
		t.Errorf("missing CA file: %v %v", warns, err)
	}
}

// Row: HTTPS_PROXY / HTTP_PROXY are respected.
func TestNewExporterProxyFromEnv(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.URL.String())
		mu.Unlock()
		w.WriteHeader(http.StatusOK)
	}))
	defer proxy.Close()
	env := litefuseEnv("http://litefuse.invalid")
	env["HTTP_PROXY"] = proxy.URL
	exp := exporterFor(t, env)
	if err := exp.ExportSpans(context.Background(), stubSpans(1, 10).Snapshots()); err != nil {
		t.Fatalf("ExportSpans through the proxy: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 1 || seen[0] != "http://litefuse.invalid/api/public/otel/v1/traces" {
		t.Errorf("proxy saw %v", seen)
	}
}

// Row: a 413 from a proxy splits the batch and retries the halves; a
// single span still too large is counted Failed; requests stay under the
// (smaller) default size.
func TestRequestTooLargeSplitsTheBatch(t *testing.T) {
	recv := otlpreceiver.NewWithFault(otlpreceiver.TooLarge(20 << 10))
	defer recv.Close()
	p := newPipeline(t, recv.BaseURL(), WithFlushAt(64), WithMaxQueueSize(128), WithFlushInterval(time.Hour), WithTimeout(10*time.Second))
	emit := func(n, size int) {
		for range n {
			_, s := p.inst.tracer.Start(context.Background(), "s")
			s.SetAttributes(stubAttr(size)...)
			s.End()
		}
	}
	emit(40, 2<<10) // ~80 KB: four splits deep
	emit(1, 40<<10) // alone over the proxy's limit
	emit(9, 2<<10)
	err := p.flushWithin(t, 10*time.Second)
	st := p.inst.stats()
	if st.Exported != 49 || st.Failed != 1 || st.Dropped != 0 || st.Queued != 0 {
		t.Errorf("stats %+v: want 49 exported, the one oversized span failed", st)
	}
	if err == nil || !strings.Contains(err.Error(), "413") {
		t.Errorf("Flush: %v, want the 413 reported", err)
	}
	if n := len(recv.Spans()); n != 49 {
		t.Errorf("receiver accepted %d spans, want 49", n)
	}
}

func TestDefaultMaxRequestSize(t *testing.T) {
	recv := otlpreceiver.New()
	defer recv.Close()
	p := newPipeline(t, recv.BaseURL(), WithFlushAt(64), WithMaxQueueSize(128), WithFlushInterval(time.Hour), WithTimeout(10*time.Second))
	for range 20 {
		_, s := p.inst.tracer.Start(context.Background(), "s")
		s.SetAttributes(stubAttr(500 << 10)...)
		s.End()
	}
	if err := p.flushWithin(t, 20*time.Second); err != nil {
		t.Fatal(err)
	}
	reqs := recv.Requests()
	for i, r := range reqs {
		if len(r.Decoded) > 4<<20 {
			t.Errorf("request %d is %d bytes, over 4 MiB", i, len(r.Decoded))
		}
	}
	if st := p.inst.stats(); st.Exported != 20 || len(reqs) < 3 {
		t.Errorf("stats %+v in %d requests", st, len(reqs))
	}
}

// Row: Retry-After: 3600 holds back every request, not just one: nothing
// is sent while it runs (capped at a minute); spans wait in the queue,
// bounded, and are counted.
func TestRetryAfterHoldsEveryRequest(t *testing.T) {
	recv := otlpreceiver.New()
	defer recv.Close()
	recv.FailNext(1, http.StatusTooManyRequests, http.Header{"Retry-After": {"3600"}})
	p := newPipeline(t, recv.BaseURL(), WithTimeout(time.Second))
	p.callMany(t, 5)
	if _, err := recv.WaitSpans(0, 0); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(recv.Requests()) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	for range 15 {
		p.callMany(t, 3)
		_ = p.flushWithin(t, 100*time.Millisecond)
	}
	if n := len(recv.Requests()); n != 1 {
		t.Errorf("%d requests sent while Retry-After: 3600 held them back, want only the first", n)
	}
	st := p.inst.stats()
	checkInvariant(t, st)
	if st.Exported != 0 || st.Queued == 0 || st.Queued > 20+5 {
		t.Errorf("stats %+v: want spans held in the bounded queue", st)
	}
}

// Retry-After: 1 is waited out and the batch goes through on the retry.
func TestRetryAfterHonoured(t *testing.T) {
	recv := otlpreceiver.New()
	defer recv.Close()
	recv.FailNext(1, http.StatusTooManyRequests, http.Header{"Retry-After": {"1"}})
	p := newPipeline(t, recv.BaseURL(), WithTimeout(10*time.Second), WithFlushInterval(time.Hour))
	p.callMany(t, 1)
	if err := p.flushWithin(t, 10*time.Second); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	reqs := recv.Requests()
	if st := p.inst.stats(); st.Exported != 1 || st.Failed != 0 || len(reqs) != 2 {
		t.Fatalf("stats %+v after %d requests; want the span exported on the retry", st, len(reqs))
	}
}

// Row: a 200 with a partial-success body counts only the rejected spans
// as Failed, with one warning.
func TestPartialSuccessCountsOnlyRejected(t *testing.T) {
	recv := otlpreceiver.NewWithFault(otlpreceiver.PartialSuccess(2, "2 spans had an invalid name"))
	defer recv.Close()
	p := newPipeline(t, recv.BaseURL(), WithFlushInterval(time.Hour))
	p.callMany(t, 5)
	_ = p.flushWithin(t, 5*time.Second)
	if st := p.inst.stats(); st.Exported != 3 || st.Failed != 2 || st.Queued != 0 {
		t.Errorf("stats %+v: want 3 exported, 2 failed", st)
	}
	logs := p.logs.String()
	if p.warnings() != 1 || !strings.Contains(logs, "invalid name") || strings.Contains(logs, "export failed") {
		t.Errorf("want one warning quoting the server:\n%s", logs)
	}
}

// Row: a 200 whose body is not an OTLP response counts as Exported (the
// server took it), with a debug line only.
func TestUnparsable200CountsExported(t *testing.T) {
	recv := otlpreceiver.NewWithFault(otlpreceiver.Answer(http.StatusOK, "text/html", []byte("<html>OK \xff</html>")))
	defer recv.Close()
	p := newPipeline(t, recv.BaseURL(), WithFlushInterval(time.Hour), WithDebug(true))
	p.callMany(t, 5)
	if err := p.flushWithin(t, 5*time.Second); err != nil {
		t.Errorf("Flush: %v", err)
	}
	if st := p.inst.stats(); st.Exported != 5 || st.Failed != 0 {
		t.Errorf("stats %+v: want 5 exported", st)
	}
	if p.warnings() != 0 || !strings.Contains(p.logs.String(), "not an OTLP response") {
		t.Errorf("want no warning and one debug line:\n%s", p.logs.String())
	}
}

// Row: a 3 MB HTML error page yields bounded log lines and errors.
func TestHugeErrorPageBoundedLog(t *testing.T) {
	page := otlpreceiver.HTMLPage(3 << 20)
	recv := otlpreceiver.NewWithFault(otlpreceiver.Answer(http.StatusInternalServerError, "text/html", page))
	defer recv.Close()
	// Batches of 20: the 5 spans wait for Flush, which reports their
	// failure (with the pipeline's batches of 5 they could fail before
	// Flush began, which then had nothing to report: 1 run in 200).
	p := newPipeline(t, recv.BaseURL(), WithFlushInterval(time.Hour), WithFlushAt(20), WithDebug(true))
	p.callMany(t, 5)
	err := p.flushWithin(t, 5*time.Second)
	if err == nil {
		t.Fatal("Flush reported no error while Litefuse answered 500")
	}
	if len(err.Error()) > 1024 {
		t.Errorf("Flush error is %d bytes: %.200v", len(err.Error()), err)
	}
	for _, line := range strings.Split(p.logs.String(), "\n") {
		if len(line) > 1024 {
			t.Errorf("log line of %d bytes: %.200s…", len(line), line)
		}
	}
	if p.warnings() != 1 {
		t.Errorf("want one warning:\n%s", p.logs.String())
	}
	if st := p.inst.stats(); st.Failed != 5 {
		t.Errorf("stats %+v: want 5 failed", st)
	}
}

// Row: OTEL_EXPORTER_OTLP_HEADERS go to a Collector gateway only, never
// to Litefuse's own endpoint.
func TestOTLPHeadersOnlyForGateway(t *testing.T) {
	recv := otlpreceiver.New()
	defer recv.Close()
	vendor := map[string]string{envOTLPHeaders: "x-honeycomb-team=hc-vendor-key-123", envOTLPTracesHeaders: "x-other=other-vendor-key"}
	env := litefuseEnv(recv.BaseURL())
	for k, v := range vendor {
		env[k] = v
	}
	exp := exporterFor(t, env)
	if err := exp.ExportSpans(context.Background(), stubSpans(1, 10).Snapshots()); err != nil {
		t.Fatal(err)
	}
	gw := map[string]string{envOTLPTracesEndpoint: recv.BaseURL() + otlpreceiver.TracesPath}
	for k, v := range vendor {
		gw[k] = v
	}
	exp = exporterFor(t, gw)
	if err := exp.ExportSpans(context.Background(), stubSpans(1, 10).Snapshots()); err != nil {
		t.Fatal(err)
	}
	reqs := recv.Requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests", len(reqs))
	}
	if reqs[0].Header.Get("x-honeycomb-team") != "" || reqs[0].Header.Get("x-other") != "" {
		t.Errorf("Litefuse got the application's vendor headers: %v", reqs[0].Header)
	}
	if reqs[1].Header.Get("x-honeycomb-team") != "hc-vendor-key-123" || reqs[1].Header.Get("x-other") != "other-vendor-key" {
		t.Errorf("the gateway did not get the OTLP headers: %v", reqs[1].Header)
	}
	if reqs[1].Header.Get("Authorization") != "" {
		t.Error("Authorization sent without keys")
	}
}

// No secret (keys, Authorization, vendor header values) in an error or a
// log line, even when a server echoes them.
func TestExportErrorsCarryNoSecret(t *testing.T) {
	cfg := defaultConfig()
	cfg.apply([]Option{WithCredentials("pk-lf-1", "sk-lf-secret")})
	auth := cfg.authorization()
	echo := "you sent Authorization: " + auth + " and secret sk-lf-secret"
	recv := otlpreceiver.NewWithFault(otlpreceiver.Answer(http.StatusUnauthorized, "text/plain", []byte(echo)))
	defer recv.Close()
	logs := &syncBuffer{}
	p := newPipeline(t, recv.BaseURL(), WithFlushInterval(time.Hour), WithDebug(true),
		WithLogger(slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	p.callMany(t, 2)
	err := p.flushWithin(t, 5*time.Second)
	if err == nil {
		t.Fatal("no error")
	}
	for _, s := range []string{"sk-lf-secret", strings.TrimPrefix(auth, "Basic ")} {
		if strings.Contains(err.Error(), s) || strings.Contains(logs.String(), s) {
			t.Errorf("%q leaked:\n%v\n%s", s, err, logs.String())
		}
	}
	if !strings.Contains(logs.String(), "rejected the keys") {
		t.Errorf("no warning:\n%s", logs.String())
	}
	if errors.Is(err, context.DeadlineExceeded) {
		t.Error("the 401 was reported as a timeout")
	}
}

func stubAttr(size int) []attribute.KeyValue {
	return []attribute.KeyValue{attribute.String("langfuse.observation.input", strings.Repeat("x", size))}
}

func TestExplainExportError(t *testing.T) {
	for err, want := range map[error]string{
		&export.StatusError{Code: 401, Body: "{}"}: "rejected the keys",
		&export.StatusError{Code: 403}:             "rejected the keys",
		&export.StatusError{Code: 413}:             "WithMaxAttributeLength",
		&export.StatusError{Code: 415}:             "WithGzip(false)",
		&export.ThrottledError{Until: time.Now()}:  "throttled",
		errors.New(`Post "http://127.0.0.1:40147/x": dial tcp 127.0.0.1:40147: connect: connection refused`): "unreachable",
		&export.StatusError{Code: 500}: "litefuse: export:",
		context.DeadlineExceeded:       envTimeout,
	} {
		if got := explainExportError(fmt.Errorf("traces export: %w", err)).Error(); !strings.Contains(got, want) {
			t.Errorf("%v: %q, want it to say %q", err, got, want)
		}
	}
}
