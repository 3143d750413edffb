package litefuse

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

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
	keyServerPort             = "server.port" // int
	keyErrorType              = "error.type"
	keyServiceName            = "service.name" // resource
	metadataKeyStreamCutShort = "stream_cut_short"
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

// truncatedMarker ends a value that was cut to the attribute length limit.
const truncatedMarker = "…[litefuse: truncated %d bytes]"

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
	return s[:cut] + strings.Replace(truncatedMarker, "%d", strconv.Itoa(len(s)-cut), 1)
}

// rfc3339 is the form Litefuse accepts for completion_start_time: with zone.
func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// chatInput is the input Litefuse shows: the messages, and the tools when
// the caller offered any.
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

// float32JSON renders a float32 parameter as the caller wrote it (0.7, not
// 0.699999988079071).
func float32JSON(f float32) json.Number {
	return json.Number(strconv.FormatFloat(float64(f), 'g', -1, 32))
}

// chatParameters returns the model parameters the caller set, and only those.
func chatParameters(req *openai.ChatCompletionRequest) map[string]any {
	p := make(map[string]any, 8)
	if req.Temperature != 0 {
		p["temperature"] = float32JSON(req.Temperature)
	}
	if req.TopP != 0 {
		p["top_p"] = float32JSON(req.TopP)
	}
	if req.MaxTokens != 0 {
		p["max_tokens"] = req.MaxTokens
	}
	if req.MaxCompletionTokens != 0 {
		p["max_completion_tokens"] = req.MaxCompletionTokens
	}
	if req.FrequencyPenalty != 0 {
		p["frequency_penalty"] = float32JSON(req.FrequencyPenalty)
	}
	if req.PresencePenalty != 0 {
		p["presence_penalty"] = float32JSON(req.PresencePenalty)
	}
	if req.Seed != nil {
		p["seed"] = *req.Seed
	}
	if len(req.Stop) > 0 {
		p["stop"] = req.Stop
	}
	if req.N != 0 {
		p["n"] = req.N
	}
	if req.ReasoningEffort != "" {
		p["reasoning_effort"] = req.ReasoningEffort
	}
	if req.ServiceTier != "" {
		p["service_tier"] = req.ServiceTier
	}
	if req.ToolChoice != nil {
		p["tool_choice"] = req.ToolChoice
	}
	if req.ParallelToolCalls != nil {
		p["parallel_tool_calls"] = req.ParallelToolCalls
	}
	if req.ResponseFormat != nil {
		p["response_format"] = req.ResponseFormat
	}
	if req.LogProbs {
		p["logprobs"] = true
	}
	if req.TopLogProbs != 0 {
		p["top_logprobs"] = req.TopLogProbs
	}
	if len(req.LogitBias) > 0 {
		p["logit_bias"] = req.LogitBias
	}
	if req.Verbosity != "" {
		p["verbosity"] = req.Verbosity
	}
	return p
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
	FinishReason     string               `json:"-"`
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

// chatOutput is one assistant message, or a list of them when n > 1.
func chatOutput(choices []openai.ChatCompletionChoice) any {
	switch len(choices) {
	case 0:
		return nil
	case 1:
		return messageOutput(&choices[0].Message)
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
	Input                 int  `json:"input"`
	InputCachedTokens     *int `json:"input_cached_tokens,omitempty"`
	Output                int  `json:"output"`
	OutputReasoningTokens *int `json:"output_reasoning_tokens,omitempty"`
	Total                 int  `json:"total"`
}

func nonNegative(n int) int { return max(n, 0) }

func toUsageDetails(u *openai.Usage) usageDetails {
	prompt, completion := nonNegative(u.PromptTokens), nonNegative(u.CompletionTokens)
	d := usageDetails{Input: prompt, Output: completion}
	if u.PromptTokensDetails != nil {
		cached := min(nonNegative(u.PromptTokensDetails.CachedTokens), prompt)
		d.Input = prompt - cached
		d.InputCachedTokens = &cached
	}
	if u.CompletionTokensDetails != nil {
		reasoning := min(nonNegative(u.CompletionTokensDetails.ReasoningTokens), completion)
		d.Output = completion - reasoning
		d.OutputReasoningTokens = &reasoning
	}
	d.Total = prompt + completion
	return d
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

// traceAttributes are the trace-level attributes put on every span.
func traceAttributes(a *Attributes, env, release string, limit int) []attribute.KeyValue {
	kv := make([]attribute.KeyValue, 0, 8)
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
