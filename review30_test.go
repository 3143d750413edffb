package litefuse_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/litefuse/litefuse-go"
	"github.com/litefuse/litefuse-go/internal/fakeark"
	openai "github.com/sashabaranov/go-openai"
)

// Review 30, F1: a huge WithMaxAttributeLength overflowed the stream
// framer's bound (2*limit + 1 MiB): the caller's Read panicked with the
// body's lock held, and a later Close (go-openai's deferred stream.Close)
// blocked for ever. Now the length is capped at 1 TiB with a warning, and
// the stream reads as bare go-openai's, recorded whole.
func TestHugeMaxAttributeLengthStreams(t *testing.T) {
	for _, n := range []int{math.MaxInt, math.MaxInt / 2, 1 << 62, math.MaxInt - 1<<20} {
		logs := &logBuffer{}
		e := newEnv(t, litefuse.WithMaxAttributeLength(n), litefuse.WithLogger(logs.logger()))
		e.ark.SetReply(fakeark.DefaultReply())
		bare, err := e.bare.CreateChatCompletionStream(context.Background(), seedRequest())
		if err != nil {
			t.Fatal(err)
		}
		want, wantErr := drain(bare)
		bare.Close()
		var got []openai.ChatCompletionStreamResponse
		var gotErr error
		done := make(chan any, 1)
		go func() {
			defer func() { done <- recover() }()
			s, err := e.client.CreateChatCompletionStream(context.Background(), seedRequest())
			if err != nil {
				gotErr = err
				return
			}
			got, gotErr = drain(s)
			s.Close()
		}()
		select {
		case p := <-done:
			if p != nil {
				t.Fatalf("WithMaxAttributeLength(%d): the stream panicked: %v", n, p)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("WithMaxAttributeLength(%d): reading and closing the stream blocks", n)
		}
		if gotErr != wantErr || !reflect.DeepEqual(got, want) {
			t.Errorf("WithMaxAttributeLength(%d): %d chunks, %v; bare: %d chunks, %v", n, len(got), gotErr, len(want), wantErr)
		}
		s := e.one(t)
		if out, _ := s.Attrs["langfuse.observation.output"].(string); !strings.Contains(out, fakeark.DefaultReply().Content) {
			t.Errorf("WithMaxAttributeLength(%d): recorded output %q", n, out)
		}
		if !strings.Contains(logs.String(), "WithMaxAttributeLength") || !strings.Contains(logs.String(), "1 TiB") {
			t.Errorf("WithMaxAttributeLength(%d): no warning naming the option and its cap: %s", n, logs.String())
		}
	}
}

// rawServer answers every request with handler; closed with t.
func rawServer(t *testing.T, handler http.HandlerFunc) string {
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	return srv.URL
}

// sseAnswer is a 2-chunk chat stream, its finish, the usage event when
// asked for, and the end line given.
func sseAnswer(usage bool, done string) string {
	chunk := func(delta, finish string) string {
		return `data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":` + delta + `,"finish_reason":` + finish + `}]}` + "\n\n"
	}
	s := chunk(`{"role":"assistant","content":"A"}`, "null") + chunk(`{"content":"B"}`, "null") + chunk(`{}`, `"stop"`)
	if usage {
		s += `data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}` + "\n\n"
	}
	return s + done
}

func streamHandler(done string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			StreamOptions *struct {
				IncludeUsage bool `json:"include_usage"`
			} `json:"stream_options"`
		}
		_ = json.NewDecoder(r.Body).Decode(&req)
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = io.WriteString(w, sseAnswer(req.StreamOptions != nil && req.StreamOptions.IncludeUsage, done))
	}
}

// Review 30, F4: "data: [DONE] " with a trailing space ends a stream for
// go-openai and openai-go; the recording took it for an event that is not
// JSON and recorded the call as failed.
func TestDoneWithTrailingSpaceEndsTheStream(t *testing.T) {
	e := newEnv(t)
	cfg := openai.DefaultConfig(testArkKey)
	cfg.BaseURL = rawServer(t, streamHandler("data: [DONE] \n\n"))
	client := litefuse.NewClientWithConfig(cfg, litefuse.WithTracerProvider(e.tp))
	s, err := client.CreateChatCompletionStream(context.Background(), seedRequest())
	if err != nil {
		t.Fatal(err)
	}
	chunks, err := drain(s)
	s.Close()
	if !errors.Is(err, io.EOF) || len(chunks) != 3 {
		t.Fatalf("caller: %d chunks, %v", len(chunks), err)
	}
	sp := e.one(t)
	if lvl, _ := sp.Attrs["langfuse.observation.level"].(string); lvl == "ERROR" {
		t.Errorf("a stream read to its normal end is recorded as failed: %v", sp.Attrs["langfuse.observation.status_message"])
	}
	if out, _ := sp.Attrs["langfuse.observation.output"].(string); !strings.Contains(out, `"AB"`) {
		t.Errorf("output %q", out)
	}
}

