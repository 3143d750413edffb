package record

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/litefuse/litefuse-go/internal/scrub"
	"github.com/litefuse/litefuse-go/internal/wire"
	"go.opentelemetry.io/otel/attribute"
)

// Operation is gen_ai.operation.name for a route.
func Operation(r wire.Route) string {
	switch r {
	case wire.Chat:
		return "chat"
	case wire.Completion:
		return "text_completion"
	case wire.Embedding:
		return "embeddings"
	case wire.Responses:
		return "responses"
	}
	return ""
}

// Call is what the transport knows of a call besides the wire.
type Call struct {
	Provider string // gen_ai.provider.name
	Server   string // server.address
	Attempt  int    // the client's retry attempt (0 first); < 0 unknown
	// Err is the transport's error when no answer came (network, ctx).
	Err     error
	ErrType string // error.type for Err
}

// Outcome says how a call ended, for the span's status.
type Outcome struct {
	Failed  bool
	Message string // the status message (already bounded and redacted)
}

// oneReason holds the finish_reasons value of a call with one choice
// that ended for a common reason: attribute.StringSlice costs three
// allocations, and nearly every call has one of these. Values are
// immutable, so every span can share them.
var oneReason = func() map[string]attribute.Value {
	m := map[string]attribute.Value{}
	for _, r := range []string{"stop", "length", "tool_calls", "content_filter", "function_call", "completed", "incomplete", "end_turn", "max_tokens", "tool_use"} {
		m[r] = attribute.StringSliceValue([]string{r})
	}
	return m
}()

// Generation appends the attributes of one model call: the library's own
// first, so that nothing the caller adds afterwards can push them out.
// req's Input and Parameters and res's Output are the wire package's own
// copies, never written once built: the attribute strings share their
// bytes (OwnedField, OwnedJSON).
func Generation(dst []attribute.KeyValue, c *Call, req *wire.Request, res *wire.Result, v *Values, prices *Prices) ([]attribute.KeyValue, Outcome) {
	obsType := TypeGeneration
	if req.Route == wire.Embedding {
		obsType = TypeEmbedding
	}
	model := req.Model
	if res != nil && res.Model != "" {
		model = res.Model // Ark answers the real model for an ep-… endpoint id
	}
	dst = append(dst,
		attribute.String(KeyObservationType, obsType),
		attribute.String(KeyModelName, v.String(model)),
	)
	if req.Input != nil {
		dst = append(dst, attribute.String(KeyInput, v.OwnedField("input", req.Input)))
	}
	output := ""
	if res != nil && res.Output != nil {
		output = v.OwnedField("output", res.Output)
		dst = append(dst, attribute.String(KeyOutput, output))
	}
	if res != nil && res.Usage.Present {
		b := BucketsOf(&res.Usage)
		dst = append(dst,
			attribute.String(KeyUsageDetails, b.usageJSON()),
			attribute.Int64(KeyGenAIInputTokens, max(res.Usage.Prompt, 0)),
			attribute.Int64(KeyGenAIOutputTokens, max(res.Usage.Completion, 0)),
		)
		if p, ok := prices.Lookup(model); ok {
			dst = append(dst, attribute.String(KeyCostDetails, p.costJSON(b)))
		}
	}
	if res != nil && !res.FirstToken.IsZero() {
		dst = append(dst, attribute.String(KeyCompletionStartTime, RFC3339(res.FirstToken)))
	}
	if req.Parameters != nil {
		dst = append(dst, attribute.String(KeyModelParameters, v.OwnedJSON(req.Parameters)))
	}
	dst = append(dst,
		attribute.String(KeyGenAIOperationName, Operation(req.Route)),
		attribute.String(KeyGenAIProviderName, c.Provider),
		attribute.String(KeyGenAIRequestModel, v.String(req.Model)),
	)
	if c.Server != "" {
		dst = append(dst, attribute.String(KeyServerAddress, c.Server))
	}
	var out Outcome
	dst, out = outcome(dst, c, res, v)
	if res == nil {
		return dst, out
	}
	if res.Model != "" {
		dst = append(dst, attribute.String(KeyGenAIResponseModel, v.String(res.Model)))
	}
	if res.ID != "" {
		id := v.String(res.ID)
		if res.IDInOutput && unsafe.StringData(id) == unsafe.StringData(res.ID) && (len(output) == 0 || unsafe.StringData(output) != unsafe.SliceData(res.Output)) {
			// The output attribute is not the answer's bytes (masked,
			// redacted, media replaced, cut): the id alone must not keep
			// them (review 35).
			id = strings.Clone(id)
		}
		dst = append(dst, attribute.String(KeyGenAIResponseID, id))
	}
	if len(res.FinishReasons) == 1 && v.String(res.FinishReasons[0]) == res.FinishReasons[0] {
		if val, ok := oneReason[res.FinishReasons[0]]; ok { // a single common reason: built once
			dst = append(dst, attribute.KeyValue{Key: KeyGenAIFinishReasons, Value: val})
		} else {
			dst = append(dst, attribute.StringSlice(KeyGenAIFinishReasons, res.FinishReasons))
		}
	} else if len(res.FinishReasons) > 0 {
		reasons := res.FinishReasons // StringSlice copies it; a copy is made here only when a reason changes
		for i, r := range res.FinishReasons {
			if s := v.String(r); s != r {
				if &reasons[0] == &res.FinishReasons[0] {
					reasons = slices.Clone(res.FinishReasons)
				}
				reasons[i] = s
			}
		}
		dst = append(dst, attribute.StringSlice(KeyGenAIFinishReasons, reasons))
	}
	if res.Status >= 400 { // the status of a failed call; a success says nothing more
		dst = append(dst, attribute.Int(KeyHTTPStatusCode, res.Status))
	}
	if res.ServiceTier != "" {
		dst = append(dst, attribute.String(KeyObservationMetadata+MetaServiceTier, v.String(res.ServiceTier)))
	}
	if res.CutShort && req.Stream {
		dst = append(dst, attribute.String(KeyObservationMetadata+MetaStreamCutShort, "true"))
	}
	if res.Omitted > 0 {
		dst = append(dst, attribute.String(KeyObservationMetadata+MetaOmittedBytes, strconv.FormatInt(res.Omitted, 10)))
	}
	if c.Attempt > 0 {
		dst = append(dst, attribute.String(KeyObservationMetadata+MetaAttempt, strconv.Itoa(c.Attempt)))
	}
	return dst, out
}

