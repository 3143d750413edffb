package litefuse_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/litefuse/litefuse-go"
	"github.com/litefuse/litefuse-go/internal/fakeark"
	"github.com/litefuse/litefuse-go/internal/otlpreceiver"
	openai "github.com/sashabaranov/go-openai"
)

// TestCallerMetadataCannotOverwriteLibraryKeys: a caller's metadata key
// that the library also writes on the span (stream_cut_short on a stream
// cut short, attempt on a retry, …) is kept under caller_<key>; the
// library's value stands. A name the library does not write on that span
// is the caller's, as given.
func TestCallerMetadataCannotOverwriteLibraryKeys(t *testing.T) {
	e := newEnv(t)
	reply := fakeark.DefaultReply()
	reply.Reasoning, reply.Pieces, reply.ChunkDelay = "", 8, 20*time.Millisecond
	e.ark.SetReply(reply)
	ctx := litefuse.WithGeneration(context.Background(), litefuse.Generation{Metadata: map[string]any{
		"stream_cut_short":               "false",
		"litefuse_dropped_metadata_keys": "7",
		"attempt":                        "9",
		"plain":                          "kept",
	}})
	st, err := e.client.CreateChatCompletionStream(ctx, seedRequest())
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := st.Recv(); err != nil {
			t.Fatal(err)
		}
	}
	_ = st.Close()
	s := e.one(t)
	const md = "langfuse.observation.metadata."
	for k, want := range map[string]string{
		"stream_cut_short":                      "true",
		"caller_stream_cut_short":               "false",
		"caller_litefuse_dropped_metadata_keys": "7",
		"caller_attempt":                        "9", // no retry here, but the library writes attempt on retries: renamed all the same
		"plain":                                 "kept",
	} {
		if got := s.Str(md + k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if v, ok := s.Attrs[md+"litefuse_dropped_metadata_keys"]; ok {
		t.Errorf("litefuse_dropped_metadata_keys = %v: the caller's value reads as the library's count", v)
	}
}

// TestCallerAttemptOnARetry: a client's retry is marked attempt=N by the
// library; the caller's own "attempt" goes under caller_attempt, or, when
// the caller set caller_attempt too, is left out and counted.
func TestCallerAttemptOnARetry(t *testing.T) {
	e := newEnv(t)
	hc := litefuse.NewHTTPClient(litefuse.WithTracerProvider(e.tp))
	for i, md := range []map[string]any{
		{"attempt": "mine"},
		{"attempt": "mine", "caller_attempt": "also mine"},
	} {
		ctx := litefuse.WithGeneration(context.Background(), litefuse.Generation{Metadata: md})
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, e.ark.BaseURL()+"/chat/completions",
			strings.NewReader(`{"model":"`+fakeark.Model+`","messages":[{"role":"user","content":"hi"}]}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+testArkKey)
		req.Header.Set("X-Stainless-Retry-Count", "2")
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		s := e.spans(t, i+1)[i]
		const p = "langfuse.observation.metadata."
		want := map[string]string{"attempt": "2", "caller_attempt": "mine"}
		if i == 1 {
			want = map[string]string{"attempt": "2", "caller_attempt": "also mine", "litefuse_dropped_metadata_keys": "1"}
		}
		for k, w := range want {
			if got := s.Str(p + k); got != w {
				t.Errorf("case %d: %s = %q, want %q", i, k, got, w)
			}
		}
	}
}

// TestObserveAndTraceMetadataCannotOverwriteLibraryKeys: the same holds
// for WithMetadata on Observe and PropagateAttributes metadata.
func TestObserveAndTraceMetadataCannotOverwriteLibraryKeys(t *testing.T) {
	e := newEnv(t)
	md := map[string]any{"litefuse_dropped_metadata_keys": "x"}
	tmd := map[string]string{"litefuse_dropped_metadata_keys": "y"}
	for i := range 70 {
		k := string(rune('a'+i%26)) + string(rune('a'+i/26))
		md[k] = "v"
		tmd[k] = "v"
	}
	ctx := litefuse.PropagateAttributes(context.Background(), litefuse.Attributes{Metadata: tmd})
	_, _ = litefuse.Observe(ctx, "step", func(context.Context) (int, error) { return 1, nil },
		litefuse.WithMetadata(md), litefuse.WithObserveOptions(litefuse.WithTracerProvider(e.tp)))
	s := e.one(t)
	if got := s.Str("langfuse.observation.metadata.litefuse_dropped_metadata_keys"); got != "7" {
		t.Errorf("observation dropped count = %q, want 7 (71 keys, 64 kept)", got)
	}
	if got := s.Str("langfuse.trace.metadata.litefuse_dropped_metadata_keys"); got != "7" {
		t.Errorf("trace dropped count = %q, want 7", got)
	}
	// The caller's values are kept, renamed, not lost under the count.
	if got := s.Str("langfuse.observation.metadata.caller_litefuse_dropped_metadata_keys"); got != "x" {
		t.Errorf("observation caller_litefuse_dropped_metadata_keys = %q, want x", got)
	}
	if got := s.Str("langfuse.trace.metadata.caller_litefuse_dropped_metadata_keys"); got != "y" {
		t.Errorf("trace caller_litefuse_dropped_metadata_keys = %q, want y", got)
	}
}

// leakOf is the longest part (6 bytes or more) of any secret found in s.
func leakOf(s string, secrets ...string) string {
	best := ""
	for _, secret := range secrets {
		for n := len(secret); n >= 6 && n > len(best); n-- {
			for i := 0; i+n <= len(secret); i++ {
				// The key format's own prefix is no part of a secret:
				// hints name it ("LANGFUSE_SECRET_KEY (sk-lf-…)").
				if c := secret[i : i+n]; c != "sk-lf-" && c != "pk-lf-" && strings.Contains(s, c) {
					best = secret[i : i+n]
					break
				}
			}
		}
	}
	return best
}

// TestExportErrorQuotesNoPartOfTheSecret: the traces endpoint answers 401
// quoting the Litefuse secret (or the Authorization value) anywhere in its
// body, 234 bytes in as reported, or after a run of spacing: neither
// Flush's error nor a log line keeps any part of it (the body used to be
// cut at 256 bytes, then scrubbed, which let the secret's first part
// through).
func TestExportErrorQuotesNoPartOfTheSecret(t *testing.T) {
	const pub, secret = "pk-lf-edge", "sk-lf-Zq9XwT4bN7cR2mK8vL5pJ3hD6fG1sA"
	auth := base64.StdEncoding.EncodeToString([]byte(pub + ":" + secret))
	var mu sync.Mutex
	var body []byte
	recv := otlpreceiver.NewWithFault(func(otlpreceiver.Request) (int, http.Header, []byte, bool) {
		mu.Lock()
		defer mu.Unlock()
		return http.StatusUnauthorized, http.Header{"Content-Type": {"text/plain"}}, body, true
	})
	defer recv.Close()
	logs := &logBuffer{}
	tp, err := litefuse.NewTracerProvider(litefuse.WithCredentials(pub, secret), litefuse.WithBaseURL(recv.BaseURL()),
		litefuse.WithFlushInterval(time.Hour), litefuse.WithDebug(true), litefuse.WithLogger(logs.logger()))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tp.Shutdown(context.Background()) }()
	type echo struct {
		pad string
		at  int
		val string
	}
	cases := []echo{{"x", 234, secret}, {"x", 234, auth}}
	for at := 200; at < 1100; at += 11 {
		cases = append(cases, echo{" ", at, secret}, echo{"\n", at + 5, auth}, echo{"ab", at / 2, secret})
	}
	for _, c := range cases {
		mu.Lock()
		body = []byte(strings.Repeat(c.pad, c.at) + c.val + strings.Repeat(" unauthorized", 100))
		mu.Unlock()
		_, _ = litefuse.Observe(context.Background(), "step", func(context.Context) (int, error) { return 1, nil },
			litefuse.WithObserveOptions(litefuse.WithTracerProvider(tp)))
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := tp.ForceFlush(ctx)
		cancel()
		if err == nil {
			t.Fatal("Flush: no error for a 401")
		}
		if l := leakOf(err.Error(), secret, auth); l != "" {
			t.Fatalf("echo after %d×%q: %q in Flush's error %q", c.at, c.pad, l, err)
		}
	}
	if l := leakOf(logs.String(), secret, auth); l != "" {
		t.Fatalf("%q in the log:\n%s", l, logs.String())
	}
	if !strings.Contains(logs.String(), "rejected the keys") {
		t.Fatalf("no warning logged; the scan proves nothing:\n%s", logs.String())
	}
}

// TestStreamHugeLineCountedNotLost: a stream whose middle chunk is 5 MiB
// on one line. The caller gets every byte; the recording keeps a prefix of
// what was sent, the bound's worth (1 MiB: "start " and the beginning of
// the middle), and counts the rest in omitted_bytes (it used to record
// "start  end", the middle silently gone).
func TestStreamHugeLineCountedNotLost(t *testing.T) {
	middle := strings.Repeat("m", 5<<20)
	chunk := func(delta string) string {
		return `data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m1","choices":[{"index":0,"delta":` + delta + `}]}` + "\n\n"
	}
	body := chunk(`{"role":"assistant","content":"start "}`) + chunk(`{"content":"`+middle+`"}`) + chunk(`{"content":" end"}`) +
		`data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m1","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}` + "\n\n" +
		"data: [DONE]\n\n"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = io.WriteString(w, body)
	}))
	defer srv.Close()
	e := newEnv(t)
	cfg := openai.DefaultConfig(testArkKey)
	cfg.BaseURL = srv.URL + "/api/v3"
	client := litefuse.NewClientWithConfig(cfg, litefuse.WithTracerProvider(e.tp))
	req := seedRequest()
	st, err := client.CreateChatCompletionStream(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	chunks, err := drain(st)
	_ = st.Close()
	if !errors.Is(err, io.EOF) {
		t.Fatal(err)
	}
	var got strings.Builder
	for _, c := range chunks {
		if len(c.Choices) > 0 {
			got.WriteString(c.Choices[0].Delta.Content)
		}
	}
	full := "start " + middle + " end"
	if got.String() != full {
		t.Fatalf("the caller got %d bytes of content, want %d", got.Len(), len(full))
	}
	s := e.one(t)
	out, _ := jsonAttr(t, s, "langfuse.observation.output").(map[string]any)
	content, _ := out["content"].(string)
	if !strings.HasPrefix(full, content) || len(content) > 1<<20 || len(content) < 1<<20-1<<10 {
		t.Errorf("recorded content (%d bytes) is not a prefix of what was sent within 1 MiB: %.40q…%q", len(content), content, content[max(0, len(content)-20):])
	}
	omitted, _ := strconv.ParseInt(s.Str("langfuse.observation.metadata.omitted_bytes"), 10, 64)
	if omitted+int64(len(content)) < int64(len(full)) {
		t.Errorf("kept %d + omitted_bytes %d < %d sent: bytes lost silently", len(content), omitted, len(full))
	}
	if s.Str("langfuse.observation.level") == "ERROR" {
		t.Errorf("recorded as failed: %v", s.Attrs["langfuse.observation.status_message"])
	}
}

