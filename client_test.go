package litefuse_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/litefuse/litefuse-go"
	"github.com/litefuse/litefuse-go/internal/fakeark"
	"github.com/litefuse/litefuse-go/internal/otlpreceiver"
	openai "github.com/sashabaranov/go-openai"
)

func TestSeedCallRecordedOnTheWire(t *testing.T) {
	e := newEnv(t)
	reply := fakeark.DefaultReply()
	reply.FirstDelay = 30 * time.Millisecond
	e.ark.SetReply(reply)

	ctx := litefuse.WithGeneration(context.Background(), litefuse.Generation{
		Name:     "BytePlus-Generation",
		Metadata: map[string]any{"languageModel": "kimi", "attempt": 2},
	})
	req := seedRequest()
	req.Temperature = 0.7
	req.MaxTokens = 256
	before := time.Now()
	resp, err := e.client.CreateChatCompletion(ctx, req)
	after := time.Now()
	if err != nil {
		t.Fatalf("CreateChatCompletion: %v", err)
	}
	if got := resp.Choices[0].Message.Content; got != reply.Content {
		t.Fatalf("content = %q, want %q", got, reply.Content)
	}

	s := e.one(t)
	if s.Name != "BytePlus-Generation" {
		t.Errorf("name = %q", s.Name)
	}
	if s.Kind != "SPAN_KIND_CLIENT" {
		t.Errorf("kind = %s, want client", s.Kind)
	}
	if s.Scope != litefuse.ScopeName || s.ScopeVersion != litefuse.Version {
		t.Errorf("scope = %s@%s", s.Scope, s.ScopeVersion)
	}
	if s.Resource["service.name"] == nil {
		t.Errorf("resource has no service.name: %v", s.Resource)
	}
	wantStr := map[string]string{
		"langfuse.observation.type":                   "generation",
		"langfuse.observation.model.name":             fakeark.Model,
		"langfuse.observation.metadata.languageModel": "kimi",
		// The library writes "attempt" on retries: the caller's own is kept
		// beside it, renamed (review of issue 18, finding 7).
		"langfuse.observation.metadata.caller_attempt": "2",
		"gen_ai.operation.name":                        "chat",
		"gen_ai.request.model":                         fakeark.Model,
		"gen_ai.response.model":                        fakeark.Model,
		"gen_ai.response.id":                           reply.ID,
		"gen_ai.provider.name":                         "openai",
		"server.address":                               "127.0.0.1",
	}
	for k, want := range wantStr {
		if got := s.Str(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if got := s.Attrs["gen_ai.usage.input_tokens"]; got != int64(20) {
		t.Errorf("gen_ai.usage.input_tokens = %v", got)
	}
	if got := s.Attrs["gen_ai.usage.output_tokens"]; got != int64(50) {
		t.Errorf("gen_ai.usage.output_tokens = %v", got)
	}
	if got := s.Attrs["gen_ai.response.finish_reasons"]; !reflect.DeepEqual(got, []string{"stop"}) {
		t.Errorf("finish_reasons = %#v", got)
	}

	wantInput := `[{"content":"You're an AI assistant","role":"system"},{"content":"What is Litefuse?","role":"user"}]`
	if got := mustJSON(t, jsonAttr(t, s, "langfuse.observation.input")); got != wantInput {
		t.Errorf("input = %s\nwant    %s", got, wantInput)
	}
	wantOutput := mustJSON(t, map[string]any{"role": "assistant", "content": reply.Content, "reasoning_content": reply.Reasoning})
	if got := mustJSON(t, jsonAttr(t, s, "langfuse.observation.output")); got != wantOutput {
		t.Errorf("output = %s\nwant     %s", got, wantOutput)
	}
	// 20 prompt tokens of which 4 cached; 50 completion of which 12 reasoning.
	wantUsage := `{"input":16,"input_cached_tokens":4,"output":38,"output_reasoning_tokens":12,"total":70}`
	if got := mustJSON(t, jsonAttr(t, s, "langfuse.observation.usage_details")); got != wantUsage {
		t.Errorf("usage_details = %s, want %s", got, wantUsage)
	}
	wantParams := `{"max_tokens":256,"temperature":0.7}`
	if got := s.Str("langfuse.observation.model.parameters"); got != wantParams {
		t.Errorf("model.parameters = %s, want %s (exactly the parameters set)", got, wantParams)
	}
	if _, ok := s.Attrs["langfuse.observation.level"]; ok {
		t.Errorf("a successful call has level %v", s.Attrs["langfuse.observation.level"])
	}
	if s.StatusCode == "STATUS_CODE_ERROR" {
		t.Errorf("status = error on success")
	}
	// Latency: the span starts before the request and ends after the answer.
	if s.Start.Before(before) || s.End.After(after) {
		t.Errorf("span [%v, %v] outside the call [%v, %v]", s.Start, s.End, before, after)
	}
	if d := s.End.Sub(s.Start); d < reply.FirstDelay {
		t.Errorf("span lasted %v, shorter than the server's %v", d, reply.FirstDelay)
	}
}

func TestExportHeaders(t *testing.T) {
	e := newEnv(t)
	if _, err := e.client.CreateChatCompletion(context.Background(), seedRequest()); err != nil {
		t.Fatal(err)
	}
	e.one(t)
	reqs := e.recv.Requests()
	if len(reqs) == 0 {
		t.Fatal("no export request")
	}
	h := reqs[0].Header
	wantAuth := "Basic " + base64.StdEncoding.EncodeToString([]byte(testPublicKey+":"+testSecretKey))
	for k, want := range map[string]string{
		"Authorization":                wantAuth,
		"X-Langfuse-Ingestion-Version": "4",
		"X-Langfuse-Sdk-Name":          "litefuse-go",
		"X-Langfuse-Sdk-Version":       litefuse.Version,
		"Content-Type":                 "application/x-protobuf",
	} {
		if got := h.Get(k); got != want {
			t.Errorf("header %s = %q, want %q", k, got, want)
		}
	}
}

func TestResponseDeepEqualsBareGoOpenAI(t *testing.T) {
	e := newEnv(t)
	reply := fakeark.DefaultReply()
	reply.ToolCalls = []openai.ToolCall{{ID: "call_1", Type: openai.ToolTypeFunction, Function: openai.FunctionCall{Name: "get_weather", Arguments: `{"city":"Singapore"}`}}}
	e.ark.SetReply(reply)
	req := seedRequest()
	req.N = 2
	wrapped, err1 := e.client.CreateChatCompletion(context.Background(), req)
	bare, err2 := e.bare.CreateChatCompletion(context.Background(), req)
	if err1 != nil || err2 != nil {
		t.Fatalf("errors: wrapped %v, bare %v", err1, err2)
	}
	wrapped.Header().Del("Date")
	bare.Header().Del("Date")
	if !reflect.DeepEqual(wrapped, bare) {
		t.Fatalf("wrapped response differs from bare go-openai:\n%+v\n%+v", wrapped, bare)
	}
	// The request the server saw is the caller's, untouched.
	reqs := e.ark.Requests()
	if string(reqs[0].Body) != string(reqs[1].Body) {
		t.Errorf("wrapped request body differs:\n%s\n%s", reqs[0].Body, reqs[1].Body)
	}
	// Two choices are recorded as a list of assistant messages.
	out, ok := jsonAttr(t, e.one(t), "langfuse.observation.output").([]any)
	if !ok || len(out) != 2 {
		t.Fatalf("output for n=2 = %v, want a list of 2", out)
	}
	tc := out[0].(map[string]any)["tool_calls"].([]any)[0].(map[string]any)
	if tc["id"] != "call_1" || tc["type"] != "function" || tc["function"].(map[string]any)["arguments"] != `{"city":"Singapore"}` {
		t.Errorf("tool call = %v", tc)
	}
}

func TestToolsRecordedInInput(t *testing.T) {
	e := newEnv(t)
	req := seedRequest()
	req.Tools = []openai.Tool{{Type: openai.ToolTypeFunction, Function: &openai.FunctionDefinition{Name: "get_weather", Parameters: map[string]any{"type": "object"}}}}
	req.ToolChoice = "auto"
	if _, err := e.client.CreateChatCompletion(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	s := e.one(t)
	in, ok := jsonAttr(t, s, "langfuse.observation.input").(map[string]any)
	if !ok {
		t.Fatalf("input with tools = %v, want an object", s.Attrs["langfuse.observation.input"])
	}
	if len(in["messages"].([]any)) != 2 || len(in["tools"].([]any)) != 1 || in["tool_choice"] != "auto" {
		t.Errorf("input = %v", in)
	}
	// tool_choice is part of the input; no parameter was set.
	if got, ok := s.Attrs["langfuse.observation.model.parameters"]; ok {
		t.Errorf("model.parameters = %v, want none", got)
	}
}

func TestArkErrorReturnedUnchangedAndRecorded(t *testing.T) {
	for _, status := range []int{http.StatusBadRequest, http.StatusInternalServerError} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			e := newEnv(t)
			e.ark.SetReply(fakeark.Reply{Status: status, ErrorCode: "InvalidParameter", ErrorMsg: "The parameter `messages` specified in the request are not valid"})
			_, werr := e.client.CreateChatCompletion(context.Background(), seedRequest())
			_, berr := e.bare.CreateChatCompletion(context.Background(), seedRequest())
			if werr == nil {
				t.Fatal("want an error")
			}
			if !reflect.DeepEqual(werr, berr) {
				t.Fatalf("error differs from bare go-openai:\n%#v\n%#v", werr, berr)
			}
			var apiErr *openai.APIError
			if !errors.As(werr, &apiErr) || apiErr.HTTPStatusCode != status || apiErr.Code != "InvalidParameter" {
				t.Fatalf("errors.As(*openai.APIError) = %v, %+v", errors.As(werr, &apiErr), apiErr)
			}
			s := e.one(t)
			if s.Str("langfuse.observation.level") != "ERROR" {
				t.Errorf("level = %q", s.Str("langfuse.observation.level"))
			}
			want := fmt.Sprintf("%d %s: %s (InvalidParameter)", status, http.StatusText(status), apiErr.Message)
			if s.Str("langfuse.observation.status_message") != want || s.StatusMessage != want {
				t.Errorf("status message = %q / %q, want %q", s.Str("langfuse.observation.status_message"), s.StatusMessage, want)
			}
			if s.StatusCode != "STATUS_CODE_ERROR" {
				t.Errorf("OTel status = %s", s.StatusCode)
			}
			if s.Str("error.type") != "InvalidParameter" {
				t.Errorf("error.type = %q", s.Str("error.type"))
			}
			if s.Str("langfuse.observation.input") == "" {
				t.Error("input not recorded on a failed call")
			}
		})
	}
}

