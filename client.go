package litefuse

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"reflect"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/litefuse/litefuse-go/internal/jsonw"
	openai "github.com/sashabaranov/go-openai"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// ErrNilClient is returned by the traced methods of a Client that wraps no
// *openai.Client: a zero Client, or one made by Wrap(nil).
var ErrNilClient = errors.New("litefuse: the Client wraps a nil *openai.Client: build it with litefuse.NewClient, NewClientWithConfig or Wrap(openai.NewClient(...))")

// Client is a drop-in replacement for *openai.Client: it embeds one, so every
// go-openai method works unchanged, and it records chat completions,
// completions and Responses API calls (plain and streaming) as Litefuse
// generations, and embeddings as embedding observations. Results and errors
// are exactly those of the embedded client. It is safe for concurrent use.
type Client struct {
	*openai.Client

	rec        *recorder
	provider   string
	serverHost string
	lastName   atomic.Pointer[spanName]
}

// chatAPI is the part of *openai.Client the Client traces with the very same
// signatures; the assertions below prove it at compile time. (The stream
// methods return the traced stream types, which embed go-openai's.)
type chatAPI interface {
	CreateChatCompletion(context.Context, openai.ChatCompletionRequest) (openai.ChatCompletionResponse, error)
	CreateCompletion(context.Context, openai.CompletionRequest) (openai.CompletionResponse, error)
	CreateResponse(context.Context, openai.CreateResponseRequest) (openai.CreateResponseResponse, error)
	CreateEmbeddings(context.Context, openai.EmbeddingRequestConverter) (openai.EmbeddingResponse, error)
}

var (
	_ chatAPI = (*openai.Client)(nil)
	_ chatAPI = (*Client)(nil)
)

// Wrap returns a traced Client around c. The client's base URL (read from
// c's configuration) sets gen_ai.provider.name and server.address; pass
// [WithProviderName] to override. Wrap(nil) returns a Client whose traced
// methods return [ErrNilClient].
func Wrap(c *openai.Client, opts ...Option) *Client {
	return wrap(c, baseURLOf(c), opts)
}

// NewClient is openai.NewClient, traced. It talks to OpenAI's API; for Ark
// use NewClientWithConfig with the Ark base URL.
func NewClient(authToken string, opts ...Option) *Client {
	cfg := openai.DefaultConfig(authToken)
	return wrap(openai.NewClientWithConfig(cfg), cfg.BaseURL, opts)
}

// NewClientWithConfig is openai.NewClientWithConfig, traced.
func NewClientWithConfig(cfg openai.ClientConfig, opts ...Option) *Client {
	return wrap(openai.NewClientWithConfig(cfg), cfg.BaseURL, opts)
}

func wrap(c *openai.Client, baseURL string, opts []Option) *Client {
	w := &Client{Client: c, rec: newRecorder(opts)}
	var probe config
	probe.apply(opts)
	if u, err := url.Parse(baseURL); err == nil && u.Host != "" {
		w.serverHost = u.Hostname()
	}
	w.provider = probe.providerName
	if w.provider == "" {
		w.provider = providerName(w.serverHost)
	}
	return w
}

// baseURLOf reads the base URL out of a go-openai client, whose config is
// unexported. It never panics; it returns "" when it cannot tell.
func baseURLOf(c *openai.Client) (base string) {
	if c == nil {
		return ""
	}
	defer func() {
		if recover() != nil {
			base = ""
		}
	}()
	f := reflect.ValueOf(c).Elem().FieldByName("config")
	if !f.IsValid() {
		return ""
	}
	b := f.FieldByName("BaseURL")
	if !b.IsValid() || b.Kind() != reflect.String {
		return ""
	}
	return b.String()
}

// recorder returns the client's recorder; a Client built as a literal,
// not by Wrap, records with the defaults.
func (c *Client) recorder() *recorder {
	if c.rec == nil {
		return defaultRecorder()
	}
	return c.rec
}