// TestObserveErrorEchoingOneOfManyTenantKeys: an Observe step returns
// Ark's 401 quoting tenant A's key while 40 other tenants' keys are in use
// (the process used to remember only the last 32 keys, so A's reached the
// span's status message). Whether A's call ran under the observation's
// context or not, no exported byte carries any tenant's key.
func TestObserveErrorEchoingOneOfManyTenantKeys(t *testing.T) {
	for _, scoped := range []bool{true, false} {
		t.Run(fmt.Sprintf("call_under_observation=%v", scoped), func(t *testing.T) {
			e := newEnv(t)
			key := func(i int) string { return fmt.Sprintf("ark-tenant-%02d-%v-7f3c9a1e5b", i, scoped) }
			client := func(i int) *litefuse.Client {
				cfg := openai.DefaultConfig(key(i))
				cfg.BaseURL = e.ark.BaseURL()
				return litefuse.NewClientWithConfig(cfg, litefuse.WithTracerProvider(e.tp))
			}
			_, err := litefuse.Observe(context.Background(), "tenant A step", func(ctx context.Context) (int, error) {
				callCtx := ctx
				if !scoped {
					callCtx = context.Background()
				}
				e.ark.SetReply(fakeark.Reply{Status: http.StatusUnauthorized, ErrorCode: "AuthenticationError",
					ErrorMsg: "The API key " + key(0) + " is invalid or expired"})
				_, errA := client(0).CreateChatCompletion(callCtx, seedRequest())
				e.ark.SetReply(fakeark.DefaultReply())
				for i := 1; i <= 40; i++ { // the other tenants' traffic meanwhile
					if _, err := client(i).CreateChatCompletion(context.Background(), seedRequest()); err != nil {
						return 0, err
					}
				}
				return 0, fmt.Errorf("tenant A: %w", errA)
			}, litefuse.WithObserveOptions(litefuse.WithTracerProvider(e.tp)))
			if err == nil || !strings.Contains(err.Error(), key(0)) {
				t.Fatalf("the caller's error must stay as the server sent it: %v", err)
			}
			spans := e.spans(t, 42)
			var obs *otlpreceiver.Span
			for i := range spans {
				if spans[i].Name == "tenant A step" {
					obs = &spans[i]
				}
			}
			if obs == nil || obs.Str("langfuse.observation.level") != "ERROR" || !strings.Contains(obs.Str("langfuse.observation.status_message"), "is invalid") {
				t.Fatalf("the Observe span does not record the error: %+v", obs)
			}
			for _, r := range e.recv.Requests() {
				for i := 0; i <= 40; i++ {
					if bytes.Contains(r.Decoded, []byte(key(i))) {
						t.Errorf("tenant %d's key is in an exported request", i)
					}
				}
			}
		})
	}
}

