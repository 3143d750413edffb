package litefuse

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"reflect"
	"strconv"
	"time"

	openai "github.com/sashabaranov/go-openai"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// ErrNilClient is returned by the traced methods of a Client that wraps no
// *openai.Client: a zero Client, or one made by Wrap(nil).
var ErrNilClient = errors.New("litefuse: the Client wraps a nil *openai.Client: build it with litefuse.NewClient, NewClientWithConfig or Wrap(openai.NewClient(...))")

// Client is a drop-in replacement for *openai.Client: it embeds one, so every
// go-openai method works unchanged, and it records chat completions (plain
// and streaming) as Litefuse generations. Results and errors are exactly
// those of the embedded client.
type Client struct {
	*openai.Client

	rec        *recorder
	provider   string
	serverHost string
	serverPort int
}

// chatAPI is the part of *openai.Client the Client traces; the assertions
// below prove at compile time that the signatures match.
type chatAPI interface {
	CreateChatCompletion(context.Context, openai.ChatCompletionRequest) (openai.ChatCompletionResponse, error)
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
		if p, err := strconv.Atoi(u.Port()); err == nil {
			w.serverPort = p
		} else if u.Scheme == "https" {
			w.serverPort = 443
		} else if u.Scheme == "http" {
			w.serverPort = 80
		}
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

// recorderOrDefault lets a zero Client (no Wrap) still trace with defaults.
func (c *Client) recorder() *recorder {
	if c.rec == nil {
		return defaultRecorder()
	}
	return c.rec
}

// generationName is the span name: the WithGeneration name, else
// "chat {model}" as the OTel GenAI conventions name it.
func generationName(ctx context.Context, op, model string) string {
	if g := generationFrom(ctx); g != nil && g.Name != "" {
		return g.Name
	}
	if model == "" {
		return op
	}
	return op + " " + model
}

// startGeneration opens a CLIENT span of the given observation type with the
// request-side attributes common to every model call.
func (c *Client) startGeneration(ctx context.Context, op, obsType, model string) (context.Context, trace.Span) {
	ctx, span := c.recorder().start(ctx, generationName(ctx, op, model), obsType, trace.SpanKindClient)
	if !span.IsRecording() {
		return ctx, span
	}
	limit := c.recorder().cfg.maxAttrLen
	provider := c.provider
	if provider == "" { // a Client built as a literal, not by Wrap
		provider = providerName(c.serverHost)
	}
	attrs := []attribute.KeyValue{
		attribute.String(keyGenAIOperationName, op),
		attribute.String(keyGenAIProviderName, provider),
		attribute.String(keyGenAIRequestModel, clean(model, limit)),
		attribute.String(keyModelName, clean(model, limit)),
	}
	if c.serverHost != "" {
		attrs = append(attrs, attribute.String(keyServerAddress, c.serverHost))
		if c.serverPort != 0 {
			attrs = append(attrs, attribute.Int(keyServerPort, c.serverPort))
		}
	}
	if g := generationFrom(ctx); g != nil {
		attrs = append(attrs, c.recorder().metadataAttrs(g.Metadata)...)
		if g.Prompt != nil && g.Prompt.Name != "" && g.Prompt.Version > 0 {
			attrs = append(attrs,
				attribute.String(keyPromptName, clean(g.Prompt.Name, limit)),
				attribute.Int(keyPromptVersion, g.Prompt.Version))
		}
	}
	span.SetAttributes(attrs...)
	return ctx, span
}

// CreateChatCompletion is openai.Client.CreateChatCompletion, recorded as a
// generation. The response and error are the embedded client's, unchanged.
func (c *Client) CreateChatCompletion(ctx context.Context, req openai.ChatCompletionRequest) (openai.ChatCompletionResponse, error) {
	if c == nil || c.Client == nil {
		return openai.ChatCompletionResponse{}, ErrNilClient
	}
	spanCtx, span := c.startGeneration(ctx, opChat, typeGeneration, req.Model)
	if !span.IsRecording() {
		span.End()
		return c.Client.CreateChatCompletion(ctx, req)
	}
	resp, err := c.Client.CreateChatCompletion(spanCtx, req)
	end := time.Now()
	c.recordChat(span, &req, &resp, err)
	span.End(trace.WithTimestamp(end))
	return resp, err
}

const opChat = "chat"

// recordChat fills a chat generation span from the request and the answer.
// It runs after the call returned, so its cost is not in the latency.
func (c *Client) recordChat(span trace.Span, req *openai.ChatCompletionRequest, resp *openai.ChatCompletionResponse, err error) {
	defer guard()
	r := c.recorder()
	attrs := make([]attribute.KeyValue, 0, 12)
	attrs = append(attrs, r.jsonAttr(keyInput, chatInput(req)))
	if p := chatParameters(req); len(p) > 0 {
		attrs = append(attrs, r.jsonAttr(keyModelParameters, p))
	}
	if err != nil {
		span.SetAttributes(attrs...)
		setError(span, err, errorType(err), r.cfg.maxAttrLen)
		return
	}
	attrs = append(attrs, responseAttrs(resp.ID, resp.Model, r.cfg.maxAttrLen)...)
	if out := chatOutput(resp.Choices); out != nil {
		attrs = append(attrs, r.jsonAttr(keyOutput, out))
	}
	reasons := make([]string, 0, len(resp.Choices))
	for _, ch := range resp.Choices {
		if ch.FinishReason != "" {
			reasons = append(reasons, string(ch.FinishReason))
		}
	}
	if len(reasons) > 0 {
		attrs = append(attrs, attribute.StringSlice(keyGenAIFinishReasons, reasons))
	}
	if !usageEmpty(&resp.Usage) {
		attrs = append(attrs, usageAttrs(r, &resp.Usage)...)
	}
	span.SetAttributes(attrs...)
}

// responseAttrs records the answering model and response id.
func responseAttrs(id, model string, limit int) []attribute.KeyValue {
	kv := make([]attribute.KeyValue, 0, 3)
	if id != "" {
		kv = append(kv, attribute.String(keyGenAIResponseID, clean(id, limit)))
	}
	if model != "" {
		// Ark answers the real model for an ep-… endpoint id: prefer it.
		kv = append(kv,
			attribute.String(keyGenAIResponseModel, clean(model, limit)),
			attribute.String(keyModelName, clean(model, limit)))
	}
	return kv
}

// usageAttrs records usage in Litefuse's buckets and the GenAI token counts.
func usageAttrs(r *recorder, u *openai.Usage) []attribute.KeyValue {
	return []attribute.KeyValue{
		r.jsonAttrNoMask(keyUsageDetails, toUsageDetails(u)),
		attribute.Int(keyGenAIInputTokens, nonNegative(u.PromptTokens)),
		attribute.Int(keyGenAIOutputTokens, nonNegative(u.CompletionTokens)),
	}
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
	spanCtx, span := c.startGeneration(ctx, opEmbeddings, typeEmbedding, model)
	if !span.IsRecording() {
		span.End()
		return c.Client.CreateEmbeddings(ctx, conv)
	}
	resp, err := c.Client.CreateEmbeddings(spanCtx, conv)
	end := time.Now()
	c.recordEmbeddings(span, &req, &resp, err)
	span.End(trace.WithTimestamp(end))
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

func (c *Client) recordEmbeddings(span trace.Span, req *openai.EmbeddingRequest, resp *openai.EmbeddingResponse, err error) {
	defer guard()
	r := c.recorder()
	attrs := []attribute.KeyValue{r.jsonAttr(keyInput, req.Input)}
	params := map[string]any{}
	if req.Dimensions != 0 {
		params["dimensions"] = req.Dimensions
	}
	if req.EncodingFormat != "" {
		params["encoding_format"] = req.EncodingFormat
	}
	if len(params) > 0 {
		attrs = append(attrs, r.jsonAttrNoMask(keyModelParameters, params))
	}
	if err != nil {
		span.SetAttributes(attrs...)
		setError(span, err, errorType(err), r.cfg.maxAttrLen)
		return
	}
	attrs = append(attrs, responseAttrs("", string(resp.Model), r.cfg.maxAttrLen)...)
	dims := 0
	if len(resp.Data) > 0 {
		dims = len(resp.Data[0].Embedding)
	}
	attrs = append(attrs, r.jsonAttrNoMask(keyOutput, map[string]int{"count": len(resp.Data), "dimensions": dims}))
	if !usageEmpty(&resp.Usage) {
		in := nonNegative(resp.Usage.PromptTokens)
		attrs = append(attrs,
			r.jsonAttrNoMask(keyUsageDetails, map[string]int{"input": in, "total": max(in, nonNegative(resp.Usage.TotalTokens))}),
			attribute.Int(keyGenAIInputTokens, in))
	}
	span.SetAttributes(attrs...)
}
