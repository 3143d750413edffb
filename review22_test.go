package litefuse_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/litefuse/litefuse-go"
	"github.com/litefuse/litefuse-go/internal/fakeark"
	"github.com/litefuse/litefuse-go/internal/otlpreceiver"
	openai "github.com/sashabaranov/go-openai"
)

// Keys of the review 22 tests: each test uses its own, so that one
// remembered by an earlier test proves nothing here.
const (
	rev22KeyX = "ark-rev22-x-7f3c2a9e-1b4d-4c8e-9a2f"
	rev22KeyY = "ark-rev22-y-22222222-3333-4444-5555"
	rev22KeyB = "ark-rev22-b-0a1b2c3d-4e5f-6071-8293"
)

// noLeak fails when any export request the receiver got carries one of keys.
func (e *env) noLeak(t *testing.T, keys ...string) {
	t.Helper()
	for i, r := range e.recv.Requests() {
		for _, k := range keys {
			if j := bytes.Index(r.Decoded, []byte(k)); j >= 0 {
				lo := max(0, j-120)
				t.Errorf("export request %d carries %q: …%q…", i, k, r.Decoded[lo:min(len(r.Decoded), j+len(k)+20)])
			}
		}
	}
}

// Finding 1: provider X's error quotes X's key; the application gives
// that error to provider Y as a tool result inside one Observe; Y's
// generation must not export X's key, in input or output.
func TestToolErrorFedToAnotherProvider(t *testing.T) {
	e := newEnv(t)
	tpOpt := litefuse.WithTracerProvider(e.tp)
	arkY := fakeark.New()
	defer arkY.Close()
	cx := openai.DefaultConfig(rev22KeyX)
	cx.BaseURL = e.ark.BaseURL()
	x := litefuse.NewClientWithConfig(cx, tpOpt)
	cy := openai.DefaultConfig(rev22KeyY)
	cy.BaseURL = arkY.BaseURL()
	y := litefuse.NewClientWithConfig(cy, tpOpt)
	e.ark.SetReply(fakeark.Reply{Status: http.StatusUnauthorized, ErrorCode: "AuthenticationError", ErrorMsg: "invalid key " + rev22KeyX})
	r := fakeark.DefaultReply()
	r.Content = "The tool failed: invalid key " + rev22KeyX
	arkY.SetReply(r)
	_, err := litefuse.Observe(context.Background(), "agent", func(ctx context.Context) (string, error) {
		_, terr := x.CreateChatCompletion(ctx, seedRequest())
		if terr == nil {
			return "", errors.New("want the tool's error")
		}
		req := seedRequest()
		req.Messages = append(req.Messages, openai.ChatCompletionMessage{Role: "tool", ToolCallID: "c1", Content: "error: " + terr.Error()})
		resp, err := y.CreateChatCompletion(ctx, req)
		if err != nil {
			return "", err
		}
		return resp.Choices[0].Message.Content, nil
	}, litefuse.WithObserveOptions(tpOpt))
	if err != nil {
		t.Fatal(err)
	}
	spans := e.spans(t, 3)
	e.noLeak(t, rev22KeyX, rev22KeyY)
	// The redaction is visible: Y's generation still records the rest.
	found := false
	for _, s := range spans {
		if in, _ := s.Attrs["langfuse.observation.input"].(string); bytes.Contains([]byte(in), []byte("invalid key [REDACTED]")) {
			found = true
		}
	}
	if !found {
		t.Errorf("no generation input shows the tool's error with its key redacted")
	}
}

