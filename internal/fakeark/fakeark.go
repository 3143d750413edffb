// Package fakeark is a local stand-in for BytePlus ModelArk's
// OpenAI-compatible chat API: it answers chat completions in Ark's JSON, streams
// them as Ark's server-sent events (reasoning first, then content, tool-call
// arguments split over chunks, usage last when asked for), and answers Ark's
// error body on demand. It listens on 127.0.0.1 only.
package fakeark

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	openai "github.com/sashabaranov/go-openai"
)

// Model is the seed's model.
const Model = "kimi-k2-250711"

// UnknownModel is a model the fake answers with Ark's 404 error.
const UnknownModel = "nonexistent-model"

// Reply is what the server answers.
type Reply struct {
	ID        string
	Model     string // default: the request's model
	Content   string
	Reasoning string
	ToolCalls []openai.ToolCall
	Finish    openai.FinishReason
	Usage     openai.Usage
	N         int // choices to answer; default: the request's n, else 1

	// Streaming.
	Pieces     int           // chunks per text field; default 4
	FirstDelay time.Duration // before the answer, or its first chunk
	ChunkDelay time.Duration // between chunks

	// Failure: a non-zero Status answers Ark's error body with it.
	Status    int
	ErrorCode string
	ErrorMsg  string
}

// DefaultReply is a thinking model's answer with cached and reasoning tokens.
func DefaultReply() Reply {
	return Reply{
		ID:        "0217329870123456789abcdef",
		Content:   "Litefuse is an open-source LLM observability platform that speaks the Langfuse protocol.",
		Reasoning: "The user asks what Litefuse is. I should describe it briefly.",
		Finish:    openai.FinishReasonStop,
		Usage: openai.Usage{
			PromptTokens: 20, CompletionTokens: 50, TotalTokens: 70,
			PromptTokensDetails:     &openai.PromptTokensDetails{CachedTokens: 4},
			CompletionTokensDetails: &openai.CompletionTokensDetails{ReasoningTokens: 12},
		},
		Pieces: 4,
	}
}

// Request is a request as the server saw it.
type Request struct {
	Path   string
	Header http.Header
	Body   []byte
	Chat   openai.ChatCompletionRequest
}

// Server is a running fake Ark endpoint.
type Server struct {
	srv *httptest.Server

	mu       sync.Mutex
	reply    Reply
	requests []Request
	keep     int // the last requests Requests returns (SetKeep)
}

// DefaultKeep is how many of the last requests a server keeps for
// Requests: a long run (a benchmark, a demo left running) must not hold
// every request it ever got.
const DefaultKeep = 1000

