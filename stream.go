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
	tracedStream[openai.ChatCompletionStreamResponse]
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
	inner, agg, err := openStream(c, ctx, opChat, req.Model,
		func(ctx context.Context) (*openai.ChatCompletionStream, error) {
			return c.Client.CreateChatCompletionStream(ctx, req)
		},
		func(g genCall) streamAggregate[openai.ChatCompletionStreamResponse] {
			a := &chatAggregate{streamSpan: streamSpan{g: g}, req: req}
			a.hideUsage = c.askUsage(&req.StreamOptions)
			return a
		})
	if err != nil {
		return nil, err
	}
	return &ChatCompletionStream{ChatCompletionStream: inner, tracedStream: tracedStream[openai.ChatCompletionStreamResponse]{agg: agg}}, nil
}

// streamAggregate is a recorded stream's aggregate.
type streamAggregate[T any] interface {
	observer[T]
	watch(ctx context.Context, finish func(error))
}

// openStream opens a stream with open, inside a generation span when the
// span records: newAgg builds the aggregate (and may adjust the request open
// sends), a failure to open ends the span at once, and an open stream's span
// also ends when ctx is cancelled. agg is nil when nothing is recorded.
func openStream[S, T any](c *Client, ctx context.Context, op, model string,
	open func(context.Context) (S, error), newAgg func(genCall) streamAggregate[T]) (inner S, agg observer[T], err error) {
	spanCtx, g := c.startGeneration(ctx, op, typeGeneration, model)
	if !g.span.IsRecording() {
		g.span.End()
		inner, err = open(ctx)
		return inner, nil, err
	}
	a := newAgg(g)
	if inner, err = open(spanCtx); err != nil {
		a.finish(err)
		return inner, nil, err
	}
	a.watch(ctx, a.finish)
	return inner, a, nil
}

// askUsage sets stream_options.include_usage when the caller did not (and
// WithStreamUsage allows it), on the wrapper's copy of the request. It
// reports whether the usage chunk must then be hidden from the caller.
func (c *Client) askUsage(so **openai.StreamOptions) bool {
	if !c.recorder().cfg.streamUsage || (*so != nil && (*so).IncludeUsage) {
		return false
	}
	*so = &openai.StreamOptions{IncludeUsage: true}
	return true
}

// Recv returns the next chunk, exactly as go-openai's Recv.
func (s *ChatCompletionStream) Recv() (openai.ChatCompletionStreamResponse, error) {
	return s.recv(s.ChatCompletionStream)
}

// RecvRaw returns the next chunk's raw JSON, exactly as go-openai's RecvRaw.
func (s *ChatCompletionStream) RecvRaw() ([]byte, error) {
	return s.recvRaw(s.ChatCompletionStream)
}

// Close closes the stream. Closing before the end records the partial
// output, marked as cut short. Calling it again returns the first result.
func (s *ChatCompletionStream) Close() error { return s.close(s.ChatCompletionStream) }

// observer is a stream's aggregate: it sees every chunk and ends the span.
type observer[T any] interface {
	// observe folds a chunk in and returns it as the caller must see it,
	// or hide: the caller must not see it. Chunks pass by value so that
	// they stay on the stack.
	observe(T) (out T, hide bool)
	finish(error)
}

// tracedStream is the Recv, RecvRaw and Close logic the traced stream
// types share.
type tracedStream[T any] struct {
	agg       observer[T] // nil when the call is not recorded
	closeOnce sync.Once
	closeErr  error
}

// source is the embedded go-openai stream. Passing it as an interface, not
// a method value, keeps Recv free of allocations.
type source[T any] interface {
	Recv() (T, error)
	RecvRaw() ([]byte, error)
	Close() error
}

func (t *tracedStream[T]) recv(src source[T]) (T, error) {
	if t.agg == nil {
		return src.Recv()
	}
	for {
		resp, err := src.Recv()
		if err != nil {
			t.agg.finish(err)
			return resp, err
		}
		resp, hide := t.agg.observe(resp)
		if hide {
			continue // the usage-only chunk the caller did not ask for
		}
		return resp, nil
	}
}

func (t *tracedStream[T]) recvRaw(src source[T]) ([]byte, error) {
	for {
		raw, err := src.RecvRaw()
		if t.agg == nil {
			return raw, err
		}
		if err != nil {
			t.agg.finish(err)
			return raw, err
		}
		var resp T
		if json.Unmarshal(raw, &resp) == nil {
			if _, hide := t.agg.observe(resp); hide {
				continue
			}
		}
		return raw, nil
	}
}

