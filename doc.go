// Package litefuse records the chat completions a Go program makes through
// github.com/sashabaranov/go-openai as generations in Litefuse (an
// open-source LLM observability platform that speaks the Langfuse
// protocol), over OpenTelemetry.
//
// Wrap a client, or change one import to
// github.com/litefuse/litefuse-go/openai, and set LANGFUSE_PUBLIC_KEY,
// LANGFUSE_SECRET_KEY and LANGFUSE_BASE_URL:
//
//	client := litefuse.Wrap(openai.NewClientWithConfig(cfg))
//	defer litefuse.Shutdown(context.Background())
//	resp, err := client.CreateChatCompletion(ctx, req) // same result, now traced
//
// Every call becomes one OpenTelemetry span of type generation carrying the
// model, parameters, input messages, output (content, reasoning, tool calls),
// token usage, latency and, for streams, time to first token. Spans are
// batched and sent over OTLP/HTTP by a private TracerProvider; the
// application's global provider is never touched.
//
// The wrapper never changes what a call returns: results, errors and stream
// chunks are go-openai's. Tracing never blocks a call on the network and
// never panics into the program; when Litefuse is down, spans are counted
// Failed or Dropped ([ReadStats]), within a memory bound. Without keys, or with
// LANGFUSE_TRACING_ENABLED=false, calls pass straight through.
//
// [Observe] and [StartObservation] nest generations under the program's own
// steps; [PropagateAttributes] tags a trace with user, session, tags,
// metadata and version; [WithGeneration] names one call and links it to a
// prompt.
package litefuse