// Findings 2 and 3: a key echoed in an error reaches a score's Comment and
// Metadata, PropagateAttributes' tags and metadata, and an observation's
// name; none of them may export it.
func TestSecretEchoBeyondObserve(t *testing.T) {
	e := newEnv(t)
	tpOpt := litefuse.WithTracerProvider(e.tp)
	cfg := openai.DefaultConfig(rev22KeyB)
	cfg.BaseURL = e.ark.BaseURL()
	client := litefuse.NewClientWithConfig(cfg, tpOpt)
	e.ark.SetReply(fakeark.Reply{Status: http.StatusUnauthorized, ErrorCode: "AuthenticationError", ErrorMsg: "The API key " + rev22KeyB + " is invalid"})
	_, errB := client.CreateChatCompletion(context.Background(), seedRequest()) // outside any observation
	if errB == nil {
		t.Fatal("want an error")
	}
	ctx := context.Background()
	// C2: the name.
	_, obs := litefuse.StartObservation(ctx, "retry: "+errB.Error(), litefuse.WithObserveOptions(tpOpt))
	obs.End()
	// D: propagated attributes.
	pctx := litefuse.PropagateAttributes(ctx, litefuse.Attributes{Metadata: map[string]string{"last_error": errB.Error()}, UserID: "u", Tags: []string{errB.Error()}})
	_, _ = litefuse.Observe(pctx, "propagated", func(ctx context.Context) (int, error) {
		// Tagging the running observation too.
		_ = litefuse.PropagateAttributes(ctx, litefuse.Attributes{Tags: []string{"inner " + errB.Error()}})
		return 1, nil
	}, litefuse.WithObserveOptions(tpOpt))
	e.spans(t, 3)
	e.noLeak(t, rev22KeyB)
}

// Finding 2: a score's Comment and Metadata are scrubbed like what an
// observation records (the score goes to the REST side).
func TestScoreScrubsKnownKeys(t *testing.T) {
	e := newEnv(t)
	tpOpt := litefuse.WithTracerProvider(e.tp)
	cfg := openai.DefaultConfig(rev22KeyB)
	cfg.BaseURL = e.ark.BaseURL()
	client := litefuse.NewClientWithConfig(cfg, tpOpt)
	e.ark.SetReply(fakeark.Reply{Status: http.StatusUnauthorized, ErrorMsg: "bad key " + rev22KeyB})
	_, errB := client.CreateChatCompletion(context.Background(), seedRequest())
	if errB == nil {
		t.Fatal("want an error")
	}
	recv, _ := platformEnv(t, 0)
	if err := litefuse.CreateScore(context.Background(), litefuse.Score{Name: "s", TraceID: litefuse.NewTraceID(""),
		Comment: errB.Error(), Metadata: map[string]any{"e": errB.Error(), "n": fmt.Sprint(1)}}); err != nil {
		t.Fatal(err)
	}
	if err := flushScores(t); err != nil {
		t.Fatal(err)
	}
	var got []byte
	for _, r := range recv.PlatformRequests("/api/public/scores") {
		got = append(got, r.Body...)
	}
	if bytes.Contains(got, []byte(rev22KeyB)) {
		t.Errorf("the score's body carries the key: %s", got)
	}
	if !bytes.Contains(got, []byte("bad key [REDACTED]")) {
		t.Errorf("the score's body lost its comment: %s", got)
	}
}

