// Package litefusetest provides a local Litefuse and a canned
// OpenAI-compatible model for tests, as net/http/httptest does for HTTP.
//
// NewServer starts the same server as the litefuse command (OTLP ingest,
// prompts, scores, media, Langfuse's read API) on a free 127.0.0.1 port,
// with an in-memory store; Options points a client or litefuse.Init at it,
// and Observations returns what arrived as Litefuse stores it (Langfuse's
// ObservationV2, Go names). NewModelServer answers chat completions (plain
// and streamed, with tool calls and reasoning), completions, embeddings and
// Responses, so a test needs no network and no key.
//
// Spans are exported in the background: call litefuse.Flush (or Shutdown,
// or the ForceFlush of the provider litefuse.NewTracerProvider returned)
// before reading, or wait with WaitObservations.
package litefusetest