// Review 30, F5: two goroutines reading one stream body whose usage event
// the library hides got each byte once with bare net/http, and raced on a
// shared buffer with the library (bytes corrupted, a data race).
func TestConcurrentReadsOfAFilteredStream(t *testing.T) {
	e := newEnv(t)
	var body strings.Builder
	for i := range 2000 {
		body.WriteString(`data: {"id":"c1","choices":[{"index":0,"delta":{"content":"` + strings.Repeat(string(rune('a'+i%26)), 1+i%50) + `"}}]}` + "\n\n")
	}
	body.WriteString(`data: {"id":"c1","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}` + "\n\n")
	want := body.String() + "data: [DONE]\n\n"
	usage := `data: {"id":"c1","choices":[],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}` + "\n\n"
	base := rawServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		for s := body.String() + usage + "data: [DONE]\n\n"; len(s) > 0; {
			k := min(1000, len(s))
			_, _ = io.WriteString(w, s[:k])
			w.(http.Flusher).Flush()
			s = s[k:]
		}
	})
	hc := litefuse.NewHTTPClient(litefuse.WithTracerProvider(e.tp))
	for range 3 {
		req, _ := http.NewRequest(http.MethodPost, base+"/chat/completions", strings.NewReader(`{"model":"m","stream":true,"messages":[{"role":"user","content":"hi"}]}`))
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		var all []byte
		var wg sync.WaitGroup
		for range 2 {
			wg.Go(func() {
				buf := make([]byte, 333)
				for {
					n, err := resp.Body.Read(buf)
					mu.Lock()
					all = append(all, buf[:n]...)
					mu.Unlock()
					if err != nil {
						return
					}
				}
			})
		}
		wg.Wait()
		resp.Body.Close()
		// Reads interleave, so only the multiset of bytes can be compared.
		a, b := []byte(string(all)), []byte(want)
		slices.Sort(a)
		slices.Sort(b)
		if !bytes.Equal(a, b) {
			t.Fatalf("two readers got %d bytes, want the stream's %d (without the usage event), each once", len(all), len(want))
		}
	}
}

// Review 30, F6: a stream request answered with a JSON error kept no
// ContentLength (-1) with the library; bare net/http gives the server's.
func TestStreamRequestJSONErrorKeepsContentLength(t *testing.T) {
	e := newEnv(t)
	const answer = `{"error":{"message":"stream not supported","type":"invalid_request_error"}}`
	base := rawServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, answer)
	})
	get := func(hc *http.Client) int64 {
		req, _ := http.NewRequest(http.MethodPost, base+"/chat/completions", strings.NewReader(`{"model":"m","stream":true,"messages":[{"role":"user","content":"hi"}]}`))
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		_, _ = io.ReadAll(resp.Body)
		return resp.ContentLength
	}
	if b, w := get(&http.Client{}), get(litefuse.NewHTTPClient(litefuse.WithTracerProvider(e.tp))); b != w || b != int64(len(answer)) {
		t.Errorf("ContentLength: bare %d, with the library %d", b, w)
	}
	e.one(t)
}

// Review 30, F7: an empty answer's body is http.NoBody with bare net/http,
// and stays so with the library; the call is still recorded.
func TestEmptyAnswerBodyStaysNoBody(t *testing.T) {
	e := newEnv(t)
	base := rawServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(http.StatusOK)
	})
	get := func(hc *http.Client, stream bool) (bool, int64) {
		req, _ := http.NewRequest(http.MethodPost, base+"/chat/completions", strings.NewReader(`{"model":"m","messages":[{"role":"user","content":"hi"}],"stream":`+fmt.Sprint(stream)+`}`))
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		return resp.Body == http.NoBody, resp.ContentLength
	}
	for _, stream := range []bool{false, true} { // a stream request too: nothing is hidden, ContentLength stays 0 (review 32, K)
		b, bl := get(&http.Client{}, stream)
		w, wl := get(litefuse.NewHTTPClient(litefuse.WithTracerProvider(e.tp)), stream)
		if !b || !w || bl != wl {
			t.Errorf("stream %v: resp.Body == http.NoBody: bare %v, with the library %v; ContentLength %d and %d", stream, b, w, bl, wl)
		}
	}
	for _, sp := range e.spans(t, 2) {
		if sp.Attrs["langfuse.observation.type"] != "generation" {
			t.Errorf("the call is not recorded: %v", sp.Attrs)
		}
	}
}