// outcome appends level, status message and error type: ERROR for a
// transport error, an API error, an HTTP error status or a read error;
// WARNING for an incomplete answer.
func outcome(dst []attribute.KeyValue, c *Call, res *wire.Result, v *Values) ([]attribute.KeyValue, Outcome) {
	var msg, errType string
	switch {
	case c.Err != nil:
		msg, errType = c.Err.Error(), c.ErrType
	case res == nil:
		return dst, Outcome{}
	case res.ErrMessage != "" || res.ErrCode != "" || res.ErrType != "":
		// "400 Bad Request: message (Code)", from what the server sent.
		msg = res.ErrMessage
		if len(msg) > wire.MaxErrorText-utf8.UTFMax {
			// Cut by the wire: a key it quoted across the cut leaves no part.
			msg = scrub.Cut([]byte(msg), true, v.Redact...)
		}
		if code := firstNonEmpty(res.ErrCode, res.ErrType); code != "" {
			if msg == "" {
				msg = code
			} else {
				msg += " (" + code + ")"
			}
		}
		if res.Status >= 400 {
			msg = strconv.Itoa(res.Status) + " " + http.StatusText(res.Status) + ": " + msg
		}
		errType = firstNonEmpty(res.ErrCode, res.ErrType, statusText(res.Status))
	case res.Status >= 400:
		msg, errType = "HTTP status "+strconv.Itoa(res.Status), strconv.Itoa(res.Status)
	case res.ReadErr != nil:
		msg, errType = res.ReadErr.Error(), c.ErrType
	case res.Malformed != "":
		msg, errType = res.Malformed, "invalid_response"
	case res.Warning != "":
		return append(dst,
			attribute.String(KeyLevel, LevelWarning),
			attribute.String(KeyStatusMessage, v.Message(res.Warning))), Outcome{}
	default:
		return dst, Outcome{}
	}
	if errType == "" {
		errType = "error"
	}
	msg = v.Message(msg)
	return append(dst,
		attribute.String(KeyLevel, LevelError),
		attribute.String(KeyStatusMessage, msg),
		attribute.String(KeyErrorType, v.String(errType)),
	), Outcome{Failed: true, Message: msg}
}

func statusText(status int) string {
	if status == 0 {
		return ""
	}
	return strconv.Itoa(status)
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}