// generationName is the span name: the WithGeneration name, else
// "{operation} {model}" as the OTel GenAI conventions name it. The last
// default name is cached: a client mostly calls one model.
func (c *Client) generationName(ctx context.Context, op, model string) string {
	if g := generationFrom(ctx); g != nil && g.Name != "" {
		return g.Name
	}
	if model == "" {
		return op
	}
	if n := c.lastName.Load(); n != nil && n.op == op && n.model == model {
		return n.name
	}
	n := &spanName{op: op, model: model, name: op + " " + model}
	c.lastName.Store(n)
	return n.name
}

type spanName struct{ op, model, name string }

// genCall is one model call being recorded. Its attributes are all set in
// one call when it ends, so the SDK builds the attribute list once.
type genCall struct {
	c        *Client
	ctx      context.Context // the caller's: WithGeneration, PropagateAttributes
	span     trace.Span
	op       string
	obsType  string
	model    string
	recorded string // the model name recorded: the response's, else the request's
}

// startGeneration opens a CLIENT span for a model call.
func (c *Client) startGeneration(ctx context.Context, op, obsType, model string) (context.Context, genCall) {
	spanCtx, span := c.recorder().startSpan(ctx, c.generationName(ctx, op, model), trace.SpanKindClient)
	return spanCtx, genCall{c: c, ctx: ctx, span: span, op: op, obsType: obsType, model: model}
}

// baseAttrs appends what every generation carries: trace attributes, type,
// models, provider, server, and the WithGeneration metadata and prompt.
func (g *genCall) baseAttrs(attrs []attribute.KeyValue, respID, respModel string) []attribute.KeyValue {
	r := g.c.recorder()
	limit := r.cfg.maxAttrLen
	attrs = r.traceAttributes(attrs, attributesFrom(g.ctx))
	provider := g.c.provider
	if provider == "" { // a Client built as a literal, not by Wrap
		provider = providerName(g.c.serverHost)
	}
	model := respModel // Ark answers the real model for an ep-… endpoint id
	if model == "" {
		model = g.model
	}
	g.recorded = model
	attrs = append(attrs,
		attribute.String(keyObservationType, g.obsType),
		attribute.String(keyGenAIOperationName, g.op),
		attribute.String(keyGenAIProviderName, provider),
		attribute.String(keyGenAIRequestModel, clean(g.model, limit)),
		attribute.String(keyModelName, clean(model, limit)),
	)
	if respModel != "" {
		attrs = append(attrs, attribute.String(keyGenAIResponseModel, clean(respModel, limit)))
	}
	if respID != "" {
		attrs = append(attrs, attribute.String(keyGenAIResponseID, clean(respID, limit)))
	}
	if g.c.serverHost != "" {
		attrs = append(attrs, attribute.String(keyServerAddress, g.c.serverHost))
	}
	if gen := generationFrom(g.ctx); gen != nil {
		attrs = r.metadataAttrs(attrs, gen.Metadata)
		if gen.Prompt != nil && gen.Prompt.Name != "" && gen.Prompt.Version > 0 {
			attrs = append(attrs,
				attribute.String(keyPromptName, clean(gen.Prompt.Name, limit)),
				attribute.Int(keyPromptVersion, gen.Prompt.Version))
		}
	}
	return attrs
}

// end sets the attributes, marks a failure, and ends the span at end.
func (g *genCall) end(attrs []attribute.KeyValue, err error, end time.Time) {
	g.set(attrs, err)
	g.span.End(trace.WithTimestamp(end))
	putAttrs(attrs)
}

// attrPool recycles attribute lists: the SDK copies them in SetAttributes.
var attrPool = sync.Pool{New: func() any { s := make([]attribute.KeyValue, 0, 32); return &s }}

func getAttrs() []attribute.KeyValue { return (*attrPool.Get().(*[]attribute.KeyValue))[:0] }

func putAttrs(s []attribute.KeyValue) {
	if cap(s) > 128 {
		return
	}
	clear(s[:cap(s)]) // drop references to the strings
	s = s[:0]
	attrPool.Put(&s)
}