// New starts a fake Ark endpoint answering DefaultReply.
func New() *Server {
	s := &Server{reply: DefaultReply(), keep: DefaultKeep}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// URL is the server's root, http://127.0.0.1:port.
func (s *Server) URL() string { return s.srv.URL }

// BaseURL is the value for openai.ClientConfig.BaseURL, like Ark's /api/v3.
func (s *Server) BaseURL() string { return s.srv.URL + "/api/v3" }

// Close stops the server.
func (s *Server) Close() {
	s.srv.CloseClientConnections()
	s.srv.Close()
}

// SetReply changes what the server answers.
func (s *Server) SetReply(r Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reply = r
}

// SetKeep sets how many of the last requests Requests returns; 0 keeps
// none (benchmarks: what is kept is live heap every GC cycle marks).
func (s *Server) SetKeep(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keep = max(n, 0)
	s.requests = append([]Request(nil), s.requests[max(len(s.requests)-s.keep, 0):]...)
}

// Requests returns the last requests received, DefaultKeep at most.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests[max(len(s.requests)-s.keep, 0):]...)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var req openai.ChatCompletionRequest
	_ = json.Unmarshal(body, &req)
	s.mu.Lock()
	reply := s.reply
	if s.keep > 0 {
		if len(s.requests) >= 2*s.keep { // the older half goes: amortised, no copy per request
			n := copy(s.requests, s.requests[len(s.requests)-s.keep+1:])
			clear(s.requests[n:]) // what went is not held by the array
			s.requests = s.requests[:n]
		}
		s.requests = append(s.requests, Request{Path: r.URL.Path, Header: r.Header.Clone(), Body: body, Chat: req})
	}
	s.mu.Unlock()

	if reply.Status != 0 {
		WriteError(w, reply.Status, reply.ErrorCode, reply.ErrorMsg)
		return
	}
	switch {
	case strings.HasSuffix(r.URL.Path, "/embeddings"):
		serveEmbeddings(w, body)
		return
	case strings.HasSuffix(r.URL.Path, "/responses"):
		serveResponses(w, body, reply)
		return
	case strings.HasSuffix(r.URL.Path, "/completions") && !strings.HasSuffix(r.URL.Path, "/chat/completions"):
		serveCompletions(w, body, reply)
		return
	case !strings.HasSuffix(r.URL.Path, "/chat/completions"):
		WriteError(w, http.StatusNotFound, "NotFound", "The requested resource is not found")
		return
	}
	if req.Model == UnknownModel {
		WriteError(w, http.StatusNotFound, "InvalidEndpointOrModel.NotFound",
			"The model or endpoint "+UnknownModel+" does not exist or you do not have access to it.")
		return
	}
	if reply.Model == "" {
		reply.Model = req.Model
	}
	if len(reply.ToolCalls) == 0 && len(req.Tools) > 0 && req.Tools[0].Function != nil &&
		len(req.Messages) > 0 && req.Messages[len(req.Messages)-1].Role != openai.ChatMessageRoleTool {
		// Offered tools and no tool result yet: call the first tool.
		reply.ToolCalls = []openai.ToolCall{{ID: "call_0001", Type: openai.ToolTypeFunction,
			Function: openai.FunctionCall{Name: req.Tools[0].Function.Name, Arguments: `{"location":"Boston, MA"}`}}}
		reply.Content, reply.Finish = "", openai.FinishReasonToolCalls
	}
	if reply.N == 0 {
		reply.N = max(req.N, 1)
	}
	if req.Stream {
		includeUsage := req.StreamOptions != nil && req.StreamOptions.IncludeUsage
		chunks := Chunks(reply, includeUsage)
		events := make([]any, len(chunks))
		for i, c := range chunks {
			events[i] = c
		}
		streamEvents(w, events, nil, reply.FirstDelay, reply.ChunkDelay)
		return
	}
	time.Sleep(reply.FirstDelay)
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(Completion(reply))
}

// WriteError answers Ark's error body.
func WriteError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{
		"code": code, "message": msg, "param": "", "type": http.StatusText(status),
	}})
}

// Completion is the non-streaming answer for r.
func Completion(r Reply) openai.ChatCompletionResponse {
	resp := openai.ChatCompletionResponse{
		ID: r.ID, Object: "chat.completion", Created: 1732987012, Model: r.Model,
		Usage: r.Usage, ServiceTier: "default",
	}
	for i := range max(r.N, 1) {
		resp.Choices = append(resp.Choices, openai.ChatCompletionChoice{
			Index: i,
			Message: openai.ChatCompletionMessage{
				Role: openai.ChatMessageRoleAssistant, Content: r.Content,
				ReasoningContent: r.Reasoning, ToolCalls: r.ToolCalls,
			},
			FinishReason: r.Finish,
		})
	}
	return resp
}

// split cuts s into at most n pieces of about equal length, on rune bounds.
func split(s string, n int) []string {
	runes := []rune(s)
	if n <= 1 || len(runes) <= 1 {
		if s == "" {
			return nil
		}
		return []string{s}
	}
	n = min(n, len(runes))
	size := (len(runes) + n - 1) / n
	var out []string
	for i := 0; i < len(runes); i += size {
		out = append(out, string(runes[i:min(i+size, len(runes))]))
	}
	return out
}

