// Package record maps one recorded model call (the wire's Request and
// Result) and the trace context around it to the span attributes Litefuse
// reads. Every attribute key the library writes is defined here and nowhere
// else.
package record

// Span attribute keys. Values are OTel string attributes unless the comment
// says otherwise; "JSON" means a string holding JSON, which is how Litefuse
// reads them.
const (
	KeyObservationType     = "langfuse.observation.type"                  // generation | embedding | span | …
	KeyModelName           = "langfuse.observation.model.name"            // response model, else request model
	KeyModelParameters     = "langfuse.observation.model.parameters"      // JSON object
	KeyInput               = "langfuse.observation.input"                 // JSON
	KeyOutput              = "langfuse.observation.output"                // JSON
	KeyUsageDetails        = "langfuse.observation.usage_details"         // JSON object of ints
	KeyCostDetails         = "langfuse.observation.cost_details"          // JSON object of numbers (USD)
	KeyCompletionStartTime = "langfuse.observation.completion_start_time" // RFC 3339 with zone
	KeyLevel               = "langfuse.observation.level"                 // DEBUG | DEFAULT | WARNING | ERROR
	KeyStatusMessage       = "langfuse.observation.status_message"
	KeyObservationMetadata = "langfuse.observation.metadata." // + key; string values
	KeyPromptName          = "langfuse.observation.prompt.name"
	KeyPromptVersion       = "langfuse.observation.prompt.version" // int
	KeyUserID              = "user.id"
	KeySessionID           = "session.id"
	KeyTraceName           = "langfuse.trace.name"
	KeyTraceTags           = "langfuse.trace.tags"       // string array
	KeyTraceMetadata       = "langfuse.trace.metadata."  // + key
	KeyTraceInput          = "langfuse.trace.input"      // JSON
	KeyTraceOutput         = "langfuse.trace.output"     // JSON
	KeyAsRoot              = "langfuse.internal.as_root" // bool: the span is its trace's root despite a (synthetic) parent
	KeyVersion             = "langfuse.version"
	KeyRelease             = "langfuse.release"
	KeyEnvironment         = "langfuse.environment"
	KeyGenAIOperationName  = "gen_ai.operation.name"
	KeyGenAIProviderName   = "gen_ai.provider.name"
	KeyGenAIRequestModel   = "gen_ai.request.model"
	KeyGenAIResponseModel  = "gen_ai.response.model"
	KeyGenAIResponseID     = "gen_ai.response.id"
	KeyGenAIFinishReasons  = "gen_ai.response.finish_reasons" // string array
	KeyGenAIInputTokens    = "gen_ai.usage.input_tokens"      // int
	KeyGenAIOutputTokens   = "gen_ai.usage.output_tokens"     // int
	KeyServerAddress       = "server.address"
	KeyErrorType           = "error.type"
	KeyHTTPStatusCode      = "http.response.status_code" // int
	KeyServiceName         = "service.name"              // resource

	// Metadata keys the library itself writes (under KeyObservationMetadata).
	MetaStreamCutShort    = "stream_cut_short"
	MetaServiceTier       = "service_tier"
	MetaAttempt           = "attempt"       // the client's retry attempt, from 0
	MetaOmittedBytes      = "omitted_bytes" // output bytes not kept (memory bound)
	MetaDroppedMetadata   = "litefuse_dropped_metadata_keys"
	MetaOutputNotRecorded = "output_not_recorded" // why the output is missing
)

// Observation types Litefuse knows.
const (
	TypeGeneration = "generation"
	TypeEmbedding  = "embedding"
	TypeSpan       = "span"
)

// Observation levels.
const (
	LevelError   = "ERROR"
	LevelWarning = "WARNING"
)

// MaxMetadataKeys bounds how many caller metadata keys one span carries,
// per kind (observation, trace), so the library's own attributes always fit
// under any attribute count limit; the number left out is recorded under
// MetaDroppedMetadata.
const MaxMetadataKeys = 64
