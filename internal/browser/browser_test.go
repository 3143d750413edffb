package browser

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/litefuse/litefuse-go"
	"github.com/litefuse/litefuse-go/litefusetest"
	openai "github.com/sashabaranov/go-openai"
)

var screenshots = flag.String("screenshots", "", "write one PNG per page (list, trace, generation) into this directory, e.g. ../../docs")

// hostileAnswer is a model answer that would run script, load a resource
// or follow a link if the UI rendered it as markup.
func hostileAnswer(marker string) string {
	return `Sure! <script>alert("script ran");fetch("` + marker + `/script")</script>` +
		` <img src="` + marker + `/img" onerror="alert('onerror ran')">` +
		` <a href="javascript:fetch('` + marker + `/js')">click me</a>` +
		` [markdown](javascript:alert('md')) ![pixel](` + marker + `/md.png)` +
		` <svg onload="alert('svg')"></svg> <iframe src="` + marker + `/frame"></iframe>`
}

// hostileModel answers every chat call with the hostile answer, in the
// OpenAI wire format.
func hostileModel(t *testing.T, answer string) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"id": "chatcmpl-hostile", "object": "chat.completion", "created": time.Now().Unix(), "model": "hostile-model",
			"choices": []any{map[string]any{"index": 0, "finish_reason": "stop",
				"message": map[string]any{"role": "assistant", "content": answer}}},
			"usage": map[string]any{"prompt_tokens": 5, "completion_tokens": 7, "total_tokens": 12},
		})
	}))
	t.Cleanup(srv.Close)
	return srv
}

const pngSize = 48

// pngDataURI is a small picture, as a program would send one.
func pngDataURI() string {
	img := image.NewRGBA(image.Rect(0, 0, pngSize, pngSize))
	for x := range pngSize {
		for y := range pngSize {
			img.Set(x, y, color.RGBA{uint8(x * 5), uint8(y * 5), 220, 255})
		}
	}
	var b bytes.Buffer
	_ = png.Encode(&b, img)
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(b.Bytes())
}

// streamAll makes a streamed chat call and reads it to the end.
func streamAll(ctx context.Context, client *litefuse.Client, req openai.ChatCompletionRequest) (string, error) {
	stream, err := client.CreateChatCompletionStream(ctx, req)
	if err != nil {
		return "", err
	}
	defer stream.Close()
	var b strings.Builder
	for {
		chunk, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return b.String(), nil
		}
		if err != nil {
			return b.String(), err
		}
		if len(chunk.Choices) > 0 {
			b.WriteString(chunk.Choices[0].Delta.Content)
		}
	}
}

// byName finds a link by its whole text.
func byName(name string) string { return `//a[normalize-space()='` + name + `']` }

// inTree finds an observation's link in a trace's tree by its name (the
// link's text is its type, then its name).
func inTree(name string) string {
	return `//table[contains(@class,'tree')]//a[substring-after(normalize-space(),' ')='` + name + `']`
}