func (g *genCall) set(attrs []attribute.KeyValue, err error) {
	defer guard()
	g.span.SetAttributes(attrs...)
	if err != nil {
		setError(g.span, err, errorType(err), g.c.recorder().cfg.maxAttrLen)
	}
}

// CreateChatCompletion is openai.Client.CreateChatCompletion, recorded as a
// generation. The response and error are the embedded client's, unchanged.
func (c *Client) CreateChatCompletion(ctx context.Context, req openai.ChatCompletionRequest) (openai.ChatCompletionResponse, error) {
	if c == nil || c.Client == nil {
		return openai.ChatCompletionResponse{}, ErrNilClient
	}
	spanCtx, g := c.startGeneration(ctx, opChat, typeGeneration, req.Model)
	if !g.span.IsRecording() {
		g.span.End()
		return c.Client.CreateChatCompletion(ctx, req)
	}
	resp, err := c.Client.CreateChatCompletion(spanCtx, req)
	end := time.Now()
	g.end(g.chatAttrs(&req, &resp, err), err, end)
	return resp, err
}

const opChat = "chat"

// chatAttrs records a chat generation from the request and the answer. It
// runs after the call returned, so its cost is not in the latency.
func (g *genCall) chatAttrs(req *openai.ChatCompletionRequest, resp *openai.ChatCompletionResponse, err error) (attrs []attribute.KeyValue) {
	defer guard()
	attrs = getAttrs()
	if err != nil {
		resp = &openai.ChatCompletionResponse{}
	}
	attrs = g.baseAttrs(attrs, resp.ID, resp.Model)
	attrs = g.requestAttrs(attrs, req)
	if err != nil {
		return attrs
	}
	attrs = g.choicesAttrs(attrs, resp.Choices)
	if !usageEmpty(&resp.Usage) {
		attrs = g.usageAttrs(attrs, &resp.Usage)
	}
	return serviceTierAttr(attrs, string(resp.ServiceTier))
}

// requestAttrs records the chat input and the parameters the caller set.
func (g *genCall) requestAttrs(attrs []attribute.KeyValue, req *openai.ChatCompletionRequest) []attribute.KeyValue {
	r := g.c.recorder()
	attrs = append(attrs, r.encodedAttr(keyInput,
		func(b []byte) []byte { return appendChatInput(b, req) },
		func() any { return chatInput(req) }))
	return r.paramsAttr(attrs, func(b []byte) []byte { return appendChatParameters(b, req) })
}

// choicesAttrs records the assistant message(s) and their finish reasons,
// for plain and streamed chat alike.
func (g *genCall) choicesAttrs(attrs []attribute.KeyValue, choices []openai.ChatCompletionChoice) []attribute.KeyValue {
	if len(choices) == 0 {
		return attrs
	}
	attrs = append(attrs, g.c.recorder().encodedAttr(keyOutput,
		func(b []byte) []byte { return appendChoices(b, choices) },
		func() any { return outputsValue(chatOutputs(choices)) }))
	if reasons := finishReasons(choices); len(reasons) > 0 {
		attrs = append(attrs, attribute.StringSlice(keyGenAIFinishReasons, reasons))
	}
	return attrs
}

// usageAttrs records usage in Litefuse's buckets and the GenAI token counts.
func (g *genCall) usageAttrs(attrs []attribute.KeyValue, u *openai.Usage) []attribute.KeyValue {
	d := toUsageDetails(u)
	return g.detailsAttrs(attrs, &d, nonNegative(u.PromptTokens), nonNegative(u.CompletionTokens))
}

// detailsAttrs records usage buckets, their cost when priced, and the
// GenAI token counts.
func (g *genCall) detailsAttrs(attrs []attribute.KeyValue, d *usageDetails, in, out int) []attribute.KeyValue {
	r := g.c.recorder()
	attrs = append(attrs,
		r.encodedAttr(keyUsageDetails, func(b []byte) []byte { return appendUsage(b, d) }, nil),
		attribute.Int(keyGenAIInputTokens, in),
		attribute.Int(keyGenAIOutputTokens, out),
	)
	return r.costAttr(attrs, g.recorded, d)
}

