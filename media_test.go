package litefuse_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/litefuse/litefuse-go"
	"github.com/litefuse/litefuse-go/internal/fakeark"
	"github.com/litefuse/litefuse-go/internal/otlpreceiver"
	openai "github.com/sashabaranov/go-openai"
)

const keyInput, keyOutput = "langfuse.observation.input", "langfuse.observation.output"

// image is a payload and its data URI, media id and reference.
type image struct {
	data     []byte
	ctype    string
	uri, id  string
	ref, sum string
}

func newImage(ctype, content string) image {
	im := image{data: []byte(content), ctype: ctype}
	im.uri = "data:" + ctype + ";base64," + base64.StdEncoding.EncodeToString(im.data)
	s := sha256.Sum256(im.data)
	im.sum = base64.StdEncoding.EncodeToString(s[:])
	im.id = base64.RawURLEncoding.EncodeToString(s[:])[:22]
	im.ref = "@@@langfuseMedia:type=" + ctype + "|id=" + im.id + "|source=base64_data_uri@@@"
	return im
}

// mediaEnv is newEnv with the platform (media uploads) at the same local
// Litefuse stand-in, logging to log.
func mediaEnv(t *testing.T, opts ...litefuse.Option) (*env, *logBuffer) {
	t.Helper()
	e := newEnv(t)
	log := &logBuffer{}
	base := []litefuse.Option{
		litefuse.WithCredentials(testPublicKey, testSecretKey),
		litefuse.WithBaseURL(e.recv.BaseURL()),
		litefuse.WithLogger(log.logger()),
	}
	litefuse.UsePlatformForTest(t, 0, append(base, opts...)...)
	return e, log
}

func visionRequest(uris ...string) openai.ChatCompletionRequest {
	parts := []openai.ChatMessagePart{{Type: openai.ChatMessagePartTypeText, Text: "What is in this image?"}}
	for _, u := range uris {
		parts = append(parts, openai.ChatMessagePart{Type: openai.ChatMessagePartTypeImageURL, ImageURL: &openai.ChatMessageImageURL{URL: u, Detail: openai.ImageURLDetailLow}})
	}
	return openai.ChatCompletionRequest{
		Model:    fakeark.Model,
		Messages: []openai.ChatCompletionMessage{{Role: openai.ChatMessageRoleUser, MultiContent: parts}},
	}
}

// flushAll flushes the platform (scores and media) as Flush does, without
// the default pipeline, whose state in this process depends on other tests
// (TestMediaWithTheDefaultPipeline covers Flush and Shutdown themselves).
func flushAll(t *testing.T) error {
	t.Helper()
	return litefuse.FlushPlatform(ctxFor(t, 10*time.Second))
}

type mediaStats struct{ uploaded, failed, dropped, queued int64 }

func readMediaStats() mediaStats {
	s := litefuse.ReadStats()
	return mediaStats{s.MediaUploaded, s.MediaFailed, s.MediaDropped, s.MediaQueued}
}

func methodsOf(reqs []otlpreceiver.PlatformRequest) string {
	var out []string
	for _, r := range reqs {
		if r.Method == http.MethodPut {
			out = append(out, "PUT")
			continue
		}
		out = append(out, r.Method+" "+strings.TrimPrefix(r.Path, "/api/public/"))
	}
	return strings.Join(out, ", ")
}

