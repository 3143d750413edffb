// Package openai is go-openai with tracing: change
//
//	import openai "github.com/sashabaranov/go-openai"
//
// to
//
//	import openai "github.com/litefuse/litefuse-go/openai"
//
// and the program compiles unchanged, with every chat completion recorded in
// Litefuse. Every exported name of go-openai is here, every type as an
// alias: Client is go-openai's own *Client, so code and libraries that take
// a *openai.Client keep compiling. Only the constructors (NewClient,
// NewClientWithConfig, NewOrgClient) are replaced by ones that record.
// Configure with the LANGFUSE_* variables or litefuse.Init, and call
// litefuse.Shutdown before the program exits, or the last spans are lost.
package openai

//go:generate go run ../internal/genopenai -out zz_generated.go