// serviceTierAttr records the tier the server says it used (Ark answers
// service_tier), as metadata.
func serviceTierAttr(attrs []attribute.KeyValue, tier string) []attribute.KeyValue {
	if tier == "" {
		return attrs
	}
	return append(attrs, attribute.String(keyObservationMetadata+metadataKeyServiceTier, tier))
}

// errorType is error.type: the API error's code or type when the server
// sent one, else the Go type.
func errorType(err error) string {
	var apiErr *openai.APIError
	if errors.As(err, &apiErr) {
		if s, ok := apiErr.Code.(string); ok && s != "" {
			return s
		}
		if apiErr.Type != "" {
			return apiErr.Type
		}
		if apiErr.HTTPStatusCode != 0 {
			return strconv.Itoa(apiErr.HTTPStatusCode)
		}
	}
	var reqErr *openai.RequestError
	if errors.As(err, &reqErr) && reqErr.HTTPStatusCode != 0 {
		return strconv.Itoa(reqErr.HTTPStatusCode)
	}
	if errors.Is(err, context.Canceled) {
		return "canceled"
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "timeout"
	}
	var netErr net.Error
	if errors.As(err, &netErr) {
		return "network"
	}
	return fmt.Sprintf("%T", err)
}

const opEmbeddings = "embeddings"

// CreateEmbeddings is openai.Client.CreateEmbeddings, recorded as an
// embedding observation: the input and usage are recorded, the vectors are
// not (only their count and dimensions).
func (c *Client) CreateEmbeddings(ctx context.Context, conv openai.EmbeddingRequestConverter) (openai.EmbeddingResponse, error) {
	if c == nil || c.Client == nil {
		return openai.EmbeddingResponse{}, ErrNilClient
	}
	var model string
	var req openai.EmbeddingRequest
	if conv != nil {
		req = safeConvert(conv)
		model = string(req.Model)
	}
	spanCtx, g := c.startGeneration(ctx, opEmbeddings, typeEmbedding, model)
	if !g.span.IsRecording() {
		g.span.End()
		return c.Client.CreateEmbeddings(ctx, conv)
	}
	resp, err := c.Client.CreateEmbeddings(spanCtx, conv)
	end := time.Now()
	g.end(g.embeddingAttrs(&req, &resp, err), err, end)
	return resp, err
}

// safeConvert calls a user-supplied converter without letting it panic here.
func safeConvert(conv openai.EmbeddingRequestConverter) (req openai.EmbeddingRequest) {
	defer func() {
		if recover() != nil {
			req = openai.EmbeddingRequest{}
		}
	}()
	return conv.Convert()
}

func (g *genCall) embeddingAttrs(req *openai.EmbeddingRequest, resp *openai.EmbeddingResponse, err error) (attrs []attribute.KeyValue) {
	defer guard()
	r := g.c.recorder()
	attrs = getAttrs()
	if err != nil {
		resp = &openai.EmbeddingResponse{}
	}
	attrs = g.baseAttrs(attrs, "", string(resp.Model))
	attrs = append(attrs, r.jsonAttr(keyInput, req.Input))
	if req.Dimensions != 0 || req.EncodingFormat != "" {
		attrs = append(attrs, r.encodedAttr(keyModelParameters, func(b []byte) []byte {
			b = append(b, '{')
			first := true
			if req.Dimensions != 0 {
				b = jsonw.Key(b, "dimensions", true)
				b = jsonw.Int(b, req.Dimensions)
				first = false
			}
			if req.EncodingFormat != "" {
				b = jsonw.Key(b, "encoding_format", first)
				b = jsonw.String(b, string(req.EncodingFormat))
			}
			return append(b, '}')
		}, nil))
	}
	if err != nil {
		return attrs
	}
	dims := 0
	if len(resp.Data) > 0 {
		dims = len(resp.Data[0].Embedding)
	}
	attrs = append(attrs, r.encodedAttr(keyOutput, func(b []byte) []byte {
		b = append(b, '{')
		b = jsonw.Key(b, "count", true)
		b = jsonw.Int(b, len(resp.Data))
		b = jsonw.Key(b, "dimensions", false)
		b = jsonw.Int(b, dims)
		return append(b, '}')
	}, nil))
	if !usageEmpty(&resp.Usage) {
		in := nonNegative(resp.Usage.PromptTokens)
		d := usageDetails{Input: in, Total: in}
		attrs = append(attrs, r.encodedAttr(keyUsageDetails, func(b []byte) []byte { return appendUsage(b, &d) }, nil),
			attribute.Int(keyGenAIInputTokens, in))
		attrs = r.costAttr(attrs, g.recorded, &d)
	}
	return attrs
}

