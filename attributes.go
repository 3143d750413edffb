package litefuse

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/litefuse/litefuse-go/internal/jsonw"
	openai "github.com/sashabaranov/go-openai"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// Every span attribute key the library writes is defined here and nowhere
// else. Values are OTel string attributes unless the comment says otherwise;
// "JSON" means a string holding JSON, which is how Litefuse reads them.
const (
	keyObservationType        = "langfuse.observation.type"                  // generation | embedding | span | …
	keyModelName              = "langfuse.observation.model.name"            // response model, else request model
	keyModelParameters        = "langfuse.observation.model.parameters"      // JSON object
	keyInput                  = "langfuse.observation.input"                 // JSON
	keyOutput                 = "langfuse.observation.output"                // JSON
	keyUsageDetails           = "langfuse.observation.usage_details"         // JSON object of ints
	keyCostDetails            = "langfuse.observation.cost_details"          // JSON object of numbers (USD)
	keyCompletionStartTime    = "langfuse.observation.completion_start_time" // RFC 3339 with zone
	keyLevel                  = "langfuse.observation.level"                 // DEBUG | DEFAULT | WARNING | ERROR
	keyStatusMessage          = "langfuse.observation.status_message"
	keyObservationMetadata    = "langfuse.observation.metadata." // + key; string values
	keyPromptName             = "langfuse.observation.prompt.name"
	keyPromptVersion          = "langfuse.observation.prompt.version" // int
	keyUserID                 = "user.id"
	keySessionID              = "session.id"
	keyTraceName              = "langfuse.trace.name"
	keyTraceTags              = "langfuse.trace.tags"      // string array
	keyTraceMetadata          = "langfuse.trace.metadata." // + key
	keyVersion                = "langfuse.version"
	keyRelease                = "langfuse.release"
	keyEnvironment            = "langfuse.environment"
	keyGenAIOperationName     = "gen_ai.operation.name"
	keyGenAIProviderName      = "gen_ai.provider.name"
	keyGenAIRequestModel      = "gen_ai.request.model"
	keyGenAIResponseModel     = "gen_ai.response.model"
	keyGenAIResponseID        = "gen_ai.response.id"
	keyGenAIFinishReasons     = "gen_ai.response.finish_reasons" // string array
	keyGenAIInputTokens       = "gen_ai.usage.input_tokens"      // int
	keyGenAIOutputTokens      = "gen_ai.usage.output_tokens"     // int
	keyServerAddress          = "server.address"
	keyErrorType              = "error.type"
	keyServiceName            = "service.name" // resource
	metadataKeyStreamCutShort = "stream_cut_short"
	metadataKeyServiceTier    = "service_tier"
)

// Observation types Litefuse knows.
const (
	typeGeneration = "generation"
	typeEmbedding  = "embedding"
	typeSpan       = "span"
)

// Observation levels.
const (
	levelError   = "ERROR"
	levelWarning = "WARNING"
)

// clean makes s safe to put on the wire: OTLP carries strings as protobuf
// strings, which must be valid UTF-8 (an invalid one fails the whole batch),
// and a value longer than limit bytes is cut with a visible marker, never
// dropped.
func clean(s string, limit int) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if limit <= 0 || len(s) <= limit {
		return s
	}
	cut := limit
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + truncatedSuffix(len(s)-cut)
}

// truncatedSuffix ends a value cut by n bytes.
func truncatedSuffix(n int) string { return "…[litefuse: truncated " + strconv.Itoa(n) + " bytes]" }

// rfc3339 is the form Litefuse accepts for completion_start_time: with zone.
func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// chatInput is the input Litefuse shows: the messages, and the tools when
// the caller offered any. It is the slow path, for the mask; appendChatInput
// writes the same JSON without reflection.
func chatInput(req *openai.ChatCompletionRequest) any {
	if len(req.Tools) == 0 && len(req.Functions) == 0 {
		return req.Messages
	}
	in := struct {
		Messages     []openai.ChatCompletionMessage `json:"messages"`
		Tools        []openai.Tool                  `json:"tools,omitempty"`
		ToolChoice   any                            `json:"tool_choice,omitempty"`
		Functions    []openai.FunctionDefinition    `json:"functions,omitempty"`
		FunctionCall any                            `json:"function_call,omitempty"`
	}{req.Messages, req.Tools, req.ToolChoice, req.Functions, req.FunctionCall}
	return in
}