// Review 31, finding 4 and review 32, F: a key put into the header map by
// hand under a name in another case ("api-key", "authorization"), an
// Authorization value with another scheme or none, and the Google and
// Azure API Management key headers are sent as they are, and a server may
// echo them in an error; each is scrubbed.
func TestNonCanonicalKeyHeaderScrubbed(t *testing.T) {
	for _, tc := range []struct{ name, prefix string }{
		{"api-key", ""}, {"x-api-key", ""}, {"authorization", "Bearer "}, {"API-KEY", ""}, {"Api-Key", ""},
		{"Authorization", ""}, {"Authorization", "Token "}, {"Authorization", "Bearer\t"}, {"authorization", "bearer  "},
		{"X-Goog-Api-Key", ""}, {"Ocp-Apim-Subscription-Key", ""},
	} {
		e := newEnv(t)
		key := "sk-rev31-" + strings.Repeat("7", 24) + strings.ToLower(tc.name) + strings.TrimSpace(tc.prefix)
		base := rawServer(t, func(w http.ResponseWriter, r *http.Request) {
			var got []string
			for k, vs := range r.Header {
				if strings.EqualFold(k, tc.name) {
					got = append(got, vs...)
				}
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, `{"error":{"message":"Incorrect API key provided: `+strings.Join(got, " ")+`","type":"invalid_request_error","code":"invalid_api_key"}}`)
		})
		req, _ := http.NewRequest(http.MethodPost, base+"/chat/completions", strings.NewReader(`{"model":"m","messages":[{"role":"user","content":"hi"}]}`))
		req.Header[tc.name] = []string{tc.prefix + key}
		resp, err := litefuse.NewHTTPClient(litefuse.WithTracerProvider(e.tp)).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(b), key) {
			t.Fatalf("%s %q: the server did not echo the key: %s", tc.name, tc.prefix, b)
		}
		e.spans(t, 1)
		e.noLeak(t, key)
	}
}

// Review 32, A: a large JSON answer with a byte encoding/json refuses
// early on (a bad escape, a stray comma) fails go-openai's decoding, which
// closes the body there; the call was recorded as a success (nothing was
// read to the end). Now it is recorded as failed.
func TestJSONAnswerRefusedEarlyRecordedAsFailure(t *testing.T) {
	pad := strings.Repeat("x", 64<<10)
	for name, answer := range map[string]string{
		"bad escape": `{"id":"c1","object":"chat.completion","model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"A\x42"},"finish_reason":"stop"}],"pad":"` + pad + `"}`,
		"syntax":     `{"id":"c1","object":"chat.completion",,"model":"m","choices":[],"pad":"` + pad + `"}`,
	} {
		e := newEnv(t)
		cfg := openai.DefaultConfig(testArkKey)
		cfg.BaseURL = rawServer(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, answer)
		})
		_, bareErr := openai.NewClientWithConfig(cfg).CreateChatCompletion(context.Background(), seedRequest())
		_, err := litefuse.NewClientWithConfig(cfg, litefuse.WithTracerProvider(e.tp)).CreateChatCompletion(context.Background(), seedRequest())
		if err == nil || bareErr == nil || err.Error() != bareErr.Error() {
			t.Fatalf("%s: error %v, bare %v", name, err, bareErr)
		}
		sp := e.one(t)
		if lvl, _ := sp.Attrs["langfuse.observation.level"].(string); lvl != "ERROR" {
			t.Errorf("%s: the client failed, the call is recorded with level %q: %v", name, lvl, sp.Attrs["langfuse.observation.status_message"])
		}
	}
}

// Review 33, K: when the library hides the usage event it asked for, the
// body is shorter than the server's Content-Length: ContentLength is -1
// and the header goes too, so that the two agree with the body.
func TestHiddenUsageEventDropsContentLengthHeader(t *testing.T) {
	e := newEnv(t)
	base := rawServer(t, func(w http.ResponseWriter, r *http.Request) {
		body := sseAnswer(true, "data: [DONE]\n\n")
		w.Header().Set("Content-Type", "text/event-stream")
		w.Header().Set("Content-Length", fmt.Sprint(len(body)))
		_, _ = io.WriteString(w, body)
	})
	req, _ := http.NewRequest(http.MethodPost, base+"/chat/completions", strings.NewReader(`{"model":"m","stream":true,"messages":[{"role":"user","content":"hi"}]}`))
	resp, err := litefuse.NewHTTPClient(litefuse.WithTracerProvider(e.tp)).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.ContentLength != -1 || resp.Header.Get("Content-Length") != "" || strings.Contains(string(b), `"usage"`) {
		t.Errorf("ContentLength %d, header %q, body has the usage event: %v", resp.ContentLength, resp.Header.Get("Content-Length"), strings.Contains(string(b), `"usage"`))
	}
	e.one(t)
}