const (
	opTextCompletion = "text_completion"
	opResponses      = "responses"
)

// CreateCompletion is openai.Client.CreateCompletion (the legacy
// completions API), recorded as a generation.
func (c *Client) CreateCompletion(ctx context.Context, req openai.CompletionRequest) (openai.CompletionResponse, error) {
	if c == nil || c.Client == nil {
		return openai.CompletionResponse{}, ErrNilClient
	}
	spanCtx, g := c.startGeneration(ctx, opTextCompletion, typeGeneration, req.Model)
	if !g.span.IsRecording() {
		g.span.End()
		return c.Client.CreateCompletion(ctx, req)
	}
	resp, err := c.Client.CreateCompletion(spanCtx, req)
	end := time.Now()
	g.end(g.completionAttrs(&req, &resp, err), err, end)
	return resp, err
}

func (g *genCall) completionAttrs(req *openai.CompletionRequest, resp *openai.CompletionResponse, err error) (attrs []attribute.KeyValue) {
	defer guard()
	attrs = getAttrs()
	if err != nil {
		resp = &openai.CompletionResponse{}
	}
	attrs = g.baseAttrs(attrs, resp.ID, resp.Model)
	attrs = g.completionRequestAttrs(attrs, req)
	if err != nil {
		return attrs
	}
	texts := make([]string, len(resp.Choices))
	reasons := make([]string, 0, len(resp.Choices))
	for i, ch := range resp.Choices {
		texts[i] = ch.Text
		if ch.FinishReason != "" {
			reasons = append(reasons, ch.FinishReason)
		}
	}
	attrs = g.textOutputAttrs(attrs, texts, reasons)
	if resp.Usage != nil && !usageEmpty(resp.Usage) {
		attrs = g.usageAttrs(attrs, resp.Usage)
	}
	return attrs
}

// completionRequestAttrs records the prompt and the parameters set.
func (g *genCall) completionRequestAttrs(attrs []attribute.KeyValue, req *openai.CompletionRequest) []attribute.KeyValue {
	r := g.c.recorder()
	attrs = append(attrs, r.jsonAttr(keyInput, req.Prompt))
	return r.paramsAttr(attrs, func(b []byte) []byte {
		return appendChatParameters(b, &openai.ChatCompletionRequest{
			Temperature: req.Temperature, TopP: req.TopP, MaxTokens: req.MaxTokens, N: req.N,
			FrequencyPenalty: req.FrequencyPenalty, PresencePenalty: req.PresencePenalty,
			Seed: req.Seed, Stop: req.Stop, LogitBias: req.LogitBias,
		})
	})
}

// textOutputAttrs records completion texts: one string, or a list.
func (g *genCall) textOutputAttrs(attrs []attribute.KeyValue, texts, reasons []string) []attribute.KeyValue {
	switch len(texts) {
	case 0:
	case 1:
		attrs = append(attrs, g.c.recorder().jsonAttr(keyOutput, texts[0]))
	default:
		attrs = append(attrs, g.c.recorder().jsonAttr(keyOutput, texts))
	}
	if len(reasons) > 0 {
		attrs = append(attrs, attribute.StringSlice(keyGenAIFinishReasons, reasons))
	}
	return attrs
}

