// Package litefuse records the model calls a Go program makes, through
// github.com/sashabaranov/go-openai, the official openai-go, Ark's
// arkruntime SDK or any client that speaks the OpenAI wire format over
// net/http, as generations in Litefuse (an open-source LLM observability
// platform that speaks the Langfuse protocol), over OpenTelemetry.
//
// Recording happens at the HTTP layer, so every client gets the same
// recording. For go-openai, build the client with [NewClientWithConfig] or
// [Wrap] an existing one: both return go-openai's own *openai.Client. For
// any other client, hand it [NewHTTPClient] or [NewTransport]. Set
// LANGFUSE_PUBLIC_KEY and LANGFUSE_SECRET_KEY (and LANGFUSE_BASE_URL when
// Litefuse does not run at Litefuse Cloud, https://litefuse.cloud), and call
// [Shutdown] before the program exits (Go has no exit hook: without it the
// last spans are never sent):
//
//	client := litefuse.Wrap(openai.NewClientWithConfig(cfg))
//	defer litefuse.Shutdown(context.Background())
//	resp, err := client.CreateChatCompletion(ctx, req) // same result, now recorded
//
// Every call becomes one OpenTelemetry span of type generation carrying the
// model, parameters, input messages, output (content, reasoning, tool calls),
// token usage, latency and, for streams, time to first token. Spans are
// batched and sent over OTLP/HTTP by a private TracerProvider; the
// application's global provider is never touched.
//
// The library never changes what a call returns: the client gets the
// server's bytes and errors (the one exception, a usage event the library
// asked for itself, is described at [WithStreamUsage]). Recording never
// blocks a call on the network and never panics into the program; when
// Litefuse is down, spans are counted Failed or Dropped ([ReadStats]),
// within a memory bound. Without keys, or with
// LANGFUSE_TRACING_ENABLED=false, calls pass straight through.
//
// [Observe] and [StartObservation] nest generations under the program's own
// steps; [PropagateAttributes] tags a trace with user, session, tags,
// metadata and version; [WithGeneration] names one call and links it to a
// prompt. A model reached without HTTP is recorded by hand through an
// [Observation] ([Observation.SetModel], [Observation.SetUsage], …). To
// score or link a call made without a span around it, give it a known
// trace with [NewTraceID] and [Generation].TraceID, then [CreateScore].
package litefuse