// redirect sends every request to the local fake, whatever host it names.
type redirect struct{ to *url.URL }

func (r redirect) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.URL.Scheme, req.URL.Host = r.to.Scheme, r.to.Host
	return http.DefaultTransport.RoundTrip(req)
}

func TestProviderFromArkHost(t *testing.T) {
	for _, tc := range []struct{ base, provider string }{
		{"https://ark.ap-southeast.bytepluses.com/api/v3", "byteplus"},
		{"https://ark.cn-beijing.volces.com/api/v3", "volcengine"},
		{"https://api.deepseek.com/v1", "deepseek"},
	} {
		t.Run(tc.provider, func(t *testing.T) {
			e := newEnv(t)
			to, _ := url.Parse(e.ark.BaseURL())
			cfg := openai.DefaultConfig(testArkKey)
			cfg.BaseURL = tc.base
			cfg.HTTPClient = &http.Client{Transport: redirect{to}}
			// Wrap reads the base URL from an existing client.
			c := litefuse.Wrap(openai.NewClientWithConfig(cfg), litefuse.WithTracerProvider(e.tp))
			if _, err := c.CreateChatCompletion(context.Background(), seedRequest()); err != nil {
				t.Fatal(err)
			}
			s := e.one(t)
			host := strings.Split(strings.TrimPrefix(tc.base, "https://"), "/")[0]
			if s.Str("gen_ai.provider.name") != tc.provider || s.Str("server.address") != host {
				t.Errorf("provider %q, server %q; want %q, %q", s.Str("gen_ai.provider.name"), s.Str("server.address"), tc.provider, host)
			}
		})
	}
}

