package litefuse

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	openai "github.com/sashabaranov/go-openai"
	"go.opentelemetry.io/otel/attribute"
)

// errCutShort ends a stream's span when the caller closes it before the end.
var errCutShort = errors.New("stream closed before the end")

// Aggregation bounds against hostile streams: indexes beyond them are
// ignored for the recorded output (the caller still gets every chunk).
const (
	maxChoices   = 128
	maxToolCalls = 128
)

// ChatCompletionStream is go-openai's chat stream, recorded: Recv, RecvRaw
// and Close behave as go-openai's, and the generation's span ends exactly
// once, at the end of the stream, at an error, at Close, or when the
// request's context is cancelled. Header and GetRateLimitHeaders come from
// the embedded stream.
type ChatCompletionStream struct {
	*openai.ChatCompletionStream

	agg       *chatAggregate // nil when the call is not recorded
	closeOnce sync.Once
	closeErr  error
}

// CreateChatCompletionStream is openai.Client.CreateChatCompletionStream,
// recorded as a generation with the whole answer, usage and time to first
// token. Unless [WithStreamUsage](false) is given, it asks the server for
// usage when the caller did not, and hides the extra usage-only chunk, so the
// caller sees the chunks it would have seen without the wrapper.
func (c *Client) CreateChatCompletionStream(ctx context.Context, req openai.ChatCompletionRequest) (*ChatCompletionStream, error) {
	if c == nil || c.Client == nil {
		return nil, ErrNilClient
	}
	spanCtx, g := c.startGeneration(ctx, opChat, typeGeneration, req.Model)
	if !g.span.IsRecording() {
		g.span.End()
		inner, err := c.Client.CreateChatCompletionStream(ctx, req)
		if err != nil {
			return nil, err
		}
		return &ChatCompletionStream{ChatCompletionStream: inner}, nil
	}
	agg := &chatAggregate{g: g, req: req}
	if c.recorder().cfg.streamUsage && (req.StreamOptions == nil || !req.StreamOptions.IncludeUsage) {
		req.StreamOptions = &openai.StreamOptions{IncludeUsage: true}
		agg.hideUsage = true
	}
	inner, err := c.Client.CreateChatCompletionStream(spanCtx, req)
	if err != nil {
		agg.finish(err)
		return nil, err
	}
	agg.mu.Lock()
	agg.stopWatch = context.AfterFunc(ctx, func() { agg.finish(context.Cause(ctx)) })
	agg.mu.Unlock()
	return &ChatCompletionStream{ChatCompletionStream: inner, agg: agg}, nil
}

// Recv returns the next chunk, exactly as go-openai's Recv.
func (s *ChatCompletionStream) Recv() (openai.ChatCompletionStreamResponse, error) {
	for {
		resp, err := s.ChatCompletionStream.Recv()
		if s.agg == nil {
			return resp, err
		}
		if err != nil {
			s.agg.finish(err)
			return resp, err
		}
		if s.agg.observe(&resp) {
			continue // the usage-only chunk the caller did not ask for
		}
		return resp, nil
	}
}

// RecvRaw returns the next chunk's raw JSON, exactly as go-openai's RecvRaw.
func (s *ChatCompletionStream) RecvRaw() ([]byte, error) {
	for {
		raw, err := s.ChatCompletionStream.RecvRaw()
		if s.agg == nil {
			return raw, err
		}
		if err != nil {
			s.agg.finish(err)
			return raw, err
		}
		var resp openai.ChatCompletionStreamResponse
		if json.Unmarshal(raw, &resp) == nil && s.agg.observe(&resp) {
			continue
		}
		return raw, nil
	}
}

// Close closes the stream. Closing before the end records the partial
// output, marked as cut short. Calling it again returns the first result.
func (s *ChatCompletionStream) Close() error {
	if s.agg != nil {
		s.agg.finish(errCutShort)
	}
	s.closeOnce.Do(func() { s.closeErr = s.ChatCompletionStream.Close() })
	return s.closeErr
}

// chatAggregate builds the generation from the chunks as they pass.
type chatAggregate struct {
	g         genCall
	req       openai.ChatCompletionRequest
	hideUsage bool
	stopWatch func() bool

	mu         sync.Mutex
	done       bool
	firstChunk time.Time
	id, model  string
	choices    []choiceAggregate
	usage      *openai.Usage
	once       sync.Once
}

type choiceAggregate struct {
	seen                        bool
	role                        string
	content, reasoning, refusal strings.Builder
	finishReason                string
	toolCalls                   []toolCallAggregate
	function                    *openai.FunctionCall
}

type toolCallAggregate struct {
	id, typ, name string
	args          strings.Builder
}