// TestLocalLitefuseInChromium is issue 19's browser test: the real
// command, the quickstart's calls, an Observe tree and a hostile answer
// recorded by the library, and what a user sees of them in Chromium.
func TestLocalLitefuseInChromium(t *testing.T) {
	tb := newTab(t)
	base, output := startLitefuse(t)
	marker := newMarker(t)

	// The list is open before anything arrives: the traces must show up
	// live, without a reload.
	tb.do(t, "open the trace list",
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(chromedp.CSS("#live.on")),
	)
	if got := tb.text(t, "#rows"); !strings.Contains(got, "No traces yet") {
		t.Errorf("a fresh server lists %q", got)
	}

	ctx := context.Background()
	if err := litefuse.Init(
		litefuse.WithCredentials("pk-lf-browser", "sk-lf-browser"),
		litefuse.WithBaseURL(base),
		litefuse.WithEnvironment("browser-test"),
		litefuse.WithPrices(map[string]litefuse.Price{litefusetest.Model: {Input: 0.6, CachedInput: 0.15, Output: 2.5}}),
	); err != nil {
		t.Fatal(err)
	}
	model := litefusetest.NewModelServer()
	defer model.Close()
	reply := litefusetest.DefaultModelReply() // paced like the quickstart's, so latency and TTFT are real
	reply.FirstDelay, reply.ChunkDelay = 40*time.Millisecond, 5*time.Millisecond
	model.SetReply(reply)
	cfg := openai.DefaultConfig("no-key-needed")
	cfg.BaseURL = model.BaseURL()
	client := litefuse.NewClientWithConfig(cfg)
	messages := []openai.ChatCompletionMessage{
		{Role: openai.ChatMessageRoleSystem, Content: "You're an AI assistant"},
		{Role: openai.ChatMessageRoleUser, Content: "What is Litefuse?"},
	}

	// The quickstart's calls: a chat and a stream.
	chat, err := client.CreateChatCompletion(litefuse.WithGeneration(ctx, litefuse.Generation{Name: "quickstart-chat"}),
		openai.ChatCompletionRequest{Model: litefusetest.Model, Messages: messages})
	if err != nil {
		t.Fatal(err)
	}
	streamed, err := streamAll(litefuse.WithGeneration(ctx, litefuse.Generation{Name: "quickstart-stream"}), client,
		openai.ChatCompletionRequest{Model: litefusetest.Model, Messages: messages})
	if err != nil {
		t.Fatal(err)
	}

	// An Observe tree: an agent, a retrieval step, then a model call.
	actx := litefuse.PropagateAttributes(ctx, litefuse.Attributes{UserID: "user-browser", SessionID: "session-browser", Tags: []string{"browser"}})
	_, err = litefuse.Observe(actx, "browser-agent", func(ctx context.Context) (string, error) {
		docs, _ := litefuse.Observe(ctx, "retrieve", func(context.Context) ([]string, error) {
			time.Sleep(20 * time.Millisecond)
			return []string{"Litefuse speaks the Langfuse protocol."}, nil
		}, litefuse.WithType(litefuse.TypeRetriever), litefuse.WithInput(map[string]any{"query": "litefuse"}))
		answer, err := streamAll(litefuse.WithGeneration(ctx, litefuse.Generation{Name: "answer"}), client,
			openai.ChatCompletionRequest{Model: litefusetest.Model, Messages: append(messages,
				openai.ChatCompletionMessage{Role: openai.ChatMessageRoleUser, MultiContent: []openai.ChatMessagePart{
					{Type: openai.ChatMessagePartTypeText, Text: "Context: " + strings.Join(docs, " ") + " And what is in this picture?"},
					{Type: openai.ChatMessagePartTypeImageURL, ImageURL: &openai.ChatMessageImageURL{URL: pngDataURI()}},
				}})})
		if err != nil {
			return "", err
		}
		// Scored while the trace runs: the score reaches Litefuse before
		// the trace's spans do.
		if err := litefuse.ScoreCurrentTrace(ctx, litefuse.Score{Name: "helpfulness", Value: 0.9, Comment: "cites its source"}); err != nil {
			t.Errorf("score: %v", err)
		}
		return answer, nil
	}, litefuse.WithType(litefuse.TypeAgent), litefuse.WithInput(map[string]any{"question": "What is Litefuse?"}))
	if err != nil {
		t.Fatal(err)
	}

	// A hostile answer.
	hcfg := openai.DefaultConfig("no-key-needed")
	hcfg.BaseURL = hostileModel(t, hostileAnswer(marker.URL)).URL + "/v1"
	if _, err := litefuse.NewClientWithConfig(hcfg).CreateChatCompletion(
		litefuse.WithGeneration(ctx, litefuse.Generation{Name: "hostile-answer"}),
		openai.ChatCompletionRequest{Model: "hostile-model", Messages: messages}); err != nil {
		t.Fatal(err)
	}
	fctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := litefuse.Flush(fctx); err != nil {
		t.Fatalf("flush to the local Litefuse: %v; its output:\n%s", err, output)
	}

	// The list: every trace by name, arrived live.
	for _, name := range []string{"quickstart-chat", "quickstart-stream", "browser-agent", "hostile-answer"} {
		tb.do(t, "find trace "+name+" in the live list", chromedp.WaitVisible(byName(name)))
	}
	tb.screenshot(t, *screenshots, "local-litefuse-list.png")

	// The trace: the Observe tree with its timeline.
	tb.do(t, "open the agent's trace", chromedp.Click(byName("browser-agent")), chromedp.WaitVisible(chromedp.CSS("table.tree")))
	tree := tb.text(t, "table.tree")
	for _, want := range []string{"AGENT", "browser-agent", "RETRIEVER", "retrieve", "GENERATION", "answer", litefusetest.Model} {
		if !strings.Contains(tree, want) {
			t.Errorf("trace tree lacks %q:\n%s", want, tree)
		}
	}
	if n := eval[int](t, tb, `document.querySelectorAll("table.tree rect.bar").length`); n != 3 {
		t.Errorf("timeline has %d bars, want 3", n)
	}
	tb.do(t, "see the trace's score", chromedp.WaitVisible(`//table[contains(@class,'scores')]//td[normalize-space()='helpfulness']`))
	if attrs := tb.text(t, "dl.attrs"); !strings.Contains(attrs, "user-browser") || !strings.Contains(attrs, "session-browser") || !strings.Contains(attrs, "browser-test") {
		t.Errorf("trace attributes lack user, session or environment:\n%s", attrs)
	}
	tb.screenshot(t, *screenshots, "local-litefuse-trace.png")

	// The open trace page takes a new score live, without a reload.
	traceID := strings.TrimPrefix(eval[string](t, tb, "location.pathname"), "/traces/")
	if err := litefuse.CreateScore(ctx, litefuse.Score{TraceID: traceID, Name: "grounded", Value: 1, DataType: litefuse.ScoreBoolean}); err != nil {
		t.Fatal(err)
	}
	tb.do(t, "see a new score arrive on the open trace page",
		chromedp.WaitVisible(`//table[contains(@class,'scores')]//td[normalize-space()='grounded']`))

	// Its generation: the picture in the input, uploaded by the library,
	// shows inline from the server's media.
	tb.do(t, "open the agent's generation", chromedp.Click(inTree("answer")), chromedp.WaitVisible(chromedp.CSS("section.chat figure.media img")))
	width := 0
	for range 50 { // the upload runs beside the export: reload until it is there
		if width = eval[int](t, tb, `(() => { const i = document.querySelector("section.chat figure.media img"); return i && i.complete ? i.naturalWidth : 0 })()`); width > 0 {
			break
		}
		time.Sleep(200 * time.Millisecond)
		tb.do(t, "reload the generation", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("section.chat figure.media img")))
	}
	if width != pngSize {
		t.Errorf("the input's picture shows %d px wide, want %d (src %s)", width, pngSize,
			eval[string](t, tb, `document.querySelector("section.chat figure.media img").getAttribute("src")`))
	}
	tb.screenshot(t, *screenshots, "local-litefuse-generation.png")

	// A generation: the streamed one, as a chat with its figures.
	tb.do(t, "open the streamed generation",
		chromedp.Navigate(base+"/"),
		chromedp.Click(byName("quickstart-stream")),
		chromedp.WaitVisible(chromedp.CSS("table.tree")),
		chromedp.Click(chromedp.CSS("table.tree td.name a")),
		chromedp.WaitVisible(chromedp.CSS("article.detail")),
	)
	detail := tb.text(t, "article.detail")
	u := chat.Usage
	cached, reasoning := 0, 0
	if u.PromptTokensDetails != nil {
		cached = u.PromptTokensDetails.CachedTokens
	}
	if u.CompletionTokensDetails != nil {
		reasoning = u.CompletionTokensDetails.ReasoningTokens
	}
	for _, want := range []string{
		chat.Model,               // model
		"You're an AI assistant", // system message
		"What is Litefuse?",      // user message
		streamed,                 // the answer
		"Time to first token",    // streamed: completionStartTime − startTime
		strconv.Itoa(u.PromptTokens-cached) + "\ninput", strconv.Itoa(cached) + "\ncached input",
		strconv.Itoa(u.CompletionTokens-reasoning) + "\noutput", strconv.Itoa(reasoning) + "\nreasoning output",
		strconv.Itoa(u.TotalTokens) + "\ntotal",
	} {
		if !strings.Contains(detail, want) {
			t.Errorf("generation page lacks %q:\n%s", want, detail)
		}
	}
	if ttft := tb.text(t, ".cards .card:nth-child(3) .v"); !strings.HasSuffix(ttft, "ms") && !strings.HasSuffix(ttft, "s") {
		t.Errorf("time to first token shows %q", ttft)
	}

	// The hostile answer: shown as the text it is; nothing runs, nothing loads.
	tb.do(t, "open the hostile generation",
		chromedp.Navigate(base+"/"),
		chromedp.Click(byName("hostile-answer")),
		chromedp.WaitVisible(chromedp.CSS("table.tree")),
		chromedp.Click(chromedp.CSS("table.tree td.name a")),
		chromedp.WaitVisible(chromedp.CSS("section.chat .msg.role-assistant")),
	)
	time.Sleep(500 * time.Millisecond) // time for anything that would run or load
	if got := tb.text(t, "section.chat .msg.role-assistant .text"); !strings.Contains(got, `<script>alert("script ran")`) || !strings.Contains(got, "onerror=") {
		t.Errorf("the hostile answer is not shown as text: %q", got)
	}
	if n := eval[int](t, tb, `document.scripts.length`); n != 1 {
		t.Errorf("%d script elements in the page, want only the UI's own", n)
	}
	if n := eval[int](t, tb, `document.querySelectorAll("[onerror],[onload],iframe,a[href^='javascript:'],img[src^='http']").length`); n != 0 {
		t.Errorf("%d hostile elements made it into the DOM", n)
	}
	if n := tb.dialogs.Load(); n != 0 {
		t.Errorf("%d dialogs opened", n)
	}
	if n := marker.hits.Load(); n != 0 {
		t.Errorf("%d requests reached the marker server: %s", n, marker.requests())
	}

	// Back on the live list, as a user is when they stop the server: the
	// command must still exit promptly on SIGINT (checked at cleanup).
	tb.do(t, "reopen the live list", chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS("#live.on")))

	for _, line := range tb.consoleLines() {
		if strings.Contains(line, "Content Security Policy") || strings.Contains(line, "Refused") {
			t.Errorf("console: %s", line)
		}
	}
}
