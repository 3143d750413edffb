package clients_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/litefuse/litefuse-go"
	"github.com/litefuse/litefuse-go/internal/fakeark"
	lfopenai "github.com/litefuse/litefuse-go/openai"
	goopenai "github.com/sashabaranov/go-openai"
)

// askTwice is a function of the application (or of a library it uses)
// that takes go-openai's own client type: a chat call and a stream. That
// the recording clients are passed to it is the compile-time proof that
// they are *goopenai.Client.
func askTwice(ctx context.Context, c *goopenai.Client) (chat, streamed string, err error) {
	req := goopenai.ChatCompletionRequest{
		Model: fakeark.Model,
		Messages: []goopenai.ChatCompletionMessage{
			{Role: goopenai.ChatMessageRoleSystem, Content: systemPrompt},
			{Role: goopenai.ChatMessageRoleUser, Content: userPrompt},
		},
	}
	resp, err := c.CreateChatCompletion(ctx, req)
	if err != nil {
		return "", "", err
	}
	stream, err := c.CreateChatCompletionStream(ctx, req)
	if err != nil {
		return "", "", err
	}
	defer stream.Close()
	var b strings.Builder
	for {
		chunk, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return "", "", err
		}
		if len(chunk.Choices) > 0 {
			b.WriteString(chunk.Choices[0].Delta.Content)
		}
	}
	return resp.Choices[0].Message.Content, b.String(), nil
}

func checkAskTwice(t *testing.T, c *goopenai.Client, reply fakeark.Reply) {
	t.Helper()
	chat, streamed, err := askTwice(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	if chat != reply.Content || streamed != reply.Content {
		t.Errorf("the caller read %q and %q, want %q", chat, streamed, reply.Content)
	}
}

// The import swap: only the import line changes, and the client still
// goes wherever a *goopenai.Client goes. It records to the default
// pipeline (litefuse.Init in TestMain).
func TestGoOpenAIImportSwap(t *testing.T) {
	w := newWorld(t)
	reply := slowReply()
	w.ark.SetReply(reply)
	before := len(defaultRecv.Spans())

	cfg := lfopenai.DefaultConfig(arkKey)
	cfg.BaseURL = w.ark.BaseURL()
	var client *lfopenai.Client = lfopenai.NewClientWithConfig(cfg)
	checkAskTwice(t, client, reply)

	spans := flushSpans(t, litefuse.Flush, defaultRecv, before+2)[before:]
	if len(spans) != 2 {
		t.Fatalf("default pipeline received %d spans, want 2:%s", len(spans), describe(spans))
	}
	for _, s := range spans {
		checkGeneration(t, s, expect{reply: reply, stream: s.Str("langfuse.observation.completion_start_time") != ""})
	}
	if got := w.spans(t, 0); len(got) != 0 {
		t.Errorf("the test's own pipeline received %d spans from the default one", len(got))
	}
}

// litefuse.Wrap returns go-openai's own client, recording; the original
// client is unchanged and records nothing.
func TestGoOpenAIWrap(t *testing.T) {
	w := newWorld(t)
	reply := slowReply()
	w.ark.SetReply(reply)
	cfg := goopenai.DefaultConfig(arkKey)
	cfg.BaseURL = w.ark.BaseURL()
	original := goopenai.NewClientWithConfig(cfg)

	checkAskTwice(t, litefuse.Wrap(original, w.opts()...), reply)
	checkAskTwice(t, original, reply) // unchanged: not recorded

	spans := w.generations(t, 2)
	streams := 0
	for _, s := range spans {
		stream := s.Str("langfuse.observation.completion_start_time") != ""
		if stream {
			streams++
		}
		checkGeneration(t, s, expect{reply: reply, stream: stream})
	}
	if streams != 1 {
		t.Errorf("%d of 2 generations are streams, want 1", streams)
	}
}

// litefuse.NewClientWithConfig, the constructor form.
func TestGoOpenAINewClientWithConfig(t *testing.T) {
	w := newWorld(t)
	reply := fakeark.DefaultReply()
	w.ark.SetReply(reply)
	cfg := goopenai.DefaultConfig(arkKey)
	cfg.BaseURL = w.ark.BaseURL()
	checkAskTwice(t, litefuse.NewClientWithConfig(cfg, w.opts()...), reply)
	for _, s := range w.generations(t, 2) {
		checkGeneration(t, s, expect{reply: reply, stream: s.Str("langfuse.observation.completion_start_time") != ""})
	}
}