// Finding 4: an application's slog handler that records each warning
// through the library (StartObservation) must not hang the first call,
// whose pipeline is built, with a warning, under the library's locks.
func TestLogHandlerThatRecords(t *testing.T) {
	if os.Getenv(childEnv) == "" {
		ark, recv := fakeark.New(), otlpreceiver.New()
		defer ark.Close()
		defer recv.Close()
		out := runChildTest(t, "TestLogHandlerThatRecords", "reentrant", lifecycleEnv(ark, recv, "LANGFUSE_SAMPLE_RATE=lots")...)
		if !strings.Contains(out, "RETURNED") {
			t.Fatalf("the first StartObservation never returned:\n%s", out)
		}
		// The warnings were given all the same, once the locks were released.
		for _, w := range []string{"LANGFUSE_SAMPLE_RATE", "WithSampleRate"} {
			if !strings.Contains(out, w) {
				t.Errorf("no warning naming %s:\n%s", w, out)
			}
		}
		return
	}
	slog.SetDefault(slog.New(recordingHandler{slog.NewTextHandler(os.Stdout, nil)}))
	done := make(chan struct{})
	go func() {
		_, o := litefuse.StartObservation(context.Background(), "first")
		o.End()
		// A client with its own settings: its pipeline is built under the
		// registry's lock, with a warning (a bad option).
		cfg := openai.DefaultConfig(testArkKey)
		cfg.BaseURL = os.Getenv("FAKE_ARK_URL")
		c := litefuse.NewClientWithConfig(cfg, litefuse.WithCredentials("pk-lf-other", "sk-lf-other-secret"), litefuse.WithSampleRate(7))
		_, _ = c.CreateChatCompletion(context.Background(), seedRequest())
		close(done)
	}()
	select {
	case <-done:
		fmt.Println("RETURNED")
	case <-time.After(5 * time.Second):
		buf := make([]byte, 1<<20)
		fmt.Println("HUNG\n" + string(buf[:runtime.Stack(buf, true)]))
		os.Exit(0) // Shutdown would hang too
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = litefuse.Shutdown(ctx)
}

// recordingHandler records each warning as a Litefuse event.
type recordingHandler struct{ slog.Handler }

func (h recordingHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level >= slog.LevelWarn {
		_, o := litefuse.StartObservation(ctx, "log: "+r.Message, litefuse.WithType(litefuse.TypeEvent))
		o.End()
	}
	return h.Handler.Handle(ctx, r)
}

// review22Child runs one review 22 case in a child process (Shutdown is
// final for the process) and prints what it saw.
func TestReview22Child(t *testing.T) {
	name := os.Getenv(childEnv)
	if name == "" || !strings.HasPrefix(name, "r22-") {
		t.Skip("runs only as a child of the review 22 tests")
	}
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stdout, nil)))
	bg := context.Background()
	cfg := openai.DefaultConfig(testArkKey)
	cfg.BaseURL = os.Getenv("FAKE_ARK_URL")
	switch name {
	case "r22-donectx":
		_, o := litefuse.StartObservation(bg, "x")
		o.End()
		first := litefuse.Shutdown(bg)
		ctx, cancel := context.WithCancel(bg)
		cancel()
		wrong := 0
		for range 200 {
			if err := litefuse.Shutdown(ctx); err != first {
				wrong++
			}
		}
		fmt.Printf("FIRST %v\nWRONG %d\n", first, wrong)
	case "r22-suite":
		c := litefuse.NewClientWithConfig(cfg, litefuse.WithCredentials("pk-lf-one", "sk-lf-one-secret"))
		_, _ = c.CreateChatCompletion(bg, seedRequest())
		fmt.Printf("SHUTDOWN %v\n", litefuse.Shutdown(bg))
		c2 := litefuse.NewClientWithConfig(cfg, litefuse.WithCredentials("pk-lf-two", "sk-lf-two-secret"))
		_, err := c2.CreateChatCompletion(bg, seedRequest())
		fmt.Printf("CALL %v\n", err)
		fmt.Printf("FLUSH %v\n", litefuse.Flush(bg))
	case "r22-openroot":
		ctx, root := litefuse.StartObservation(bg, "main")
		_, _ = litefuse.Observe(ctx, "step", func(ctx context.Context) (int, error) { return 1, nil })
		sctx, cancel := context.WithTimeout(bg, 5*time.Second)
		defer cancel()
		err := litefuse.Shutdown(sctx)
		st1 := litefuse.ReadStats()
		root.End()
		st2 := litefuse.ReadStats()
		fmt.Printf("SHUTDOWN %v\nLATE ended=%d dropped=%d\nSTATS ended=%d exported=%d dropped=%d failed=%d\n", err,
			st2.Ended-st1.Ended, st2.Dropped-st1.Dropped, st2.Ended, st2.Exported, st2.Dropped, st2.Failed)
	case "r22-sigctx":
		for range 5 {
			_, o := litefuse.StartObservation(bg, "x")
			o.End()
		}
		ctx, cancel := context.WithCancel(bg)
		cancel()
		err := litefuse.Shutdown(ctx)
		fmt.Printf("SHUTDOWN %q\n", fmt.Sprint(err))
	case "r22-twopipes":
		c := litefuse.NewClientWithConfig(cfg, litefuse.WithCredentials("pk-lf-b", "sk-lf-b-secret"), litefuse.WithBaseURL(os.Getenv("SLOW_URL")))
		_, _ = c.CreateChatCompletion(bg, seedRequest())
		_, o := litefuse.StartObservation(bg, "default")
		o.End()
		ctx, cancel := context.WithTimeout(bg, 300*time.Millisecond)
		defer cancel()
		fmt.Printf("SHUTDOWN %q\n", fmt.Sprint(litefuse.Shutdown(ctx)))
	default:
		t.Fatalf("unknown child %q", name)
	}
}