func TestResponseModelPreferredOverEndpointID(t *testing.T) {
	e := newEnv(t)
	reply := fakeark.DefaultReply()
	reply.Model = "kimi-k2-250711"
	e.ark.SetReply(reply)
	req := seedRequest()
	req.Model = "ep-20250711123456-abcde"
	if _, err := e.client.CreateChatCompletion(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	s := e.one(t)
	if s.Str("langfuse.observation.model.name") != "kimi-k2-250711" || s.Str("gen_ai.request.model") != req.Model {
		t.Errorf("model.name %q, request model %q", s.Str("langfuse.observation.model.name"), s.Str("gen_ai.request.model"))
	}
	// An unnamed call is named after the model it shows, not the endpoint id.
	if s.Name != "chat kimi-k2-250711" {
		t.Errorf("span name %q, want the resolved model's", s.Name)
	}
}

func TestDefaultNameAndUntracedMethodsPassThrough(t *testing.T) {
	e := newEnv(t)
	if _, err := e.client.CreateChatCompletion(context.Background(), seedRequest()); err != nil {
		t.Fatal(err)
	}
	if s := e.one(t); s.Name != "chat "+fakeark.Model {
		t.Errorf("default name = %q", s.Name)
	}
	// An untraced method still reaches the server through the embedded client.
	_, err := e.client.ListModels(context.Background())
	var apiErr *openai.APIError
	if !errors.As(err, &apiErr) || apiErr.HTTPStatusCode != http.StatusNotFound {
		t.Errorf("ListModels through the embedding: %v", err)
	}
}

func TestNilClient(t *testing.T) {
	c := litefuse.Wrap(nil)
	ctx := context.Background()
	if _, err := c.CreateChatCompletion(ctx, seedRequest()); !errors.Is(err, litefuse.ErrNilClient) {
		t.Errorf("Wrap(nil) chat: %v", err)
	}
	if _, err := c.CreateChatCompletionStream(ctx, seedRequest()); !errors.Is(err, litefuse.ErrNilClient) {
		t.Errorf("Wrap(nil) stream: %v", err)
	}
	// Routes that are not recorded fail the same way, never with a panic.
	if _, err := c.ListModels(ctx); !errors.Is(err, litefuse.ErrNilClient) {
		t.Errorf("Wrap(nil) ListModels: %v", err)
	}
	if _, err := c.CreateEmbeddings(ctx, openai.EmbeddingRequest{Input: []string{"x"}, Model: "m"}); !errors.Is(err, litefuse.ErrNilClient) {
		t.Errorf("Wrap(nil) embeddings: %v", err)
	}
}

// Export to a loopback endpoint (here the local receiver) goes without gzip
// by default, and WithGzip(true) gzips it; to any other host the default
// is gzip (here a name the client dials to the same receiver). Each way
// the spans decode the same.
func TestGzipDefaultOnTheWire(t *testing.T) {
	for _, tc := range []struct {
		name     string
		byName   bool // the base URL names a host the client dials to the receiver
		gzip     *bool
		encoding string
	}{
		{"loopback", false, nil, ""},
		{"loopback, WithGzip(true)", false, ptr(true), "gzip"},
		{"a host by name", true, nil, "gzip"},
		{"a host by name, WithGzip(false)", true, ptr(false), ""},
	} {
		recv := otlpreceiver.New()
		defer recv.Close()
		opts := []litefuse.Option{litefuse.WithCredentials(testPublicKey, testSecretKey), litefuse.WithFlushInterval(time.Hour),
			litefuse.WithLogger(discardLogger()), litefuse.WithBaseURL(recv.BaseURL())}
		if tc.byName {
			u, _ := url.Parse(recv.BaseURL())
			dialer := &net.Dialer{}
			opts = append(opts, litefuse.WithBaseURL("http://litefuse.test:"+u.Port()), litefuse.WithHTTPClient(&http.Client{Transport: &http.Transport{
				DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
					return dialer.DialContext(ctx, network, u.Host)
				},
			}}))
		}
		if tc.gzip != nil {
			opts = append(opts, litefuse.WithGzip(*tc.gzip))
		}
		tp, err := litefuse.NewTracerProvider(opts...)
		if err != nil {
			t.Fatal(err)
		}
		_, span := tp.Tracer("t").Start(context.Background(), tc.name)
		span.End()
		if err := tp.Shutdown(context.Background()); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		spans, err := recv.WaitSpans(1, 5*time.Second)
		if err != nil || spans[0].Name != tc.name {
			t.Fatalf("%s: spans %v, %v", tc.name, spans, err)
		}
		reqs := recv.Requests()
		if ce := reqs[0].Header.Get("Content-Encoding"); ce != tc.encoding {
			t.Errorf("%s: Content-Encoding %q, want %q", tc.name, ce, tc.encoding)
		}
		if gz := tc.encoding == "gzip"; gz == (reqs[0].RawSize == len(reqs[0].Decoded)) {
			t.Errorf("%s: %d bytes on the wire for %d of protobuf", tc.name, reqs[0].RawSize, len(reqs[0].Decoded))
		}
	}
}

func ptr[T any](v T) *T { return &v }

// WithGzip(false) sends the protobuf as it is, without Content-Encoding,
// and it decodes as the same spans; the bytes on the wire are the
// protobuf's.
func TestExportWithoutGzip(t *testing.T) {
	e := newEnv(t, litefuse.WithGzip(false))
	if _, err := e.client.CreateChatCompletion(context.Background(), seedRequest()); err != nil {
		t.Fatal(err)
	}
	s := e.one(t)
	if s.Attrs["langfuse.observation.type"] != "generation" || s.Attrs["gen_ai.request.model"] == nil {
		t.Errorf("the span decoded as %v", s.Attrs)
	}
	reqs := e.recv.Requests()
	if len(reqs) == 0 {
		t.Fatal("no export request")
	}
	if ce := reqs[0].Header.Get("Content-Encoding"); ce != "" || reqs[0].RawSize != len(reqs[0].Decoded) {
		t.Errorf("Content-Encoding %q, %d bytes on the wire for %d of protobuf: want none, the same", ce, reqs[0].RawSize, len(reqs[0].Decoded))
	}
}
