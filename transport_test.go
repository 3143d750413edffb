package litefuse_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/litefuse/litefuse-go"
	"github.com/litefuse/litefuse-go/internal/fakeark"
	"github.com/litefuse/litefuse-go/internal/otlpreceiver"
	openai "github.com/sashabaranov/go-openai"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// A library written against go-openai takes the recording client as is.
func takesGoOpenAI(c *openai.Client) *openai.Client { return c }

var (
	_ *openai.Client = takesGoOpenAI(litefuse.NewClient("key"))
	_ *openai.Client = takesGoOpenAI(litefuse.Wrap(openai.NewClient("key")))
	_ *openai.Client = takesGoOpenAI(litefuse.NewClientWithConfig(openai.DefaultConfig("key")))
)

// flushCount flushes e's provider and returns how many spans Litefuse has.
func (e *env) flushCount(t *testing.T) int {
	t.Helper()
	if err := e.tp.ForceFlush(context.Background()); err != nil {
		t.Fatal(err)
	}
	return len(e.recv.Spans())
}

func TestWrapRecordsAndLeavesTheOriginalUnchanged(t *testing.T) {
	e := newEnv(t)
	orig := e.bare
	w := litefuse.Wrap(orig, litefuse.WithTracerProvider(e.tp))
	if w == orig {
		t.Fatal("Wrap returned the original client")
	}
	if _, err := takesGoOpenAI(w).CreateChatCompletion(context.Background(), seedRequest()); err != nil {
		t.Fatal(err)
	}
	if s := e.one(t); s.Str("langfuse.observation.type") != "generation" {
		t.Errorf("wrapped call: %v", s.Attrs)
	}
	if got := e.ark.Requests()[0].Header.Get("Authorization"); got != "Bearer "+testArkKey {
		t.Errorf("the wrapped client sent Authorization %q: it must keep c's key", got)
	}
	// The original still works and records nothing.
	if _, err := orig.CreateChatCompletion(context.Background(), seedRequest()); err != nil {
		t.Fatal(err)
	}
	if n := e.flushCount(t); n != 1 {
		t.Errorf("%d spans after a call through the original client, want 1", n)
	}
	// Wrapping a recording client records once, not twice.
	ww := litefuse.Wrap(w, litefuse.WithTracerProvider(e.tp))
	if _, err := ww.CreateChatCompletion(context.Background(), seedRequest()); err != nil {
		t.Fatal(err)
	}
	if n := e.flushCount(t); n != 2 {
		t.Errorf("%d spans after a call through Wrap(Wrap(c)), want 2", n)
	}
}

func TestWrapKeepsTheHTTPClient(t *testing.T) {
	e := newEnv(t)
	var seen atomic.Int32
	cfg := openai.DefaultConfig(testArkKey)
	cfg.BaseURL = e.ark.BaseURL()
	cfg.HTTPClient = &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		seen.Add(1)
		return http.DefaultTransport.RoundTrip(r)
	})}
	w := litefuse.Wrap(openai.NewClientWithConfig(cfg), litefuse.WithTracerProvider(e.tp))
	if _, err := w.CreateChatCompletion(context.Background(), seedRequest()); err != nil {
		t.Fatal(err)
	}
	if seen.Load() != 1 {
		t.Errorf("the client's own transport saw %d requests, want 1", seen.Load())
	}
	e.one(t)
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestPerClientOptionsTakeEffect(t *testing.T) {
	for _, tc := range []struct {
		name string
		opt  litefuse.Option
	}{
		{"WithEnabled(false)", litefuse.WithEnabled(false)},
		{"WithSampleRate(0)", litefuse.WithSampleRate(0)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			cfg := openai.DefaultConfig(testArkKey)
			cfg.BaseURL = e.ark.BaseURL()
			for _, c := range []*openai.Client{
				litefuse.Wrap(e.bare, litefuse.WithTracerProvider(e.tp), tc.opt),
				litefuse.NewClientWithConfig(cfg, litefuse.WithTracerProvider(e.tp), tc.opt),
			} {
				_, _ = c.CreateChatCompletion(context.Background(), seedRequest())
			}
			hc := &http.Client{Transport: litefuse.NewTransport(nil, litefuse.WithTracerProvider(e.tp), tc.opt)}
			resp, err := hc.Post(e.ark.BaseURL()+"/chat/completions", "application/json", strings.NewReader(`{"model":"m","messages":[]}`))
			if err != nil {
				t.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if n := e.flushCount(t); n != 0 {
				t.Errorf("%d spans recorded with %s", n, tc.name)
			}
		})
	}
}