func runReview22(t *testing.T, name string, extra ...string) string {
	t.Helper()
	ark, recv := fakeark.New(), otlpreceiver.New()
	t.Cleanup(ark.Close)
	t.Cleanup(recv.Close)
	out := runChildTest(t, "TestReview22Child", name, lifecycleEnv(ark, recv, extra...)...)
	t.Logf("child %s:\n%s", name, out)
	return out
}

// Finding 6: a second Shutdown with a done ctx, after the first finished,
// returns the first's result, every time.
func TestSecondShutdownDoneCtx(t *testing.T) {
	out := runReview22(t, "r22-donectx")
	if got := childLine(t, out, "WRONG "); got != "0" {
		t.Errorf("%s/200 second Shutdowns with a done ctx did not return the first's result", got)
	}
}

// Finding 5: a pipeline first needed after Shutdown warns once, naming the
// fix, and ErrShutdown's text names it too.
func TestSuiteAfterShutdown(t *testing.T) {
	out := runReview22(t, "r22-suite")
	if n := strings.Count(out, "first needed after Shutdown"); n != 1 {
		t.Errorf("%d warnings that a pipeline was needed after Shutdown, want 1", n)
	}
	if !strings.Contains(out, "Flush (not Shutdown) between tests") {
		t.Errorf("the warning does not name the fix")
	}
	if got := childLine(t, out, "FLUSH "); !strings.Contains(got, "call it once at exit") {
		t.Errorf("Flush after Shutdown: %s; want ErrShutdown naming the fix", got)
	}
	if got := childLine(t, out, "CALL "); got != "<nil>" {
		t.Errorf("a call after Shutdown: %s; want it to pass through", got)
	}
}

// Finding 7: an observation open at Shutdown and ended after it is
// counted (Ended and Dropped), with one warning.
func TestSignalShutdownWithOpenRoot(t *testing.T) {
	out := runReview22(t, "r22-openroot")
	if got := childLine(t, out, "LATE "); got != "ended=1 dropped=1" {
		t.Errorf("the root ended after Shutdown: %s; want it counted Ended and Dropped", got)
	}
	if !strings.Contains(out, "ended after Shutdown") {
		t.Errorf("no warning that an observation ended after Shutdown is not sent")
	}
}

// Finding 9: Shutdown with a ctx already done says so and names the fix;
// it does not blame prompt refreshes that never ran.
func TestShutdownWithDoneSignalCtx(t *testing.T) {
	for range 3 { // the old select picked at random
		out := runReview22(t, "r22-sigctx")
		got := childLine(t, out, "SHUTDOWN ")
		if !strings.Contains(got, "ctx was already done") || !strings.Contains(got, "context.WithTimeout(context.Background(), 5*time.Second)") {
			t.Errorf("Shutdown(done ctx): %s; want it to say ctx was already done and how to fix it", got)
		}
		if strings.Contains(got, " 0 still queued") {
			t.Errorf("Shutdown(done ctx) reports a queue with nothing in it: %s", got)
		}
		if strings.Contains(got, "prompt refreshes") {
			t.Errorf("Shutdown(done ctx) blames prompt refreshes never started: %s", got)
		}
	}
}

