package litefuse

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/litefuse/litefuse-go/internal/export"
)

// Review 32, G: WithBaseURL given in code wins over a gateway set by
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: the client's spans (and its
// credentials) went to the gateway. WithEndpointURL given in code still
// wins over WithBaseURL.
func TestWithBaseURLWinsOverEnvGateway(t *testing.T) {
	c, _ := loadEnv(lookupFrom(map[string]string{envOTLPTracesEndpoint: "http://127.0.0.1:4318/v1/traces"}))
	c.apply([]Option{WithBaseURL("http://127.0.0.1:3000")})
	if u, gateway, err := c.endpoint(); err != nil || gateway || !strings.HasPrefix(u, "http://127.0.0.1:3000/") {
		t.Errorf("WithBaseURL over the environment's gateway: %q, gateway %v, %v", u, gateway, err)
	}
	c, _ = loadEnv(lookupFrom(nil))
	c.apply([]Option{WithEndpointURL("http://127.0.0.1:4318/v1/traces"), WithBaseURL("http://127.0.0.1:3000")})
	if u, gateway, _ := c.endpoint(); !gateway || u != "http://127.0.0.1:4318/v1/traces" {
		t.Errorf("WithEndpointURL in code: %q, gateway %v", u, gateway)
	}
}

// Review 32, M: WithGzip(true) is the default to Litefuse: clients given
// it share the pipeline of clients that are not (one pipeline, one
// connection), as any two clients with equal effective settings do.
func TestWithGzipTrueIsTheDefaultPipeline(t *testing.T) {
	a, b := defaultConfig(), defaultConfig()
	b.apply([]Option{WithGzip(true)})
	if pipelineKey(&a) != pipelineKey(&b) {
		t.Error("WithGzip(true) gives another pipeline than the default")
	}
	b.apply([]Option{WithGzip(false)})
	if pipelineKey(&a) == pipelineKey(&b) {
		t.Error("WithGzip(false) shares the gzipping pipeline")
	}
}

// Review 32, N: the environment's warnings are logged once for the
// process, whatever number of client warnings came before (those are
// capped; these were lost past the cap).
func TestEnvWarningsNotLostPastTheClientCap(t *testing.T) {
	// The sets are the process's: the other tests get theirs back.
	clientWarned.mu.Lock()
	processWarned.mu.Lock()
	savedClient, savedProcess := clientWarned.seen, processWarned.seen
	clientWarned.seen, processWarned.seen = nil, nil
	processWarned.mu.Unlock()
	clientWarned.mu.Unlock()
	t.Cleanup(func() {
		clientWarned.mu.Lock()
		processWarned.mu.Lock()
		clientWarned.seen, processWarned.seen = savedClient, savedProcess
		processWarned.mu.Unlock()
		clientWarned.mu.Unlock()
	})
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	for i := range maxClientWarnings + 5 {
		warnClientOnce(log, fmt.Errorf("client warning %d", i))
	}
	err := errors.New(`litefuse: LANGFUSE_FLUSH_AT="abc-review32": must be a positive whole number; using 512`)
	warnProcessOnce(log, err)
	warnProcessOnce(log, err)
	emitHeldLogs()
	if n := strings.Count(buf.String(), "abc-review32"); n != 1 {
		t.Errorf("the environment's warning was logged %d times past the client cap, want once", n)
	}
}

// Review 33 (M's advice): a 415 says which fix applies: turn gzip back on
// when the request went without it, else the other way round.
func TestUnsupportedMediaTypeAdviceFollowsTheSetting(t *testing.T) {
	se := &export.StatusError{Code: 415}
	off := explainExportError(&exportError{err: se, to: target{noGzip: true}}).Error()
	on := explainExportError(&exportError{err: se, to: target{}}).Error()
	if !strings.Contains(off, "sent without gzip") || !strings.Contains(off, "turn gzip back on") {
		t.Errorf("gzip off: %s", off)
	}
	// Without gzip, the advice names what chose it and the fix that applies
	// (the default to a loopback endpoint, the OTel variable, the option).
	for _, setting := range []string{"WithGzip(false)", "WithGzip(false), or the default for a loopback endpoint", "the default for a loopback endpoint", envOTLPTracesCompr + "=none"} {
		c := defaultConfig()
		switch setting {
		case "WithGzip(false)":
			c.apply([]Option{WithGzip(false)})
		case "WithGzip(false), or the default for a loopback endpoint": // review 34: the pipeline is shared with clients that set nothing
			c.apply([]Option{WithGzip(false), WithBaseURL("http://127.0.0.1:3000")})
		case "the default for a loopback endpoint":
			c.apply([]Option{WithBaseURL("http://localhost:3000")})
		default:
			c, _ = loadEnv(lookupFrom(map[string]string{envOTLPTracesCompr: "none", envOTLPTracesEndpoint: "http://collector:4318/v1/traces"}))
		}
		msg := explainExportError(&exportError{err: se, to: targetOf(&c)}).Error()
		want := "(" + setting + "): turn gzip back on with "
		if setting == envOTLPTracesCompr+"=none" {
			want += envOTLPTracesCompr + "=gzip or "
		}
		if !strings.Contains(msg, want+"WithGzip(true)") {
			t.Errorf("gzip off by %s: %s", setting, msg)
		}
	}
	if !strings.Contains(on, "it was gzipped") || !strings.Contains(on, "WithGzip(false)") || strings.Contains(on, "back on") {
		t.Errorf("gzip on: %s", on)
	}
}