// observe folds a chunk into the aggregate and reports whether the caller
// must not see it (the injected usage-only chunk).
func (a *chatAggregate) observe(resp *openai.ChatCompletionStreamResponse) (hide bool) {
	if a.hideUsage {
		if len(resp.Choices) == 0 && resp.Usage != nil {
			hide = true
		}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.done {
		if a.hideUsage {
			resp.Usage = nil
		}
		return hide
	}
	defer guard()
	if a.firstChunk.IsZero() {
		a.firstChunk = time.Now()
	}
	if resp.ID != "" {
		a.id = resp.ID
	}
	if resp.Model != "" {
		a.model = resp.Model
	}
	if resp.Usage != nil {
		u := *resp.Usage
		a.usage = &u
		if a.hideUsage {
			resp.Usage = nil // the caller did not ask for usage
		}
	}
	for i := range resp.Choices {
		a.addChoice(&resp.Choices[i])
	}
	return hide
}

func (a *chatAggregate) addChoice(ch *openai.ChatCompletionStreamChoice) {
	if ch.Index < 0 || ch.Index >= maxChoices {
		return
	}
	if ch.Index >= len(a.choices) {
		a.choices = slices.Grow(a.choices, ch.Index+1-len(a.choices))[:ch.Index+1]
	}
	c := &a.choices[ch.Index]
	c.seen = true
	d := &ch.Delta
	if d.Role != "" {
		c.role = d.Role
	}
	c.content.WriteString(d.Content)
	c.reasoning.WriteString(d.ReasoningContent)
	c.refusal.WriteString(d.Refusal)
	if ch.FinishReason != "" && ch.FinishReason != openai.FinishReasonNull {
		c.finishReason = string(ch.FinishReason)
	}
	if d.FunctionCall != nil {
		if c.function == nil {
			c.function = &openai.FunctionCall{}
		}
		c.function.Name += d.FunctionCall.Name
		c.function.Arguments += d.FunctionCall.Arguments
	}
	for _, tc := range d.ToolCalls {
		idx := len(c.toolCalls) - 1
		switch {
		case tc.Index != nil:
			idx = *tc.Index
		case tc.ID != "" || idx < 0:
			idx = len(c.toolCalls)
		}
		if idx < 0 || idx >= maxToolCalls {
			continue
		}
		if idx >= len(c.toolCalls) {
			c.toolCalls = slices.Grow(c.toolCalls, idx+1-len(c.toolCalls))[:idx+1]
		}
		t := &c.toolCalls[idx]
		if tc.ID != "" {
			t.id = tc.ID
		}
		if tc.Type != "" {
			t.typ = string(tc.Type)
		}
		t.name += tc.Function.Name
		t.args.WriteString(tc.Function.Arguments)
	}
}

// output renders the aggregated answer: one assistant message, or a list
// when the server answered several choices.
func (a *chatAggregate) output() ([]outputMessage, []string) {
	var msgs []outputMessage
	var reasons []string
	for i := range a.choices {
		c := &a.choices[i]
		if !c.seen {
			continue
		}
		m := outputMessage{
			Role:             c.role,
			Content:          c.content.String(),
			ReasoningContent: c.reasoning.String(),
			Refusal:          c.refusal.String(),
			FunctionCall:     c.function,
		}
		if m.Role == "" {
			m.Role = openai.ChatMessageRoleAssistant
		}
		for j := range c.toolCalls {
			t := &c.toolCalls[j]
			typ := openai.ToolType(t.typ)
			if typ == "" {
				typ = openai.ToolTypeFunction
			}
			m.ToolCalls = append(m.ToolCalls, outputToolCall{ID: t.id, Type: typ, Function: openai.FunctionCall{Name: t.name, Arguments: t.args.String()}})
		}
		msgs = append(msgs, m)
		if c.finishReason != "" {
			reasons = append(reasons, c.finishReason)
		}
	}
	return msgs, reasons
}

// finish ends the span once. err is io.EOF at the normal end, errCutShort
// at an early Close, else the failure.
func (a *chatAggregate) finish(err error) {
	a.once.Do(func() {
		end := time.Now()
		a.mu.Lock()
		a.done = true
		stop := a.stopWatch
		a.mu.Unlock()
		if stop != nil {
			stop()
		}
		if errors.Is(err, io.EOF) || errors.Is(err, errCutShort) {
			a.g.end(a.attrs(err), nil, end)
			return
		}
		a.g.end(a.attrs(err), err, end)
	})
}

func (a *chatAggregate) attrs(err error) (attrs []attribute.KeyValue) {
	defer guard()
	attrs = make([]attribute.KeyValue, 0, 26)
	attrs = a.g.baseAttrs(attrs, a.id, a.model)
	attrs = a.g.requestAttrs(attrs, &a.req)
	if !a.firstChunk.IsZero() {
		attrs = append(attrs, attribute.String(keyCompletionStartTime, rfc3339(a.firstChunk)))
	}
	outs, reasons := a.output()
	if len(outs) > 0 {
		attrs = a.g.outputAttr(attrs, outs)
	}
	if len(reasons) > 0 {
		attrs = append(attrs, attribute.StringSlice(keyGenAIFinishReasons, reasons))
	}
	if a.usage != nil && !usageEmpty(a.usage) {
		attrs = a.g.usageAttrs(attrs, a.usage)
	}
	if errors.Is(err, errCutShort) {
		attrs = append(attrs, attribute.String(keyObservationMetadata+metadataKeyStreamCutShort, "true"))
	}
	return attrs
}