func appendChatInput(b []byte, req *openai.ChatCompletionRequest) []byte {
	if len(req.Tools) == 0 && len(req.Functions) == 0 {
		return appendMessages(b, req.Messages)
	}
	b = append(b, '{')
	b = jsonw.Key(b, "messages", true)
	b = appendMessages(b, req.Messages)
	if len(req.Tools) > 0 {
		b = jsonw.Key(b, "tools", false)
		b = jsonw.Any(b, req.Tools)
	}
	if req.ToolChoice != nil {
		b = jsonw.Key(b, "tool_choice", false)
		b = jsonw.Any(b, req.ToolChoice)
	}
	if len(req.Functions) > 0 {
		b = jsonw.Key(b, "functions", false)
		b = jsonw.Any(b, req.Functions)
	}
	if req.FunctionCall != nil {
		b = jsonw.Key(b, "function_call", false)
		b = jsonw.Any(b, req.FunctionCall)
	}
	return append(b, '}')
}

// appendMessages writes messages as go-openai's MarshalJSON does.
func appendMessages(b []byte, msgs []openai.ChatCompletionMessage) []byte {
	b = append(b, '[')
	for i := range msgs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendMessage(b, &msgs[i])
	}
	return append(b, ']')
}

func appendMessage(b []byte, m *openai.ChatCompletionMessage) []byte {
	b = append(b, '{')
	b = jsonw.Key(b, "role", true)
	b = jsonw.String(b, m.Role)
	if len(m.MultiContent) > 0 && m.Content == "" {
		b = jsonw.Key(b, "content", false)
		b = append(b, '[')
		for i, p := range m.MultiContent {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '{')
			first := true
			if p.Type != "" {
				b = jsonw.Key(b, "type", first)
				b = jsonw.String(b, string(p.Type))
				first = false
			}
			if p.Text != "" {
				b = jsonw.Key(b, "text", first)
				b = jsonw.String(b, p.Text)
				first = false
			}
			if p.ImageURL != nil {
				b = jsonw.Key(b, "image_url", first)
				b = append(b, '{')
				f := true
				if p.ImageURL.URL != "" {
					b = jsonw.Key(b, "url", true)
					b = jsonw.String(b, p.ImageURL.URL)
					f = false
				}
				if p.ImageURL.Detail != "" {
					b = jsonw.Key(b, "detail", f)
					b = jsonw.String(b, string(p.ImageURL.Detail))
				}
				b = append(b, '}')
			}
			b = append(b, '}')
		}
		b = append(b, ']')
	} else if m.Content != "" {
		b = jsonw.Key(b, "content", false)
		b = jsonw.String(b, m.Content)
	}
	b = optString(b, "refusal", m.Refusal)
	b = optString(b, "name", m.Name)
	b = optString(b, "reasoning_content", m.ReasoningContent)
	if m.FunctionCall != nil {
		b = jsonw.Key(b, "function_call", false)
		b = appendFunctionCall(b, m.FunctionCall)
	}
	if len(m.ToolCalls) > 0 {
		b = jsonw.Key(b, "tool_calls", false)
		b = append(b, '[')
		for i := range m.ToolCalls {
			if i > 0 {
				b = append(b, ',')
			}
			tc := &m.ToolCalls[i]
			b = append(b, '{')
			first := true
			if tc.Index != nil {
				b = jsonw.Key(b, "index", true)
				b = jsonw.Int(b, *tc.Index)
				first = false
			}
			if tc.ID != "" {
				b = jsonw.Key(b, "id", first)
				b = jsonw.String(b, tc.ID)
				first = false
			}
			b = jsonw.Key(b, "type", first)
			b = jsonw.String(b, string(tc.Type))
			b = jsonw.Key(b, "function", false)
			b = appendFunctionCall(b, &tc.Function)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = optString(b, "tool_call_id", m.ToolCallID)
	return append(b, '}')
}

func optString(b []byte, key, v string) []byte {
	if v == "" {
		return b
	}
	b = jsonw.Key(b, key, false)
	return jsonw.String(b, v)
}

func appendFunctionCall(b []byte, f *openai.FunctionCall) []byte {
	b = append(b, '{')
	first := true
	if f.Name != "" {
		b = jsonw.Key(b, "name", true)
		b = jsonw.String(b, f.Name)
		first = false
	}
	if f.Arguments != "" {
		b = jsonw.Key(b, "arguments", first)
		b = jsonw.String(b, f.Arguments)
	}
	return append(b, '}')
}

// appendChatParameters writes the model parameters the caller set, and only
// those, in key order; it returns b unchanged when none is set.
func appendChatParameters(b []byte, req *openai.ChatCompletionRequest) []byte {
	start := len(b)
	b = append(b, '{')
	first := true
	key := func(k string) {
		b = jsonw.Key(b, k, first)
		first = false
	}
	if req.FrequencyPenalty != 0 {
		key("frequency_penalty")
		b = jsonw.Float32(b, req.FrequencyPenalty)
	}
	if len(req.LogitBias) > 0 {
		key("logit_bias")
		b = jsonw.Any(b, req.LogitBias)
	}
	if req.LogProbs {
		key("logprobs")
		b = append(b, "true"...)
	}
	if req.MaxCompletionTokens != 0 {
		key("max_completion_tokens")
		b = jsonw.Int(b, req.MaxCompletionTokens)
	}
	if req.MaxTokens != 0 {
		key("max_tokens")
		b = jsonw.Int(b, req.MaxTokens)
	}
	if req.N != 0 {
		key("n")
		b = jsonw.Int(b, req.N)
	}
	if req.ParallelToolCalls != nil {
		key("parallel_tool_calls")
		b = jsonw.Any(b, req.ParallelToolCalls)
	}
	if req.PresencePenalty != 0 {
		key("presence_penalty")
		b = jsonw.Float32(b, req.PresencePenalty)
	}
	if req.ReasoningEffort != "" {
		key("reasoning_effort")
		b = jsonw.String(b, req.ReasoningEffort)
	}
	if req.ResponseFormat != nil {
		key("response_format")
		b = jsonw.Any(b, req.ResponseFormat)
	}
	if req.Seed != nil {
		key("seed")
		b = jsonw.Int(b, *req.Seed)
	}
	if req.ServiceTier != "" {
		key("service_tier")
		b = jsonw.String(b, string(req.ServiceTier))
	}
	if len(req.Stop) > 0 {
		key("stop")
		b = append(b, '[')
		for i, s := range req.Stop {
			if i > 0 {
				b = append(b, ',')
			}
			b = jsonw.String(b, s)
		}
		b = append(b, ']')
	}
	if req.Temperature != 0 {
		key("temperature")
		b = jsonw.Float32(b, req.Temperature)
	}
	if req.ToolChoice != nil {
		key("tool_choice")
		b = jsonw.Any(b, req.ToolChoice)
	}
	if req.TopLogProbs != 0 {
		key("top_logprobs")
		b = jsonw.Int(b, req.TopLogProbs)
	}
	if req.TopP != 0 {
		key("top_p")
		b = jsonw.Float32(b, req.TopP)
	}
	if req.Verbosity != "" {
		key("verbosity")
		b = jsonw.String(b, req.Verbosity)
	}
	if first {
		return b[:start]
	}
	return append(b, '}')
}

// outputToolCall is a tool call as Litefuse shows it (no stream index).
type outputToolCall struct {
	ID       string              `json:"id,omitempty"`
	Type     openai.ToolType     `json:"type"`
	Function openai.FunctionCall `json:"function"`
}

// outputMessage is the assistant message recorded as a generation's output.
type outputMessage struct {
	Role             string               `json:"role"`
	Content          string               `json:"content"`
	ReasoningContent string               `json:"reasoning_content,omitempty"`
	Refusal          string               `json:"refusal,omitempty"`
	ToolCalls        []outputToolCall     `json:"tool_calls,omitempty"`
	FunctionCall     *openai.FunctionCall `json:"function_call,omitempty"`
}

func messageOutput(m *openai.ChatCompletionMessage) outputMessage {
	out := outputMessage{
		Role:             m.Role,
		Content:          m.Content,
		ReasoningContent: m.ReasoningContent,
		Refusal:          m.Refusal,
		FunctionCall:     m.FunctionCall,
	}
	if out.Role == "" {
		out.Role = openai.ChatMessageRoleAssistant
	}
	if len(m.ToolCalls) > 0 {
		out.ToolCalls = make([]outputToolCall, len(m.ToolCalls))
		for i, tc := range m.ToolCalls {
			out.ToolCalls[i] = outputToolCall{ID: tc.ID, Type: tc.Type, Function: tc.Function}
		}
	}
	return out
}

// appendAssistantHead opens an output message: role, content, reasoning,
// refusal.
func appendAssistantHead(b []byte, role, content, reasoning, refusal string) []byte {
	if role == "" {
		role = openai.ChatMessageRoleAssistant
	}
	b = append(b, '{')
	b = jsonw.Key(b, "role", true)
	b = jsonw.String(b, role)
	b = jsonw.Key(b, "content", false)
	b = jsonw.String(b, content)
	b = optString(b, "reasoning_content", reasoning)
	return optString(b, "refusal", refusal)
}

// appendAssistantTail closes an output message.
func appendAssistantTail(b []byte, fc *openai.FunctionCall) []byte {
	if fc != nil {
		b = jsonw.Key(b, "function_call", false)
		b = appendFunctionCall(b, fc)
	}
	return append(b, '}')
}

// appendToolCallOut writes a tool call as Litefuse shows it.
func appendToolCallOut(b []byte, id string, typ openai.ToolType, fn *openai.FunctionCall) []byte {
	b = append(b, '{')
	first := true
	if id != "" {
		b = jsonw.Key(b, "id", true)
		b = jsonw.String(b, id)
		first = false
	}
	b = jsonw.Key(b, "type", first)
	b = jsonw.String(b, string(typ))
	b = jsonw.Key(b, "function", false)
	b = appendFunctionCall(b, fn)
	return append(b, '}')
}

// appendChoices writes the assistant message(s) of the choices as Litefuse
// shows a generation's output: one message, or a list when there are several.
// It writes the JSON that outputsValue(chatOutputs(choices)) marshals to,
// without reflection.
func appendChoices(b []byte, choices []openai.ChatCompletionChoice) []byte {
	if len(choices) > 1 {
		b = append(b, '[')
	}
	for i := range choices {
		if i > 0 {
			b = append(b, ',')
		}
		m := &choices[i].Message
		b = appendAssistantHead(b, m.Role, m.Content, m.ReasoningContent, m.Refusal)
		if len(m.ToolCalls) > 0 {
			b = jsonw.Key(b, "tool_calls", false)
			b = append(b, '[')
			for j := range m.ToolCalls {
				if j > 0 {
					b = append(b, ',')
				}
				tc := &m.ToolCalls[j]
				b = appendToolCallOut(b, tc.ID, tc.Type, &tc.Function)
			}
			b = append(b, ']')
		}
		b = appendAssistantTail(b, m.FunctionCall)
	}
	if len(choices) > 1 {
		b = append(b, ']')
	}
	return b
}

// finishReasons lists the choices' finish reasons, for
// gen_ai.response.finish_reasons.
func finishReasons(choices []openai.ChatCompletionChoice) []string {
	var reasons []string
	for i := range choices {
		if r := choices[i].FinishReason; r != "" {
			reasons = append(reasons, string(r))
		}
	}
	return reasons
}

// outputsValue is the output as the mask sees it.
func outputsValue(msgs []outputMessage) any {
	if len(msgs) == 1 {
		return msgs[0]
	}
	return msgs
}

// chatOutputs converts the response's choices to output messages.
func chatOutputs(choices []openai.ChatCompletionChoice) []outputMessage {
	if len(choices) == 0 {
		return nil
	}
	out := make([]outputMessage, len(choices))
	for i := range choices {
		out[i] = messageOutput(&choices[i].Message)
	}
	return out
}

// usageDetails maps OpenAI usage to Litefuse's disjoint buckets: input is
// prompt minus cached, output is completion minus reasoning, so that the
// buckets add up to the total and Litefuse never counts a token twice.
type usageDetails struct {
	Input, InputCachedTokens, Output, OutputReasoningTokens, Total int
	hasCached, hasReasoning                                        bool
}

func nonNegative(n int) int { return max(n, 0) }

func toUsageDetails(u *openai.Usage) usageDetails {
	prompt, completion := nonNegative(u.PromptTokens), nonNegative(u.CompletionTokens)
	d := usageDetails{Input: prompt, Output: completion}
	if u.PromptTokensDetails != nil {
		d.InputCachedTokens = min(nonNegative(u.PromptTokensDetails.CachedTokens), prompt)
		d.Input = prompt - d.InputCachedTokens
		d.hasCached = true
	}
	if u.CompletionTokensDetails != nil {
		d.OutputReasoningTokens = min(nonNegative(u.CompletionTokensDetails.ReasoningTokens), completion)
		d.Output = completion - d.OutputReasoningTokens
		d.hasReasoning = true
	}
	d.Total = prompt + completion
	return d
}

func appendUsage(b []byte, d *usageDetails) []byte {
	return appendBuckets(b, d, [5]int{d.Input, d.InputCachedTokens, d.Output, d.OutputReasoningTokens, d.Total}, jsonw.Int)
}

// appendBuckets writes one value per usage bucket under Litefuse's bucket
// names, the detail buckets only where the server sent details: usage
// (token counts) and cost (USD) share the keys and the shape.
func appendBuckets[T any](b []byte, d *usageDetails, v [5]T, enc func([]byte, T) []byte) []byte {
	b = append(b, '{')
	b = jsonw.Key(b, "input", true)
	b = enc(b, v[0])
	if d.hasCached {
		b = jsonw.Key(b, "input_cached_tokens", false)
		b = enc(b, v[1])
	}
	b = jsonw.Key(b, "output", false)
	b = enc(b, v[2])
	if d.hasReasoning {
		b = jsonw.Key(b, "output_reasoning_tokens", false)
		b = enc(b, v[3])
	}
	b = jsonw.Key(b, "total", false)
	b = enc(b, v[4])
	return append(b, '}')
}

// responseUsageDetails maps Responses API usage to the same buckets.
func responseUsageDetails(u *openai.ResponseUsage) usageDetails {
	chat := openai.Usage{PromptTokens: u.InputTokens, CompletionTokens: u.OutputTokens}
	if u.InputTokensDetails != nil {
		chat.PromptTokensDetails = &openai.PromptTokensDetails{CachedTokens: u.InputTokensDetails.CachedTokens}
	}
	if u.OutputTokensDetails != nil {
		chat.CompletionTokensDetails = &openai.CompletionTokensDetails{ReasoningTokens: u.OutputTokensDetails.ReasoningTokens}
	}
	return toUsageDetails(&chat)
}

// responseInput is a Responses API input with its instructions and tools.
type responseInput struct {
	Instructions string                `json:"instructions,omitempty"`
	Input        any                   `json:"input"`
	Tools        []openai.ResponseTool `json:"tools,omitempty"`
	ToolChoice   any                   `json:"tool_choice,omitempty"`
}

// appendResponseParameters writes the Responses API parameters set.
func appendResponseParameters(b []byte, req *openai.CreateResponseRequest) []byte {
	start := len(b)
	b = append(b, '{')
	first := true
	key := func(k string) {
		b = jsonw.Key(b, k, first)
		first = false
	}
	if req.MaxOutputTokens != 0 {
		key("max_output_tokens")
		b = jsonw.Int(b, req.MaxOutputTokens)
	}
	if req.MaxToolCalls != 0 {
		key("max_tool_calls")
		b = jsonw.Int(b, req.MaxToolCalls)
	}
	if req.ParallelToolCalls != nil {
		key("parallel_tool_calls")
		b = jsonw.Any(b, *req.ParallelToolCalls)
	}
	if req.Reasoning != nil {
		key("reasoning")
		b = jsonw.Any(b, req.Reasoning)
	}
	if req.ServiceTier != "" {
		key("service_tier")
		b = jsonw.String(b, req.ServiceTier)
	}
	if req.Temperature != nil {
		key("temperature")
		b = jsonw.Float32(b, *req.Temperature)
	}
	if req.Text != nil {
		key("text")
		b = jsonw.Any(b, req.Text)
	}
	if req.ToolChoice != nil {
		key("tool_choice")
		b = jsonw.Any(b, req.ToolChoice)
	}
	if req.TopLogprobs != 0 {
		key("top_logprobs")
		b = jsonw.Int(b, req.TopLogprobs)
	}
	if req.TopP != nil {
		key("top_p")
		b = jsonw.Float32(b, *req.TopP)
	}
	if req.Truncation != "" {
		key("truncation")
		b = jsonw.String(b, string(req.Truncation))
	}
	if first {
		return b[:start]
	}
	return append(b, '}')
}

// usageEmpty reports whether the server sent no usage at all.
func usageEmpty(u *openai.Usage) bool {
	return u.PromptTokens == 0 && u.CompletionTokens == 0 && u.TotalTokens == 0 &&
		u.PromptTokensDetails == nil && u.CompletionTokensDetails == nil
}

// providerName maps a base URL host to gen_ai.provider.name.
func providerName(host string) string {
	host = strings.ToLower(host)
	switch {
	case strings.HasPrefix(host, "ark.") && strings.HasSuffix(host, ".bytepluses.com"):
		return "byteplus"
	case strings.HasPrefix(host, "ark.") && strings.HasSuffix(host, ".volces.com"):
		return "volcengine"
	case host == "api.openai.com":
		return "openai"
	case strings.HasSuffix(host, ".openai.azure.com"):
		return "azure.ai.openai"
	case host == "api.deepseek.com":
		return "deepseek"
	case host == "api.anthropic.com":
		return "anthropic"
	case host == "api.mistral.ai":
		return "mistral_ai"
	case host == "api.groq.com":
		return "groq"
	case host == "api.x.ai":
		return "x_ai"
	case host == "api.moonshot.ai", host == "api.moonshot.cn":
		return "moonshot"
	case host == "openrouter.ai":
		return "openrouter"
	}
	return "openai"
}

// traceAttributes appends the trace-level attributes put on every span.
func traceAttributes(kv []attribute.KeyValue, a *Attributes, env, release string, limit int) []attribute.KeyValue {
	if env != "" {
		kv = append(kv, attribute.String(keyEnvironment, clean(env, limit)))
	}
	if release != "" {
		kv = append(kv, attribute.String(keyRelease, clean(release, limit)))
	}
	if a == nil {
		return kv
	}
	if a.UserID != "" {
		kv = append(kv, attribute.String(keyUserID, clean(a.UserID, limit)))
	}
	if a.SessionID != "" {
		kv = append(kv, attribute.String(keySessionID, clean(a.SessionID, limit)))
	}
	if a.TraceName != "" {
		kv = append(kv, attribute.String(keyTraceName, clean(a.TraceName, limit)))
	}
	if a.Version != "" {
		kv = append(kv, attribute.String(keyVersion, clean(a.Version, limit)))
	}
	if len(a.Tags) > 0 {
		tags := make([]string, len(a.Tags))
		for i, t := range a.Tags {
			tags[i] = clean(t, limit)
		}
		kv = append(kv, attribute.StringSlice(keyTraceTags, tags))
	}
	for k, v := range a.Metadata {
		kv = append(kv, attribute.String(keyTraceMetadata+clean(k, limit), clean(v, limit)))
	}
	return kv
}

// metadataValue renders a metadata value as Litefuse reads it: strings as
// they are, anything else as JSON.
func metadataValue(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "<unserializable: " + err.Error() + ">"
	}
	return string(b)
}

// setError marks a span as failed the way Litefuse and OTel both read it.
func setError(span trace.Span, err error, errType string, limit int) {
	msg := clean(err.Error(), limit)
	span.SetAttributes(
		attribute.String(keyLevel, levelError),
		attribute.String(keyStatusMessage, msg),
		attribute.String(keyErrorType, errType),
	)
	span.SetStatus(codes.Error, msg)
}