func TestMediaVisionRequestIsUploadedAndReferenced(t *testing.T) {
	e, _ := mediaEnv(t)
	im := newImage("image/png", "\x89PNG\r\n\x1a\n a small picture")
	req := visionRequest(im.uri)
	before := mustJSON(t, req)

	resp, err := e.client.CreateChatCompletion(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	bare, err := e.bare.CreateChatCompletion(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	// The caller's request and result are untouched; Ark got the data URI.
	if mustJSON(t, req) != before {
		t.Fatal("the caller's request value changed")
	}
	resp.SetHeader(nil)
	bare.SetHeader(nil)
	if !reflect.DeepEqual(resp, bare) {
		t.Fatalf("traced result %+v\nbare result %+v", resp, bare)
	}
	sent := e.ark.Requests()
	if len(sent) != 2 || !bytes.Equal(sent[0].Body, sent[1].Body) || !bytes.Contains(sent[0].Body, []byte(im.uri)) {
		t.Fatalf("Ark must get the caller's bytes, data URI included:\n%s\n%s", sent[0].Body, sent[1].Body)
	}

	if err := flushAll(t); err != nil {
		t.Fatal(err)
	}
	span := e.one(t)
	input := span.Str(keyInput)
	if !strings.Contains(input, im.ref) || strings.Contains(input, "base64,") || !json.Valid([]byte(input)) {
		t.Fatalf("input %s", input)
	}
	if got := methodsOf(e.recv.PlatformRequests("")); got != "POST media, PUT, PATCH media/"+im.id {
		t.Fatalf("platform requests: %s", got)
	}
	var post map[string]any
	if err := json.Unmarshal(e.recv.PlatformRequests("/api/public/media")[0].Body, &post); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"traceId": span.TraceID, "observationId": span.SpanID, "contentType": "image/png",
		"contentLength": float64(len(im.data)), "sha256Hash": im.sum, "field": "input",
	}
	if !reflect.DeepEqual(post, want) {
		t.Fatalf("POST %v\nwant %v", post, want)
	}
	up := e.recv.Uploads()[im.id]
	if !bytes.Equal(up.Bytes, im.data) || !up.ChecksumOK || up.Authorization != "" || up.ContentType != "image/png" {
		t.Fatalf("PUT %+v", up)
	}
	if up.Patch["uploadHttpStatus"] != 200.0 || up.Patch["uploadedAt"] == nil {
		t.Fatalf("PATCH %v", up.Patch)
	}
	if st := readMediaStats(); st != (mediaStats{uploaded: 1}) {
		t.Fatalf("stats %+v", st)
	}
}

func TestMediaRepeatedImageUploadedOnce(t *testing.T) {
	e, _ := mediaEnv(t)
	im := newImage("image/jpeg", "one photo, sent with every turn")
	for range 3 { // a chat history that carries the image on every call
		if _, err := e.client.CreateChatCompletion(context.Background(), visionRequest(im.uri, im.uri)); err != nil {
			t.Fatal(err)
		}
	}
	if err := flushAll(t); err != nil {
		t.Fatal(err)
	}
	for _, s := range e.spans(t, 3) {
		if strings.Count(s.Str(keyInput), im.ref) != 2 {
			t.Fatalf("input %s", s.Str(keyInput))
		}
	}
	if got := methodsOf(e.recv.PlatformRequests("")); got != "POST media, PUT, PATCH media/"+im.id {
		t.Fatalf("platform requests: %s", got)
	}
	if st := readMediaStats(); st != (mediaStats{uploaded: 1}) {
		t.Fatalf("stats %+v", st)
	}
}

func TestMediaFailedUploadCountedReportedOnceCallUnaffected(t *testing.T) {
	e, log := mediaEnv(t)
	e.recv.FailUploadsNext(2, http.StatusForbidden)
	a, b := newImage("image/png", "first"), newImage("image/png", "second")
	for _, im := range []image{a, b} {
		resp, err := e.client.CreateChatCompletion(context.Background(), visionRequest(im.uri))
		if err != nil || resp.Choices[0].Message.Content != fakeark.DefaultReply().Content {
			t.Fatalf("the call is affected: %v %+v", err, resp)
		}
	}
	if err := flushAll(t); err == nil || !strings.Contains(err.Error(), "2 media uploads failed") {
		t.Fatalf("Flush after failed uploads: %v", err)
	}
	if st := readMediaStats(); st != (mediaStats{failed: 2}) {
		t.Fatalf("stats %+v", st)
	}
	text := log.String()
	if n := strings.Count(text, "level=WARN"); n != 1 || !strings.Contains(text, "403") {
		t.Fatalf("want one warning naming the status, got %d:\n%s", n, text)
	}
	if strings.Contains(text, "X-Amz-Signature") || strings.Contains(text, testSecretKey) || strings.Contains(text, "base64") {
		t.Fatalf("the log quotes a secret or the payload:\n%s", text)
	}
	if len(text) > 2000 {
		t.Fatalf("log lines are bounded: %d bytes", len(text))
	}
	// Litefuse is told of the failed upload.
	if p := e.recv.Uploads()[a.id].Patch; p["uploadHttpStatus"] != 403.0 {
		t.Fatalf("PATCH %v", p)
	}
}

func TestMediaQueueFullDropsAndCallsNeverBlock(t *testing.T) {
	e := newEnv(t)
	log := &logBuffer{}
	first := newImage("image/png", strings.Repeat("a", 600))
	// Room for one payload: the upload of the first hangs, the rest drop.
	litefuse.UseMediaLimitsForTest(t, 1000,
		litefuse.WithCredentials(testPublicKey, testSecretKey),
		litefuse.WithBaseURL(hangServer(t)),
		litefuse.WithTimeout(30*time.Second),
		litefuse.WithLogger(log.logger()))
	start := time.Now()
	for i := range 4 {
		im := first
		if i > 0 {
			im = newImage("image/png", strings.Repeat(string(rune('b'+i)), 600))
		}
		if _, err := e.client.CreateChatCompletion(context.Background(), visionRequest(im.uri)); err != nil {
			t.Fatal(err)
		}
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("4 calls took %s with uploads hanging", d)
	}
	if st := readMediaStats(); st != (mediaStats{dropped: 3, queued: 1}) {
		t.Fatalf("stats %+v", st)
	}
	for _, s := range e.spans(t, 4) {
		if strings.Contains(s.Str(keyInput), "base64,") {
			t.Fatalf("a dropped upload still keeps its payload out of the span: %s", s.Str(keyInput))
		}
	}
	if !strings.Contains(log.String(), "dropping media uploads") {
		t.Fatalf("log:\n%s", log)
	}
	// Shutdown gives up at its deadline: everything is counted, nothing runs.
	if err := litefuse.ShutdownPlatform(ctxFor(t, 100*time.Millisecond)); err == nil {
		t.Fatal("Shutdown should report the upload it could not finish")
	}
	st := readMediaStats()
	if st.queued != 0 || st.uploaded+st.failed+st.dropped != 4 {
		t.Fatalf("after Shutdown: %+v", st)
	}
	noPlatformGoroutines(t)
}

func TestMediaFlushWaitsForUploads(t *testing.T) {
	e, _ := mediaEnv(t)
	e.recv.FailPlatformNext(1, http.StatusTooManyRequests, http.Header{"Retry-After": {"1"}})
	im := newImage("image/webp", "a webp")
	if _, err := e.client.CreateChatCompletion(context.Background(), visionRequest(im.uri)); err != nil {
		t.Fatal(err)
	}
	if err := litefuse.FlushPlatform(ctxFor(t, 200*time.Millisecond)); err == nil || !strings.Contains(err.Error(), "1 still queued") {
		t.Fatalf("a Flush past its deadline: %v", err)
	}
	if err := flushAll(t); err != nil {
		t.Fatal(err)
	}
	if st := readMediaStats(); st != (mediaStats{uploaded: 1}) {
		t.Fatalf("stats %+v", st)
	}
	if _, ok := e.recv.Uploads()[im.id]; !ok {
		t.Fatal("not uploaded")
	}
	if err := litefuse.ShutdownPlatform(ctxFor(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	noPlatformGoroutines(t)
}

func TestMediaInObserveInputAndOutput(t *testing.T) {
	e, _ := mediaEnv(t)
	in, out := newImage("image/gif", "a gif"), newImage("audio/wav", "RIFF a wav")
	arg := map[string]any{"prompt": "describe", "image": in.uri}
	got, err := litefuse.Observe(context.Background(), "describe", func(ctx context.Context) (map[string]string, error) {
		return map[string]string{"speech": out.uri}, nil
	}, litefuse.WithInput(arg), litefuse.WithObserveOptions(litefuse.WithTracerProvider(e.tp)))
	if err != nil || got["speech"] != out.uri || arg["image"] != in.uri {
		t.Fatalf("the caller's values changed: %v %v %v", got, err, arg)
	}
	if err := flushAll(t); err != nil {
		t.Fatal(err)
	}
	s := e.one(t)
	if !strings.Contains(s.Str(keyInput), in.ref) || !strings.Contains(s.Str(keyOutput), out.ref) || strings.Contains(s.Str(keyInput)+s.Str(keyOutput), "base64,") {
		t.Fatalf("input %s output %s", s.Str(keyInput), s.Str(keyOutput))
	}
	ups := e.recv.Uploads()
	if !bytes.Equal(ups[in.id].Bytes, in.data) || !bytes.Equal(ups[out.id].Bytes, out.data) {
		t.Fatalf("uploads %+v", ups)
	}
	fields := map[string]string{}
	for _, r := range e.recv.PlatformRequests("/api/public/media") {
		var m map[string]any
		if r.Method == http.MethodPost && json.Unmarshal(r.Body, &m) == nil {
			fields[m["contentType"].(string)] = m["field"].(string)
			if m["traceId"] != s.TraceID || m["observationId"] != s.SpanID {
				t.Errorf("POST %v for span %s/%s", m, s.TraceID, s.SpanID)
			}
		}
	}
	if fields["image/gif"] != "input" || fields["audio/wav"] != "output" {
		t.Fatalf("fields %v", fields)
	}
}

func TestMediaThroughPlainHTTP(t *testing.T) {
	e, _ := mediaEnv(t)
	audio, wav := newImage("audio/mpeg", "ID3 an mp3"), newImage("audio/wav", "RIFF a wav")
	hc := litefuse.NewHTTPClient(litefuse.WithTracerProvider(e.tp))
	// A data URI, and OpenAI's input_audio part (raw base64 and a format).
	body := `{"model":"` + fakeark.Model + `","messages":[{"role":"user","content":[{"type":"text","text":"transcribe"},{"type":"audio_url","audio_url":{"url":"` + audio.uri + `"}},` +
		`{"type":"input_audio","input_audio":{"data":"` + base64.StdEncoding.EncodeToString(wav.data) + `","format":"wav"}}]}]}`
	resp, err := hc.Post(e.ark.BaseURL()+"/chat/completions", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := e.ark.Requests()[0].Body; string(got) != body {
		t.Fatalf("Ark got %s", got)
	}
	if err := flushAll(t); err != nil {
		t.Fatal(err)
	}
	if in := e.one(t).Str(keyInput); !strings.Contains(in, audio.ref) || !strings.Contains(in, `{"data":"`+wav.ref+`","format":"wav"}`) || strings.Contains(in, "base64,") {
		t.Fatalf("input %s", in)
	}
	ups := e.recv.Uploads()
	if !bytes.Equal(ups[audio.id].Bytes, audio.data) || !bytes.Equal(ups[wav.id].Bytes, wav.data) || readMediaStats() != (mediaStats{uploaded: 2}) {
		t.Fatalf("uploads %v, stats %+v", e.recv.Uploads(), readMediaStats())
	}
}

func TestMediaInlineWithoutPlatformKeys(t *testing.T) {
	e := newEnv(t)
	// The platform cannot be used (no keys): data URIs stay in the span.
	litefuse.UsePlatformForTest(t, 0, litefuse.WithBaseURL(e.recv.BaseURL()), litefuse.WithLogger(discardLogger()))
	im := newImage("image/png", "kept inline")
	if _, err := e.client.CreateChatCompletion(context.Background(), visionRequest(im.uri)); err != nil {
		t.Fatal(err)
	}
	if in := e.one(t).Str(keyInput); !strings.Contains(in, im.uri) {
		t.Fatalf("input %s", in)
	}
	if n := len(e.recv.PlatformRequests("")); n != 0 || readMediaStats() != (mediaStats{}) {
		t.Fatalf("%d platform requests, stats %+v", n, readMediaStats())
	}
}

func TestMediaNotUploadedForUnsampledCalls(t *testing.T) {
	e, _ := mediaEnv(t)
	unsampled := litefuse.NewClientWithConfig(arkConfig(e), litefuse.WithTracerProvider(e.tp), litefuse.WithSampleRate(0))
	im := newImage("image/png", "never recorded")
	if _, err := unsampled.CreateChatCompletion(context.Background(), visionRequest(im.uri)); err != nil {
		t.Fatal(err)
	}
	if err := flushAll(t); err != nil {
		t.Fatal(err)
	}
	if n := len(e.recv.PlatformRequests("")); n != 0 || readMediaStats() != (mediaStats{}) {
		t.Fatalf("%d platform requests, stats %+v", n, readMediaStats())
	}
}

func arkConfig(e *env) openai.ClientConfig {
	cfg := openai.DefaultConfig(testArkKey)
	cfg.BaseURL = e.ark.BaseURL()
	return cfg
}

// TestMediaWithTheDefaultPipeline runs a vision call and an observation in
// a child process configured only by the LANGFUSE_* environment: the
// spans the default pipeline exports reference the media its REST side
// uploaded, Flush waits for the uploads, ReadStats counts them, and
// Shutdown leaves nothing running.
func TestMediaWithTheDefaultPipeline(t *testing.T) {
	ark, recv := fakeark.New(), otlpreceiver.New()
	defer ark.Close()
	defer recv.Close()
	recv.SetKeys(testPublicKey, testSecretKey)
	out := runChildTest(t, "TestMediaChild", "media", "FAKE_ARK_URL="+ark.BaseURL(),
		"LANGFUSE_PUBLIC_KEY="+testPublicKey, "LANGFUSE_SECRET_KEY="+testSecretKey,
		"LANGFUSE_BASE_URL="+recv.BaseURL())
	if !strings.Contains(out, "STATS {uploaded:2 failed:0 dropped:0 queued:0}") || !strings.Contains(out, "NO GOROUTINES") {
		t.Fatalf("child output:\n%s", out)
	}
	im, doc := newImage("image/png", "child image"), newImage("audio/ogg", "child audio")
	spans := recv.Spans()
	if len(spans) != 2 {
		t.Fatalf("%d spans\n%s", len(spans), out)
	}
	ids := map[string]string{} // span id → the media referenced in its input
	for _, s := range spans {
		switch in := s.Str(keyInput); {
		case strings.Contains(in, im.ref):
			ids[s.SpanID] = im.id
		case strings.Contains(in, doc.ref):
			ids[s.SpanID] = doc.id
		default:
			t.Fatalf("span %s input %s", s.Name, in)
		}
	}
	for _, r := range recv.PlatformRequests("/api/public/media") {
		var m map[string]any
		if r.Method == http.MethodPost && json.Unmarshal(r.Body, &m) == nil {
			id := base64.RawURLEncoding.EncodeToString(must64(t, m["sha256Hash"].(string)))[:22]
			if ids[m["observationId"].(string)] != id {
				t.Fatalf("POST %v does not name the span that references it (%v)", m, ids)
			}
		}
	}
	if ups := recv.Uploads(); len(ups) != 2 || ups[im.id].Patch == nil || ups[doc.id].Patch == nil {
		t.Fatalf("uploads %+v", ups)
	}
}

func must64(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestMediaChild(t *testing.T) {
	if os.Getenv(childEnv) != "media" {
		t.Skip("runs only as a child of TestMediaWithTheDefaultPipeline")
	}
	cfg := openai.DefaultConfig(testArkKey)
	cfg.BaseURL = os.Getenv("FAKE_ARK_URL")
	client := litefuse.NewClientWithConfig(cfg)
	im, doc := newImage("image/png", "child image"), newImage("audio/ogg", "child audio")
	if _, err := client.CreateChatCompletion(context.Background(), visionRequest(im.uri)); err != nil {
		t.Fatal(err)
	}
	_, _ = litefuse.Observe(context.Background(), "listen", func(context.Context) (int, error) { return 1, nil },
		litefuse.WithInput([]string{doc.uri}))
	ctx := ctxFor(t, 10*time.Second)
	if err := litefuse.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("STATS %+v", readMediaStats())
	if err := litefuse.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	noPlatformGoroutines(t)
	t.Logf("NO GOROUTINES")
}

func TestMediaUploadOffRecordsInline(t *testing.T) {
	e, _ := mediaEnv(t)
	off := litefuse.NewClientWithConfig(arkConfig(e), litefuse.WithTracerProvider(e.tp), litefuse.WithMediaUpload(false))
	im := newImage("image/png", "kept inline by choice")
	if _, err := off.CreateChatCompletion(context.Background(), visionRequest(im.uri)); err != nil {
		t.Fatal(err)
	}
	_, _ = litefuse.Observe(context.Background(), "step", func(context.Context) (string, error) { return im.uri, nil },
		litefuse.WithObserveOptions(litefuse.WithTracerProvider(e.tp), litefuse.WithMediaUpload(false)))
	if err := flushAll(t); err != nil {
		t.Fatal(err)
	}
	for _, s := range e.spans(t, 2) {
		if !strings.Contains(s.Str(keyInput)+s.Str(keyOutput), im.uri) {
			t.Fatalf("span %s: input %s output %s", s.Name, s.Str(keyInput), s.Str(keyOutput))
		}
	}
	if n := len(e.recv.PlatformRequests("")); n != 0 || readMediaStats() != (mediaStats{}) {
		t.Fatalf("%d platform requests, stats %+v", n, readMediaStats())
	}
}