// TestObserveScrubsKeysOfCallsNotRecorded: a call through a client with
// recording off (or a path the library does not record) still has its key
// scrubbed from the error an observation around it records.
func TestObserveScrubsKeysOfCallsNotRecorded(t *testing.T) {
	e := newEnv(t)
	const key = "ark-unrecorded-client-key-5d1e"
	cfg := openai.DefaultConfig(key)
	cfg.BaseURL = e.ark.BaseURL()
	off := litefuse.NewClientWithConfig(cfg, litefuse.WithEnabled(false))
	e.ark.SetReply(fakeark.Reply{Status: http.StatusUnauthorized, ErrorCode: "AuthenticationError", ErrorMsg: "The API key " + key + " is invalid"})
	_, err := litefuse.Observe(context.Background(), "step", func(ctx context.Context) (int, error) {
		_, err := off.CreateChatCompletion(ctx, seedRequest())
		return 0, err
	}, litefuse.WithObserveOptions(litefuse.WithTracerProvider(e.tp)))
	if err == nil || !strings.Contains(err.Error(), key) {
		t.Fatalf("the caller's error must stay as the server sent it: %v", err)
	}
	s := e.one(t)
	if msg := s.Str("langfuse.observation.status_message"); msg == "" || strings.Contains(msg, key) {
		t.Errorf("status message %q", msg)
	}
	for _, r := range e.recv.Requests() {
		if bytes.Contains(r.Decoded, []byte(key)) {
			t.Error("the key is in an exported request")
		}
	}
}