func (t *tracedStream[T]) close(src source[T]) error {
	if t.agg != nil {
		t.agg.finish(errCutShort)
	}
	t.closeOnce.Do(func() { t.closeErr = src.Close() })
	return t.closeErr
}

// streamSpan ends a stream's span exactly once, with the attributes its
// aggregate builds.
type streamSpan struct {
	g genCall

	mu         sync.Mutex
	done       bool
	firstChunk time.Time
	stopWatch  func() bool
	once       sync.Once
}

// watch ends the span when ctx is cancelled, even if the caller never
// reads again.
func (s *streamSpan) watch(ctx context.Context, finish func(error)) {
	s.mu.Lock()
	s.stopWatch = context.AfterFunc(ctx, func() { finish(context.Cause(ctx)) })
	s.mu.Unlock()
}

// end ends the span once. err is io.EOF at the normal end, errCutShort at
// an early Close, else the failure.
// attrs may return a failure the stream itself did not report (a Responses
// API response with status "failed").
func (s *streamSpan) end(err error, attrs func(error) ([]attribute.KeyValue, error)) {
	s.once.Do(func() {
		end := time.Now()
		s.mu.Lock()
		s.done = true
		stop := s.stopWatch
		s.mu.Unlock()
		if stop != nil {
			stop()
		}
		kv, failure := attrs(err)
		if errors.Is(err, errCutShort) {
			kv = append(kv, attribute.String(keyObservationMetadata+metadataKeyStreamCutShort, "true"))
		}
		if errors.Is(err, io.EOF) || errors.Is(err, errCutShort) {
			err = failure
		}
		s.g.end(kv, err, end)
	})
}

// firstTime marks the first chunk; the caller holds s.mu.
func (s *streamSpan) firstTime() {
	if s.firstChunk.IsZero() {
		s.firstChunk = time.Now()
	}
}

// ttftAttr is the completion start time, when a chunk came.
func (s *streamSpan) ttftAttr(attrs []attribute.KeyValue) []attribute.KeyValue {
	if s.firstChunk.IsZero() {
		return attrs
	}
	return append(attrs, attribute.String(keyCompletionStartTime, rfc3339(s.firstChunk)))
}

// chunkMeta is what every chat or completion chunk may carry besides its
// choices: the response id, the answering model, and (last) the usage.
type chunkMeta struct {
	id, model string
	usage     *openai.Usage
}

func (m *chunkMeta) note(id, model string, usage *openai.Usage) {
	if id != "" {
		m.id = id
	}
	if model != "" {
		m.model = model
	}
	if usage != nil {
		u := *usage
		m.usage = &u
	}
}

// usageAttrs records the usage the stream carried, if any.
func (m *chunkMeta) usageAttrs(attrs []attribute.KeyValue, g *genCall) []attribute.KeyValue {
	if m.usage == nil || usageEmpty(m.usage) {
		return attrs
	}
	return g.usageAttrs(attrs, m.usage)
}