// Chunks is the streamed answer for r: role, reasoning pieces, content
// pieces, tool calls (name, then arguments in pieces), finish, and a
// usage-only chunk with empty choices when includeUsage.
func Chunks(r Reply, includeUsage bool) []openai.ChatCompletionStreamResponse {
	pieces := r.Pieces
	if pieces == 0 {
		pieces = 4
	}
	var out []openai.ChatCompletionStreamResponse
	chunk := func(choices ...openai.ChatCompletionStreamChoice) {
		out = append(out, openai.ChatCompletionStreamResponse{
			ID: r.ID, Object: "chat.completion.chunk", Created: 1732987012, Model: r.Model, Choices: choices,
		})
	}
	for i := range max(r.N, 1) {
		delta := func(d openai.ChatCompletionStreamChoiceDelta) openai.ChatCompletionStreamChoice {
			return openai.ChatCompletionStreamChoice{Index: i, Delta: d}
		}
		chunk(delta(openai.ChatCompletionStreamChoiceDelta{Role: openai.ChatMessageRoleAssistant}))
		for _, p := range split(r.Reasoning, pieces) {
			chunk(delta(openai.ChatCompletionStreamChoiceDelta{ReasoningContent: p}))
		}
		for _, p := range split(r.Content, pieces) {
			chunk(delta(openai.ChatCompletionStreamChoiceDelta{Content: p}))
		}
		for j, tc := range r.ToolCalls {
			idx := j
			chunk(delta(openai.ChatCompletionStreamChoiceDelta{ToolCalls: []openai.ToolCall{{
				Index: &idx, ID: tc.ID, Type: tc.Type, Function: openai.FunctionCall{Name: tc.Function.Name},
			}}}))
			for _, p := range split(tc.Function.Arguments, pieces) {
				chunk(delta(openai.ChatCompletionStreamChoiceDelta{ToolCalls: []openai.ToolCall{{
					Index: &idx, Function: openai.FunctionCall{Arguments: p},
				}}}))
			}
		}
		fin := delta(openai.ChatCompletionStreamChoiceDelta{})
		fin.FinishReason = r.Finish
		chunk(fin)
	}
	if includeUsage {
		u := r.Usage
		out = append(out, openai.ChatCompletionStreamResponse{
			ID: r.ID, Object: "chat.completion.chunk", Created: 1732987012, Model: r.Model,
			Choices: []openai.ChatCompletionStreamChoice{}, Usage: &u,
		})
	}
	return out
}

// EmbeddingDimensions is the length of every vector the fake answers.
const EmbeddingDimensions = 8

func serveEmbeddings(w http.ResponseWriter, body []byte) {
	var req struct {
		Input any    `json:"input"`
		Model string `json:"model"`
	}
	_ = json.Unmarshal(body, &req)
	n := 1
	if list, ok := req.Input.([]any); ok {
		n = len(list)
	}
	resp := map[string]any{"object": "list", "model": req.Model, "id": "emb-1",
		"usage": map[string]int{"prompt_tokens": 3 * n, "total_tokens": 3 * n}}
	var data []map[string]any
	for i := range n {
		vec := make([]float32, EmbeddingDimensions)
		for j := range vec {
			vec[j] = float32(i+1) / float32(j+1)
		}
		data = append(data, map[string]any{"object": "embedding", "index": i, "embedding": vec})
	}
	resp["data"] = data
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(resp)
}

func serveCompletions(w http.ResponseWriter, body []byte, reply Reply) {
	var req openai.CompletionRequest
	_ = json.Unmarshal(body, &req)
	if reply.Model == "" {
		reply.Model = req.Model
	}
	u := reply.Usage
	if !req.Stream {
		time.Sleep(reply.FirstDelay)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(openai.CompletionResponse{
			ID: "cmpl-" + reply.ID, Object: "text_completion", Created: 1732987012, Model: reply.Model,
			Choices: []openai.CompletionChoice{{Text: reply.Content, Index: 0, FinishReason: string(reply.Finish)}},
			Usage:   &u,
		})
		return
	}
	var chunks []any
	pieces := split(reply.Content, max(reply.Pieces, 1))
	for i, p := range pieces {
		ch := openai.CompletionChoice{Text: p}
		if i == len(pieces)-1 {
			ch.FinishReason = string(reply.Finish)
		}
		chunks = append(chunks, openai.CompletionResponse{ID: "cmpl-" + reply.ID, Object: "text_completion", Model: reply.Model, Choices: []openai.CompletionChoice{ch}})
	}
	if req.StreamOptions != nil && req.StreamOptions.IncludeUsage {
		chunks = append(chunks, map[string]any{"id": "cmpl-" + reply.ID, "object": "text_completion", "model": reply.Model, "choices": []any{}, "usage": u})
	}
	streamEvents(w, chunks, nil, reply.FirstDelay, reply.ChunkDelay)
}

