package litefusetest

import (
	"github.com/litefuse/litefuse-go/internal/fakeark"
)

// Model is the model the model server answers as by default (the request's
// model is echoed when ModelReply.Model is empty).
const Model = fakeark.Model

// ModelReply is what the model server answers: content, reasoning, tool
// calls, usage, stream pacing, or an error status.
type ModelReply = fakeark.Reply

// ModelRequest is a request as the model server saw it.
type ModelRequest = fakeark.Request

// DefaultModelReply is a thinking model's answer with cached and reasoning
// tokens.
func DefaultModelReply() ModelReply { return fakeark.DefaultReply() }

// ModelServer is a canned OpenAI-compatible model on 127.0.0.1: chat
// completions (plain and streamed, with tool calls when tools are offered,
// and reasoning), completions, embeddings and the Responses API.
type ModelServer struct {
	// URL is the server's root, http://127.0.0.1:port.
	URL string
	s   *fakeark.Server
}

// NewModelServer starts a model server answering DefaultModelReply.
func NewModelServer() *ModelServer {
	s := fakeark.New()
	return &ModelServer{URL: s.URL(), s: s}
}

// BaseURL is the OpenAI base URL to configure (URL + "/v1"), e.g.
// openai.ClientConfig.BaseURL.
func (m *ModelServer) BaseURL() string { return m.URL + "/v1" }

// SetReply changes what the server answers.
func (m *ModelServer) SetReply(r ModelReply) { m.s.SetReply(r) }

// Requests returns the last requests received (the last 1000 at most, so
// that a long run does not hold every request).
func (m *ModelServer) Requests() []ModelRequest { return m.s.Requests() }

// Close stops the server.
func (m *ModelServer) Close() { m.s.Close() }