// chatAggregate builds the generation from the chunks as they pass.
type chatAggregate struct {
	streamSpan
	chunkMeta
	req       openai.ChatCompletionRequest
	hideUsage bool
	choices   []choiceAggregate
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
func (a *chatAggregate) observe(resp openai.ChatCompletionStreamResponse) (out openai.ChatCompletionStreamResponse, hide bool) {
	out = resp
	if a.hideUsage && resp.Usage != nil {
		hide = len(resp.Choices) == 0
		out.Usage = nil // the caller did not ask for usage
	}
	a.fold(&resp)
	return out, hide
}

func (a *chatAggregate) fold(resp *openai.ChatCompletionStreamResponse) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.done {
		return
	}
	defer guard()
	a.firstTime()
	a.note(resp.ID, resp.Model, resp.Usage)
	for i := range resp.Choices {
		a.addChoice(&resp.Choices[i])
	}
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

// output renders the aggregated answer as the choices a non-streamed
// response would carry, so both are recorded by the same code.
func (a *chatAggregate) output() []openai.ChatCompletionChoice {
	var out []openai.ChatCompletionChoice
	for i := range a.choices {
		c := &a.choices[i]
		if !c.seen {
			continue
		}
		m := openai.ChatCompletionMessage{
			Role:             c.role,
			Content:          c.content.String(),
			ReasoningContent: c.reasoning.String(),
			Refusal:          c.refusal.String(),
			FunctionCall:     c.function,
		}
		for j := range c.toolCalls {
			t := &c.toolCalls[j]
			typ := openai.ToolType(t.typ)
			if typ == "" {
				typ = openai.ToolTypeFunction
			}
			m.ToolCalls = append(m.ToolCalls, openai.ToolCall{ID: t.id, Type: typ, Function: openai.FunctionCall{Name: t.name, Arguments: t.args.String()}})
		}
		out = append(out, openai.ChatCompletionChoice{Index: i, Message: m, FinishReason: openai.FinishReason(c.finishReason)})
	}
	return out
}

func (a *chatAggregate) finish(err error) { a.end(err, a.attrs) }

func (a *chatAggregate) attrs(error) (attrs []attribute.KeyValue, _ error) {
	defer guard()
	attrs = getAttrs()
	attrs = a.g.baseAttrs(attrs, a.id, a.model)
	attrs = a.g.requestAttrs(attrs, &a.req)
	attrs = a.ttftAttr(attrs)
	attrs = a.g.choicesAttrs(attrs, a.output())
	return a.chunkMeta.usageAttrs(attrs, &a.g), nil
}

// CompletionStream is go-openai's legacy completion stream, recorded like
// [ChatCompletionStream].
type CompletionStream struct {
	*openai.CompletionStream
	tracedStream[openai.CompletionResponse]
}

// CreateCompletionStream is openai.Client.CreateCompletionStream, recorded
// as a generation with the whole text, usage and time to first token.
func (c *Client) CreateCompletionStream(ctx context.Context, req openai.CompletionRequest) (*CompletionStream, error) {
	if c == nil || c.Client == nil {
		return nil, ErrNilClient
	}
	inner, agg, err := openStream(c, ctx, opTextCompletion, req.Model,
		func(ctx context.Context) (*openai.CompletionStream, error) {
			return c.Client.CreateCompletionStream(ctx, req)
		},
		func(g genCall) streamAggregate[openai.CompletionResponse] {
			a := &completionAggregate{streamSpan: streamSpan{g: g}, req: req}
			a.hideUsage = c.askUsage(&req.StreamOptions)
			return a
		})
	if err != nil {
		return nil, err
	}
	return &CompletionStream{CompletionStream: inner, tracedStream: tracedStream[openai.CompletionResponse]{agg: agg}}, nil
}

// Recv returns the next chunk, exactly as go-openai's Recv.
func (s *CompletionStream) Recv() (openai.CompletionResponse, error) {
	return s.recv(s.CompletionStream)
}

// RecvRaw returns the next chunk's raw JSON, exactly as go-openai's RecvRaw.
func (s *CompletionStream) RecvRaw() ([]byte, error) { return s.recvRaw(s.CompletionStream) }

// Close closes the stream; see [ChatCompletionStream.Close].
func (s *CompletionStream) Close() error { return s.close(s.CompletionStream) }

type completionAggregate struct {
	streamSpan
	chunkMeta
	req       openai.CompletionRequest
	hideUsage bool
	texts     []strings.Builder
	reasons   []string
}

func (a *completionAggregate) observe(resp openai.CompletionResponse) (out openai.CompletionResponse, hide bool) {
	out = resp
	if a.hideUsage && resp.Usage != nil {
		hide = len(resp.Choices) == 0
		out.Usage = nil // the caller did not ask for usage
	}
	a.fold(&resp)
	return out, hide
}

func (a *completionAggregate) fold(resp *openai.CompletionResponse) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.done {
		return
	}
	defer guard()
	a.firstTime()
	a.note(resp.ID, resp.Model, resp.Usage)
	for _, ch := range resp.Choices {
		if ch.Index < 0 || ch.Index >= maxChoices {
			continue
		}
		if ch.Index >= len(a.texts) {
			a.texts = slices.Grow(a.texts, ch.Index+1-len(a.texts))[:ch.Index+1]
			a.reasons = slices.Grow(a.reasons, ch.Index+1-len(a.reasons))[:ch.Index+1]
		}
		a.texts[ch.Index].WriteString(ch.Text)
		if ch.FinishReason != "" {
			a.reasons[ch.Index] = ch.FinishReason
		}
	}
}

func (a *completionAggregate) finish(err error) { a.end(err, a.attrs) }