// ResponseStatus, when set on a Reply as Finish, makes Responses API
// answers carry that status ("failed", "incomplete").
func responseObject(reply Reply, status string) map[string]any {
	var output []any
	if reply.Reasoning != "" {
		output = append(output, map[string]any{"type": "reasoning", "id": "rs_1",
			"summary": []any{map[string]any{"type": "summary_text", "text": reply.Reasoning}}})
	}
	output = append(output, map[string]any{"type": "message", "id": "msg_1", "status": "completed", "role": "assistant",
		"content": []any{map[string]any{"type": "output_text", "text": reply.Content, "annotations": []any{}}}})
	for _, tc := range reply.ToolCalls {
		output = append(output, map[string]any{"type": "function_call", "id": "fc_1", "call_id": tc.ID,
			"name": tc.Function.Name, "arguments": tc.Function.Arguments, "status": "completed"})
	}
	u := reply.Usage
	obj := map[string]any{
		"id": "resp_" + reply.ID, "object": "response", "created_at": 1732987012, "status": status,
		"model": reply.Model, "output": output, "service_tier": "default",
		"usage": map[string]any{
			"input_tokens": u.PromptTokens, "output_tokens": u.CompletionTokens, "total_tokens": u.TotalTokens,
			"input_tokens_details":  map[string]any{"cached_tokens": cachedOf(u)},
			"output_tokens_details": map[string]any{"reasoning_tokens": reasoningOf(u)},
		},
	}
	switch status {
	case "failed":
		obj["error"] = map[string]any{"code": "server_error", "message": "The model failed to generate a response."}
	case "incomplete":
		obj["incomplete_details"] = map[string]any{"reason": "max_output_tokens"}
	}
	return obj
}

func cachedOf(u openai.Usage) int {
	if u.PromptTokensDetails == nil {
		return 0
	}
	return u.PromptTokensDetails.CachedTokens
}

func reasoningOf(u openai.Usage) int {
	if u.CompletionTokensDetails == nil {
		return 0
	}
	return u.CompletionTokensDetails.ReasoningTokens
}

func serveResponses(w http.ResponseWriter, body []byte, reply Reply) {
	var req openai.CreateResponseRequest
	_ = json.Unmarshal(body, &req)
	if reply.Model == "" {
		reply.Model = req.Model
	}
	status := "completed"
	if s := string(reply.Finish); s == "failed" || s == "incomplete" {
		status = s
	}
	final := responseObject(reply, status)
	if !req.Stream {
		time.Sleep(reply.FirstDelay)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(final)
		return
	}
	created := map[string]any{"id": final["id"], "object": "response", "status": "in_progress", "model": reply.Model, "output": []any{}}
	events := []any{map[string]any{"type": "response.created", "sequence_number": 0, "response": created}}
	types := []string{"response.created"}
	seq := 1
	add := func(typ string, ev map[string]any) {
		ev["type"], ev["sequence_number"] = typ, seq
		seq++
		events = append(events, ev)
		types = append(types, typ)
	}
	for _, p := range split(reply.Reasoning, max(reply.Pieces, 1)) {
		add("response.reasoning_summary_text.delta", map[string]any{"item_id": "rs_1", "output_index": 0, "delta": p})
	}
	for _, p := range split(reply.Content, max(reply.Pieces, 1)) {
		add("response.output_text.delta", map[string]any{"item_id": "msg_1", "output_index": 1, "content_index": 0, "delta": p})
	}
	add("response.output_text.done", map[string]any{"item_id": "msg_1", "output_index": 1, "text": reply.Content})
	add("response."+status, map[string]any{"response": final})
	streamEvents(w, events, types, reply.FirstDelay, reply.ChunkDelay)
}

// streamEvents writes server-sent events (with "event:" lines when types
// are given, as the Responses API does) and ends with data: [DONE] unless
// the stream carries typed events.
func streamEvents(w http.ResponseWriter, events []any, types []string, first, between time.Duration) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	flusher, _ := w.(http.Flusher)
	time.Sleep(first)
	for i, ev := range events {
		if i > 0 {
			time.Sleep(between)
		}
		b, _ := json.Marshal(ev)
		if types != nil {
			fmt.Fprintf(w, "event: %s\n", types[i])
		}
		if _, err := fmt.Fprintf(w, "data: %s\n\n", b); err != nil {
			return // the client went away
		}
		if flusher != nil {
			flusher.Flush()
		}
	}
	if types == nil {
		_, _ = io.WriteString(w, "data: [DONE]\n\n")
	}
	if flusher != nil {
		flusher.Flush()
	}
}