func TestTransportRecordsPlainHTTPAndKeepsTheBase(t *testing.T) {
	e := newEnv(t)
	var base atomic.Int32
	hc := &http.Client{Transport: litefuse.NewTransport(roundTripFunc(func(r *http.Request) (*http.Response, error) {
		base.Add(1)
		return http.DefaultTransport.RoundTrip(r)
	}), litefuse.WithTracerProvider(e.tp))}
	resp, err := hc.Post(e.ark.BaseURL()+"/chat/completions", "application/json",
		strings.NewReader(`{"model":"`+fakeark.Model+`","messages":[{"role":"user","content":"hi"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), fakeark.DefaultReply().Content) {
		t.Errorf("body = %s", body)
	}
	// Another route passes through, unrecorded.
	resp, err = hc.Get(e.ark.BaseURL() + "/models")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if base.Load() != 2 {
		t.Errorf("base transport saw %d requests, want 2", base.Load())
	}
	s := e.one(t)
	if !strings.Contains(s.Str("langfuse.observation.input"), `"hi"`) || !strings.Contains(s.Str("langfuse.observation.output"), "open-source") {
		t.Errorf("plain HTTP call: %v", s.Attrs)
	}
}

// A redacting mask that edits maps in place must get copies: the caller's
// request, metadata and Observe result are never touched, and many
// concurrent calls sharing one metadata map never race.
func TestMaskNeverTouchesTheCallersData(t *testing.T) {
	e := newEnv(t, litefuse.WithMask(redactAll))
	md := map[string]any{"email": "alice@example.com", "nested": map[string]any{"card": "4111"}}
	req := seedRequest()
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			ctx := litefuse.WithGeneration(context.Background(), litefuse.Generation{Metadata: md})
			if _, err := e.client.CreateChatCompletion(ctx, req); err != nil {
				t.Error(err)
			}
		})
	}
	type result struct{ Answer map[string]any }
	out, err := litefuse.Observe(context.Background(), "step", func(context.Context) (result, error) {
		return result{Answer: map[string]any{"text": "keep me"}}, nil
	}, e.obs(litefuse.WithMask(redactAll)), litefuse.WithInput(md))
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if md["email"] != "alice@example.com" || md["nested"].(map[string]any)["card"] != "4111" {
		t.Errorf("the caller's metadata was edited: %v", md)
	}
	if out.Answer["text"] != "keep me" {
		t.Errorf("Observe's result was edited: %v", out.Answer)
	}
	if req.Messages[1].Content != "What is Litefuse?" {
		t.Errorf("the request was edited: %v", req.Messages)
	}
	for _, s := range e.spans(t, 9) {
		if strings.Contains(s.Str("langfuse.observation.metadata.email"), "alice") {
			t.Errorf("%s: mask not applied: %v", s.Name, s.Attrs)
		}
	}
}

type panicky struct{}

func (panicky) MarshalJSON() ([]byte, error) { panic("MarshalJSON bug") }

func TestObservePanickingMarshalJSON(t *testing.T) {
	e := newEnv(t)
	got, err := litefuse.Observe(context.Background(), "step", func(context.Context) (panicky, error) {
		return panicky{}, nil
	}, e.obs(), litefuse.WithInput(panicky{}), litefuse.WithMetadata(map[string]any{"p": panicky{}}))
	if err != nil || got != (panicky{}) {
		t.Fatalf("Observe = %v, %v", got, err)
	}
	s := e.one(t)
	for _, k := range []string{"langfuse.observation.input", "langfuse.observation.output", "langfuse.observation.metadata.p"} {
		if v := s.Str(k); v == "" || strings.Contains(v, "MarshalJSON bug") && !strings.Contains(v, "litefuse") {
			t.Errorf("%s = %q, want a placeholder", k, v)
		}
	}
}

func TestPropagateAttributesLeavesApplicationSpansAlone(t *testing.T) {
	e := newEnv(t)
	appExp := tracetest.NewInMemoryExporter()
	appTP := sdktrace.NewTracerProvider(sdktrace.WithSyncer(appExp))
	ctx, appSpan := appTP.Tracer("app").Start(context.Background(), "handler")
	ctx = litefuse.PropagateAttributes(ctx, litefuse.Attributes{UserID: "u-1", Metadata: map[string]string{"email": "a@b.c"}})
	if _, err := e.client.CreateChatCompletion(ctx, seedRequest()); err != nil {
		t.Fatal(err)
	}
	appSpan.End()
	for _, kv := range appExp.GetSpans()[0].Attributes {
		t.Errorf("the application's span got %s=%s", kv.Key, kv.Value.Emit())
	}
	if s := e.one(t); s.Str("user.id") != "u-1" || s.Str("langfuse.trace.metadata.email") != "a@b.c" {
		t.Errorf("generation lacks the trace attributes: %v", s.Attrs)
	}
}

func TestPropagateAttributesManyTags(t *testing.T) {
	tags := make([]string, 100_000)
	for i := range tags {
		tags[i] = "t" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + time.Duration(i).String()
	}
	ctx := litefuse.PropagateAttributes(context.Background(), litefuse.Attributes{Tags: tags})
	ctx = litefuse.PropagateAttributes(ctx, litefuse.Attributes{Tags: tags[:10]}) // duplicates merge
	e := newEnv(t)
	if _, err := e.client.CreateChatCompletion(ctx, seedRequest()); err != nil {
		t.Fatal(err)
	}
	got, _ := e.one(t).Attrs["langfuse.trace.tags"].([]string)
	if len(got) != len(tags) {
		t.Errorf("%d tags recorded, want %d", len(got), len(tags))
	}
}

func TestArkKeyNeverExported(t *testing.T) {
	e := newEnv(t)
	// Ark echoes the key in a 401 body.
	e.ark.SetReply(fakeark.Reply{Status: http.StatusUnauthorized, ErrorCode: "AuthenticationError",
		ErrorMsg: "the API key " + testArkKey + " is invalid"})
	_, err := e.client.CreateChatCompletion(context.Background(), seedRequest())
	var apiErr *openai.APIError
	if !errors.As(err, &apiErr) || !strings.Contains(apiErr.Message, testArkKey) {
		t.Fatalf("the caller must get the server's error unchanged: %v", err)
	}
	// A key in a URL query, on a call that fails to connect.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := ln.Addr().String()
	ln.Close()
	hc := &http.Client{Transport: litefuse.NewTransport(nil, litefuse.WithTracerProvider(e.tp))}
	if _, err := hc.Post("http://"+dead+"/api/v3/chat/completions?ak="+testArkKey, "application/json", strings.NewReader(`{"model":"m"}`)); err == nil {
		t.Fatal("a dead port answered")
	}
	spans := e.spans(t, 2)
	for _, s := range spans {
		for k, v := range s.Attrs {
			if strings.Contains(toString(v), testArkKey) {
				t.Errorf("%s: %s carries the Ark key: %v", s.Name, k, v)
			}
		}
		if strings.Contains(s.StatusMessage, testArkKey) {
			t.Errorf("%s: status message carries the Ark key: %s", s.Name, s.StatusMessage)
		}
		if s.Str("langfuse.observation.level") != "ERROR" {
			t.Errorf("%s: level %q", s.Name, s.Str("langfuse.observation.level"))
		}
	}
}

func toString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case []any:
		var b strings.Builder
		for _, e := range x {
			b.WriteString(toString(e))
		}
		return b.String()
	}
	return ""
}

func TestPerClientEnvironmentChecked(t *testing.T) {
	e := newEnv(t)
	logs := &logBuffer{}
	c := litefuse.Wrap(e.bare, litefuse.WithTracerProvider(e.tp), litefuse.WithEnvironment("Prod EU"), litefuse.WithLogger(logs.logger()))
	if _, err := c.CreateChatCompletion(context.Background(), seedRequest()); err != nil {
		t.Fatal(err)
	}
	if got, ok := e.one(t).Attrs["langfuse.environment"]; ok {
		t.Errorf("langfuse.environment = %v: Litefuse would file it under default", got)
	}
	if out := logs.String(); strings.Count(out, "WithEnvironment=") != 1 || !strings.Contains(out, "Prod EU") {
		t.Errorf("want one warning naming the option and value:\n%s", out)
	}
}

// An Ark key echoed in an error body must not reach Litefuse through the
// Observe span around the call either (its error is go-openai's, quoting
// the body), nor through a key sent in the query or an x-api-key header.
func TestEchoedKeysNeverExported(t *testing.T) {
	e := newEnv(t)
	e.ark.SetReply(fakeark.Reply{Status: http.StatusUnauthorized, ErrorCode: "AuthenticationError",
		ErrorMsg: "the API key " + testArkKey + " is invalid"})
	_, err := litefuse.Observe(context.Background(), "pipeline", func(ctx context.Context) (string, error) {
		_, err := e.client.CreateChatCompletion(ctx, seedRequest())
		return "", err
	}, e.obs())
	if err == nil || !strings.Contains(err.Error(), testArkKey) {
		t.Fatalf("the caller must get the server's error unchanged: %v", err)
	}
	const queryKey, headerKey = "arkQUERYSECRET987654321", "xapiHEADERSECRET12345"
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprintf(w, `{"error":{"code":"AuthenticationError","message":"The API key %s%s is invalid"}}`, r.URL.Query().Get("api_key"), r.Header.Get("x-api-key"))
	}))
	defer echo.Close()
	hc := &http.Client{Transport: litefuse.NewTransport(nil, litefuse.WithTracerProvider(e.tp))}
	resp, err := hc.Post(echo.URL+"/v1/chat/completions?api_key="+queryKey, "application/json", strings.NewReader(`{"model":"m"}`))
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	req, _ := http.NewRequest(http.MethodPost, echo.URL+"/v1/chat/completions", strings.NewReader(`{"model":"m"}`))
	req.Header.Set("x-api-key", headerKey)
	if resp, err = hc.Do(req); err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	for _, s := range e.spans(t, 4) {
		for _, secret := range []string{testArkKey, queryKey, headerKey} {
			if strings.Contains(s.StatusMessage, secret) {
				t.Errorf("%s: status message carries a key: %s", s.Name, s.StatusMessage)
			}
			for k, v := range s.Attrs {
				if strings.Contains(toString(v), secret) {
					t.Errorf("%s: %s carries a key: %v", s.Name, k, v)
				}
			}
		}
	}
}

// The mask covers the status message too: an error body may quote the
// request.
func TestMaskCoversTheStatusMessage(t *testing.T) {
	e := newEnv(t, litefuse.WithMask(func(v any) any {
		if s, ok := v.(string); ok && strings.Contains(s, "PII") {
			return "SAFE"
		}
		return v
	}))
	e.ark.SetReply(fakeark.Reply{Status: http.StatusBadRequest, ErrorCode: "InvalidParameter", ErrorMsg: `messages[1].content "PII-body-text" is invalid`})
	if _, err := e.client.CreateChatCompletion(context.Background(), seedRequest()); err == nil {
		t.Fatal("want an error")
	}
	s := e.one(t)
	if strings.Contains(s.StatusMessage, "PII") || strings.Contains(s.Str("langfuse.observation.status_message"), "PII") {
		t.Errorf("status message not masked: %q", s.StatusMessage)
	}
}

// Wrapping a recording client or transport again records once, and keeps
// the options it was built with: its mask, and WithEnabled(false).
func TestRewrapKeepsTheInnerOptions(t *testing.T) {
	e := newEnv(t)
	mask := litefuse.WithMask(func(v any) any { return "MASKED" })
	cfg := openai.DefaultConfig(testArkKey)
	cfg.BaseURL = e.ark.BaseURL()
	inner := litefuse.NewClientWithConfig(cfg, litefuse.WithTracerProvider(e.tp), mask)
	if _, err := litefuse.Wrap(inner).CreateChatCompletion(context.Background(), seedRequest()); err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Transport: litefuse.NewTransport(litefuse.NewTransport(nil, litefuse.WithTracerProvider(e.tp), mask))}
	resp, err := hc.Post(e.ark.BaseURL()+"/chat/completions", "application/json", strings.NewReader(`{"model":"m","messages":[{"role":"user","content":"PII-dbl-text"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	for _, s := range e.spans(t, 2) {
		if in := s.Str("langfuse.observation.input"); strings.Contains(in, "Litefuse") || strings.Contains(in, "PII") {
			t.Errorf("%s: the inner mask was dropped: %s", s.Name, in)
		}
	}
	off := litefuse.Wrap(litefuse.Wrap(e.bare, litefuse.WithTracerProvider(e.tp), litefuse.WithEnabled(false)))
	if _, err := off.CreateChatCompletion(context.Background(), seedRequest()); err != nil {
		t.Fatal(err)
	}
	if n := e.flushCount(t); n != 2 {
		t.Errorf("%d spans: Wrap(Wrap(c, WithEnabled(false))) recorded", n)
	}
}

// A client that asks for gzip itself (so Go does not decode it) gets the
// server's encoded bytes untouched: nothing injected, nothing removed, and
// the call is not recorded as failed.
func TestClientDecodedGzipPassesThrough(t *testing.T) {
	e := newEnv(t)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	io.WriteString(zw, `{"id":"r1","model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}]}`)
	zw.Close()
	var sawUsageAsk atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		sawUsageAsk.Store(strings.Contains(string(b), "include_usage"))
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(gz.Bytes())
	}))
	defer srv.Close()
	hc := &http.Client{Transport: litefuse.NewTransport(nil, litefuse.WithTracerProvider(e.tp))}
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/chat/completions", strings.NewReader(`{"model":"m","stream":true,"messages":[]}`))
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Equal(got, gz.Bytes()) || sawUsageAsk.Load() {
		t.Errorf("encoded answer changed (%d vs %d bytes) or usage injected (%v)", len(got), gz.Len(), sawUsageAsk.Load())
	}
	s := e.one(t)
	if s.Str("langfuse.observation.level") == "ERROR" || s.Str("langfuse.observation.metadata.output_not_recorded") == "" {
		t.Errorf("encoded answer: %v", s.Attrs)
	}
}

// Credentials and a base URL given to one client (no environment keys)
// give it a pipeline of its own, sent by the package's Flush and Shutdown.
// It runs in a child process: the pipeline it builds is the process's.
func TestClientWithItsOwnCredentials(t *testing.T) {
	ark, recv := fakeark.New(), otlpreceiver.New()
	defer ark.Close()
	defer recv.Close()
	out := runChildTest(t, "TestChildOwnCredentials", "owncredentials", "FAKE_ARK_URL="+ark.BaseURL(), "RECV_URL="+recv.BaseURL())
	if !strings.Contains(out, "OWNCREDENTIALS SHUTDOWN OK") {
		t.Fatalf("child:\n%s", out)
	}
	spans, err := recv.WaitSpans(1, 5*time.Second)
	if err != nil || len(spans) != 1 || spans[0].Str("langfuse.observation.type") != "generation" {
		t.Fatalf("client's own pipeline: %v %v", spans, err)
	}
	if got := recv.Requests()[0].Header.Get("Authorization"); !strings.HasPrefix(got, "Basic ") {
		t.Errorf("Authorization %q", got)
	}
}

func TestChildOwnCredentials(t *testing.T) {
	if os.Getenv(childEnv) != "owncredentials" {
		t.Skip("runs only as a child")
	}
	hc := litefuse.NewHTTPClient(litefuse.WithCredentials(testPublicKey, testSecretKey), litefuse.WithBaseURL(os.Getenv("RECV_URL")))
	resp, err := hc.Post(os.Getenv("FAKE_ARK_URL")+"/chat/completions", "application/json",
		strings.NewReader(`{"model":"`+fakeark.Model+`","messages":[{"role":"user","content":"hi"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	// No environment keys: the default pipeline is off and says so; the
	// client's own pipeline is flushed and shut down all the same.
	err = litefuse.Shutdown(context.Background())
	if err != nil && !strings.Contains(err.Error(), "LANGFUSE_PUBLIC_KEY") {
		t.Fatalf("Shutdown: %v", err)
	}
	t.Log("OWNCREDENTIALS SHUTDOWN OK")
}