func (a *completionAggregate) attrs(error) (attrs []attribute.KeyValue, _ error) {
	defer guard()
	attrs = getAttrs()
	attrs = a.g.baseAttrs(attrs, a.id, a.model)
	attrs = a.g.completionRequestAttrs(attrs, &a.req)
	attrs = a.ttftAttr(attrs)
	texts := make([]string, len(a.texts))
	var reasons []string
	for i := range a.texts {
		texts[i] = a.texts[i].String()
		if a.reasons[i] != "" {
			reasons = append(reasons, a.reasons[i])
		}
	}
	attrs = a.g.textOutputAttrs(attrs, texts, reasons)
	return a.chunkMeta.usageAttrs(attrs, &a.g), nil
}

// ResponseStream is go-openai's Responses API event stream, recorded: the
// generation takes the final response (output items, usage, status) from
// the response.completed, .incomplete or .failed event, and its time to
// first token from the first delta.
type ResponseStream struct {
	*openai.ResponseStream
	tracedStream[openai.ResponseStreamEvent]
}

// CreateResponseStream is openai.Client.CreateResponseStream, recorded as a
// generation.
func (c *Client) CreateResponseStream(ctx context.Context, req openai.CreateResponseRequest) (*ResponseStream, error) {
	if c == nil || c.Client == nil {
		return nil, ErrNilClient
	}
	inner, agg, err := openStream(c, ctx, opResponses, req.Model,
		func(ctx context.Context) (*openai.ResponseStream, error) {
			return c.Client.CreateResponseStream(ctx, req)
		},
		func(g genCall) streamAggregate[openai.ResponseStreamEvent] {
			return &responseAggregate{streamSpan: streamSpan{g: g}, req: req}
		})
	if err != nil {
		return nil, err
	}
	return &ResponseStream{ResponseStream: inner, tracedStream: tracedStream[openai.ResponseStreamEvent]{agg: agg}}, nil
}

// Recv returns the next event, exactly as go-openai's Recv.
func (s *ResponseStream) Recv() (openai.ResponseStreamEvent, error) {
	return s.recv(s.ResponseStream)
}

// RecvRaw returns the next event's raw JSON, exactly as go-openai's RecvRaw.
func (s *ResponseStream) RecvRaw() ([]byte, error) { return s.recvRaw(s.ResponseStream) }

// Close closes the stream; see [ChatCompletionStream.Close].
func (s *ResponseStream) Close() error { return s.close(s.ResponseStream) }

type responseAggregate struct {
	streamSpan
	req openai.CreateResponseRequest

	final     *openai.CreateResponseResponse
	text      strings.Builder
	streamErr error
}

func (a *responseAggregate) observe(ev openai.ResponseStreamEvent) (openai.ResponseStreamEvent, bool) {
	a.fold(&ev)
	return ev, false
}

func (a *responseAggregate) fold(ev *openai.ResponseStreamEvent) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.done {
		return
	}
	defer guard()
	switch ev.Type {
	case openai.ResponseStreamEventOutputTextDelta:
		a.firstTime()
		a.text.WriteString(ev.Delta)
	case openai.ResponseStreamEventReasoningTextDelta, openai.ResponseStreamEventReasoningSummaryTextDelta,
		openai.ResponseStreamEventFunctionArgumentsDelta, openai.ResponseStreamEventRefusalDelta:
		a.firstTime()
	case openai.ResponseStreamEventCompleted, openai.ResponseStreamEventIncomplete, openai.ResponseStreamEventFailed:
		if ev.Response != nil {
			r := *ev.Response
			a.final = &r
		}
	case openai.ResponseStreamEventError:
		msg := ev.Message
		if ev.Error != nil && ev.Error.Message != "" {
			msg = ev.Error.Message
		}
		a.streamErr = &responseFailure{code: ev.Code, msg: msg}
	}
}

func (a *responseAggregate) finish(err error) {
	a.mu.Lock()
	failure := a.streamErr
	a.mu.Unlock()
	if failure != nil && (err == nil || errors.Is(err, io.EOF)) {
		err = failure
	}
	a.end(err, a.attrs)
}

func (a *responseAggregate) attrs(error) (attrs []attribute.KeyValue, failure error) {
	defer guard()
	attrs = getAttrs()
	final := a.final
	if final == nil {
		final = &openai.CreateResponseResponse{}
	}
	attrs = a.g.baseAttrs(attrs, final.ID, final.Model)
	attrs = a.g.responseRequestAttrs(attrs, &a.req)
	attrs = a.ttftAttr(attrs)
	if a.final == nil {
		if a.text.Len() > 0 {
			attrs = append(attrs, a.g.c.recorder().jsonAttr(keyOutput, a.text.String()))
		}
		return attrs, nil
	}
	return a.g.responseResultAttrs(attrs, a.final)
}