// Finding 11: a local server's placeholder key ("lm-studio") is not a
// secret: it must not redact ordinary text that names the product; a real
// key on the same process still is redacted.
func TestPlaceholderKeyNotScrubbed(t *testing.T) {
	e := newEnv(t)
	tpOpt := litefuse.WithTracerProvider(e.tp)
	for _, k := range []string{"lm-studio", "sk-no-key-required", "not-needed"} {
		cfg := openai.DefaultConfig(k)
		cfg.BaseURL = e.ark.BaseURL()
		c := litefuse.NewClientWithConfig(cfg, tpOpt)
		if _, err := c.CreateChatCompletion(context.Background(), seedRequest()); err != nil {
			t.Fatal(err)
		}
	}
	text := "Install lm-studio, answer sk-no-key-required or not-needed"
	_, _ = litefuse.Observe(context.Background(), "docs-bot", func(ctx context.Context) (string, error) {
		return text, nil
	}, litefuse.WithInput(text), litefuse.WithObserveOptions(tpOpt))
	for _, s := range e.spans(t, 4) {
		if s.Name != "docs-bot" {
			continue
		}
		for _, k := range []string{"langfuse.observation.input", "langfuse.observation.output"} {
			if got, _ := s.Attrs[k].(string); !strings.Contains(got, text) {
				t.Errorf("%s = %s: ordinary text was redacted", k, got)
			}
		}
	}
}

// Finding 10: OTEL_EXPORTER_OTLP_CERTIFICATE is not used with
// WithHTTPClient (the client's transport decides TLS): a warning names both.
func TestCAEnvWithHTTPClientWarns(t *testing.T) {
	t.Setenv("OTEL_EXPORTER_OTLP_CERTIFICATE", "/nonexistent/ca.pem")
	recv := otlpreceiver.New()
	defer recv.Close()
	logs := &logBuffer{}
	tp, err := litefuse.NewTracerProvider(litefuse.WithCredentials(testPublicKey, testSecretKey), litefuse.WithBaseURL(recv.BaseURL()),
		litefuse.WithHTTPClient(&http.Client{Timeout: 3 * time.Second}), litefuse.WithLogger(logs.logger()))
	if err != nil {
		t.Fatal(err)
	}
	defer tp.Shutdown(context.Background())
	out := logs.String()
	if !strings.Contains(out, "OTEL_EXPORTER_OTLP_CERTIFICATE") || !strings.Contains(out, "WithHTTPClient") {
		t.Errorf("no warning naming OTEL_EXPORTER_OTLP_CERTIFICATE and WithHTTPClient:\n%s", out)
	}
}

// Finding 8: with several pipelines, Shutdown's error says which one did
// not finish (its endpoint).
func TestShutdownErrorNamesThePipeline(t *testing.T) {
	slow := otlpreceiver.NewWithFault(otlpreceiver.Slow(3 * time.Second))
	defer slow.Close()
	out := runReview22(t, "r22-twopipes", "SLOW_URL="+slow.BaseURL())
	got := childLine(t, out, "SHUTDOWN ")
	if !strings.Contains(got, "context deadline exceeded") || !strings.Contains(got, "the pipeline sending to "+slow.BaseURL()) {
		t.Errorf("Shutdown: %s; want the slow pipeline's error naming %s", got, slow.BaseURL())
	}
}

// A key pasted where the model name goes (a mixed-up configuration) is not
// in the span's default name ("chat {model}"), as it is in no attribute.
func TestKeyInModelNameNotInSpanName(t *testing.T) {
	e := newEnv(t)
	cfg := openai.DefaultConfig(rev22KeyB)
	cfg.BaseURL = e.ark.BaseURL()
	client := litefuse.NewClientWithConfig(cfg, litefuse.WithTracerProvider(e.tp))
	e.ark.SetReply(fakeark.Reply{Status: http.StatusNotFound, ErrorCode: "InvalidEndpointOrModel.NotFound", ErrorMsg: "no such model"})
	req := seedRequest()
	req.Model = rev22KeyB
	if _, err := client.CreateChatCompletion(context.Background(), req); err == nil {
		t.Fatal("want an error")
	}
	e.spans(t, 1)
	e.noLeak(t, rev22KeyB)
}
