package openai

import (
	litefuse "github.com/litefuse/litefuse-go"
)

// These names are declared by hand: they are litefuse-go's traced versions.
// Everything else in this package is go-openai's, re-exported in
// zz_generated.go.

// Client is the traced client: *litefuse.Client, which embeds go-openai's
// *Client, so every method works as before.
type Client = litefuse.Client

// ChatCompletionStream is the traced chat stream.
type ChatCompletionStream = litefuse.ChatCompletionStream

// CompletionStream is the traced legacy completion stream.
type CompletionStream = litefuse.CompletionStream

// ResponseStream is the traced Responses API event stream.
type ResponseStream = litefuse.ResponseStream

// NewClient creates a traced client for OpenAI's API, as go-openai's NewClient.
func NewClient(authToken string) *Client { return litefuse.NewClient(authToken) }

// NewClientWithConfig creates a traced client for config, as go-openai's
// NewClientWithConfig. Set config.BaseURL to Ark's endpoint, e.g.
// https://ark.ap-southeast.bytepluses.com/api/v3.
func NewClientWithConfig(config ClientConfig) *Client { return litefuse.NewClientWithConfig(config) }

// NewOrgClient creates a traced client for an organization, as go-openai's.
//
// Deprecated: Please use NewClientWithConfig.
func NewOrgClient(authToken, org string) *Client {
	config := DefaultConfig(authToken)
	config.OrgID = org
	return litefuse.NewClientWithConfig(config)
}
