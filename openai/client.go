package openai

import (
	litefuse "github.com/litefuse/litefuse-go"
)

// Only the constructors are declared by hand: they return go-openai's own
// *Client, recording through its HTTP client. Everything else in this
// package, Client and the stream types included, is go-openai's,
// re-exported in zz_generated.go.

// NewClient creates a client for OpenAI's API, as go-openai's NewClient,
// that records every model call in Litefuse.
func NewClient(authToken string) *Client { return litefuse.NewClient(authToken) }

// NewClientWithConfig creates a client for config, as go-openai's
// NewClientWithConfig, that records every model call in Litefuse. Set
// config.BaseURL to Ark's endpoint, e.g.
// https://ark.ap-southeast.bytepluses.com/api/v3.
func NewClientWithConfig(config ClientConfig) *Client { return litefuse.NewClientWithConfig(config) }

// NewOrgClient creates a recording client for an organization, as go-openai's.
//
// Deprecated: Please use NewClientWithConfig.
func NewOrgClient(authToken, org string) *Client {
	config := DefaultConfig(authToken)
	config.OrgID = org
	return litefuse.NewClientWithConfig(config)
}
