// Package openai is go-openai with tracing: change
//
//	import openai "github.com/sashabaranov/go-openai"
//
// to
//
//	import openai "github.com/litefuse/litefuse-go/openai"
//
// and the program compiles unchanged, with every chat completion recorded in
// Litefuse. Every exported name of go-openai is here (types as aliases, so
// values mix freely with code that still imports go-openai), except that
// Client, NewClient, NewClientWithConfig, NewOrgClient and the stream types
// are litefuse-go's traced ones. Configure with the LANGFUSE_* variables or
// litefuse.Init.
package openai

//go:generate go run ../internal/genopenai -out zz_generated.go