// CreateResponse is openai.Client.CreateResponse (the Responses API),
// recorded as a generation: instructions, input and tools in, output items
// out, usage from input_tokens and output_tokens with their details.
func (c *Client) CreateResponse(ctx context.Context, req openai.CreateResponseRequest) (openai.CreateResponseResponse, error) {
	if c == nil || c.Client == nil {
		return openai.CreateResponseResponse{}, ErrNilClient
	}
	spanCtx, g := c.startGeneration(ctx, opResponses, typeGeneration, req.Model)
	if !g.span.IsRecording() {
		g.span.End()
		return c.Client.CreateResponse(ctx, req)
	}
	resp, err := c.Client.CreateResponse(spanCtx, req)
	end := time.Now()
	attrs, failure := g.responseAttrs(&req, &resp, err)
	recorded := err
	if recorded == nil {
		recorded = failure // a response with status "failed": an error in Litefuse only
	}
	g.end(attrs, recorded, end)
	return resp, err
}

// responseFailure is the error a response with status "failed" carries.
type responseFailure struct{ code, msg string }

func (f *responseFailure) Error() string {
	if f.code == "" {
		return "response failed: " + f.msg
	}
	return "response failed: " + f.code + ": " + f.msg
}

func (g *genCall) responseAttrs(req *openai.CreateResponseRequest, resp *openai.CreateResponseResponse, err error) (attrs []attribute.KeyValue, failure error) {
	defer guard()
	attrs = getAttrs()
	if err != nil {
		resp = &openai.CreateResponseResponse{}
	}
	attrs = g.baseAttrs(attrs, resp.ID, resp.Model)
	attrs = g.responseRequestAttrs(attrs, req)
	if err != nil {
		return attrs, nil
	}
	attrs, failure = g.responseResultAttrs(attrs, resp)
	return attrs, failure
}

// responseRequestAttrs records the Responses API input and parameters.
func (g *genCall) responseRequestAttrs(attrs []attribute.KeyValue, req *openai.CreateResponseRequest) []attribute.KeyValue {
	r := g.c.recorder()
	if req.Instructions == "" && len(req.Tools) == 0 {
		attrs = append(attrs, r.jsonAttr(keyInput, req.Input))
	} else {
		attrs = append(attrs, r.jsonAttr(keyInput, responseInput{req.Instructions, req.Input, req.Tools, req.ToolChoice}))
	}
	return r.paramsAttr(attrs, func(b []byte) []byte { return appendResponseParameters(b, req) })
}

// responseResultAttrs records a finished response: output items, usage,
// status. A failed response yields the error to record.
func (g *genCall) responseResultAttrs(attrs []attribute.KeyValue, resp *openai.CreateResponseResponse) ([]attribute.KeyValue, error) {
	r := g.c.recorder()
	if len(resp.Output) > 0 {
		attrs = append(attrs, r.jsonAttr(keyOutput, resp.Output))
	} else if resp.OutputText != "" {
		attrs = append(attrs, r.jsonAttr(keyOutput, resp.OutputText))
	}
	if resp.Status != "" {
		attrs = append(attrs, attribute.StringSlice(keyGenAIFinishReasons, []string{string(resp.Status)}))
	}
	if u := resp.Usage; u != nil {
		d := responseUsageDetails(u)
		attrs = g.detailsAttrs(attrs, &d, nonNegative(u.InputTokens), nonNegative(u.OutputTokens))
	}
	attrs = serviceTierAttr(attrs, resp.ServiceTier)
	switch {
	case resp.Status == "failed" || resp.Error != nil:
		f := &responseFailure{msg: "unknown error"}
		if resp.Error != nil {
			f.code, f.msg = resp.Error.Code, resp.Error.Message
		}
		return attrs, f
	case resp.Status == "incomplete":
		reason := "incomplete"
		if resp.IncompleteDetails != nil && resp.IncompleteDetails.Reason != "" {
			reason = "incomplete: " + resp.IncompleteDetails.Reason
		}
		attrs = append(attrs,
			attribute.String(keyLevel, levelWarning),
			attribute.String(keyStatusMessage, reason))
	}
	return attrs, nil
}
