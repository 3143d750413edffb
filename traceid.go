package litefuse

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/litefuse/litefuse-go/internal/record"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// NewTraceID returns a Litefuse trace ID: 32 lowercase hex digits. With
// an empty seed it is random. With a seed it is the hex of the first 16
// bytes of the seed's SHA-256, exactly what the Python SDK's
// create_trace_id(seed=...) gives, so a Go and a Python service that
// derive it from the same request or conversation ID meet on one trace.
//
// Use it to score or link a model call made without a span around it:
// pass the ID as [Generation].TraceID (or to [Observe] and
// [StartObservation] with [WithTraceID]), then score it with
// [CreateScore] and Score.TraceID, or link it with [TraceURL].
func NewTraceID(seed string) string {
	var b [16]byte
	if seed != "" {
		sum := sha256.Sum256([]byte(seed))
		copy(b[:], sum[:16])
		return hex.EncodeToString(b[:])
	}
	for b == ([16]byte{}) { // the all-zero ID is not a trace ID
		binary.BigEndian.PutUint64(b[:8], rand.Uint64())
		binary.BigEndian.PutUint64(b[8:], rand.Uint64())
	}
	return hex.EncodeToString(b[:])
}

// WithTraceID starts the observation in the trace with this ID (from
// [NewTraceID]) when ctx holds no span: the observation is then the
// trace's root, and its children and the model calls made with its
// context belong to that trace. When ctx already holds a span the
// observation joins that span's trace as usual, and a different id is
// warned about. An ID that is not 32 lowercase hex digits (not all zero)
// is warned about once, naming the value, and the observation is recorded
// in a new trace. Nothing is warned about when the observation is not
// recorded (tracing off, sampled out). Default: a new trace, or ctx's.
func WithTraceID(id string) ObserveOption {
	return observeOptionFunc(func(c *observeConfig) { c.traceID = id })
}

// validTraceID reports whether id is a trace ID Litefuse and OTel accept:
// 32 lowercase hex digits, not all zero.
func validTraceID(id string) bool {
	if len(id) != 32 {
		return false
	}
	zero := true
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case c == '0':
		case '1' <= c && c <= '9', 'a' <= c && c <= 'f':
			zero = false
		default:
			return false
		}
	}
	return !zero
}

// generationTraceID is the Generation.TraceID the calls made with ctx
// start, or "".
func generationTraceID(ctx context.Context) string {
	if g := generationFrom(ctx); g != nil {
		return g.TraceID
	}
	return ""
}

// startIn starts a span as [recorder.start] does, in the known trace id
// (from what, for warnings) when ctx holds no span: the span is then the
// trace's root. As the Python SDK does it, the span gets a synthetic
// parent carrying the trace ID and langfuse.internal.as_root=true; the
// library's own exporter sends it with no parent at all (see
// [exporter.ExportSpans]), so Litefuse never shows an observation whose
// parent does not exist. An id not used is warned about only when the
// span is recorded (not with tracing off, nor for a span sampled out).
func (r *recorder) startIn(ctx context.Context, id, what, name string, kind trace.SpanKind) (context.Context, trace.Span) {
	return r.beginIn(ctx, id, what, name, kind, true)
}

// beginIn is startIn; without withCtx the context returned is nil (see
// begin).
func (r *recorder) beginIn(ctx context.Context, id, what, name string, kind trace.SpanKind, withCtx bool) (context.Context, trace.Span) {
	if id == "" {
		return r.begin(ctx, trace.TraceID{}, name, kind, withCtx)
	}
	r.resolve()
	parent, root, w := knownTrace(ctx, id, what)
	ctx, span := r.begin(parent, trace.TraceID{}, name, kind, withCtx)
	if span.IsRecording() {
		if root {
			span.SetAttributes(attribute.Bool(record.KeyAsRoot, true))
		}
		if w.cause != "" {
			warnTraceID(r, w)
		}
	}
	return ctx, span
}

// idWarning is a trace ID not used, and why.
type idWarning struct {
	what, cause, id string // cause: "invalid" or "in a span"
	text            string
}

// knownTrace returns ctx with a synthetic parent in trace id, and true,
// when ctx holds no span and id is valid; else ctx, and the warning to
// give if the call is recorded.
func knownTrace(ctx context.Context, id, what string) (context.Context, bool, idWarning) {
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		if have := sc.TraceID().String(); have != id {
			return ctx, false, idWarning{what: what, cause: "in a span", id: id, text: fmt.Sprintf(what+` %q is not used: ctx already holds a span of trace %s, which the call joins; score it with CurrentTraceID(ctx), or pass a context without a span`, shown(id), have)}
		}
		return ctx, false, idWarning{}
	}
	if !validTraceID(id) {
		return ctx, false, idWarning{what: what, cause: "invalid", id: id, text: fmt.Sprintf(what+` %q is not a trace ID (%s): the call is recorded in a new trace; make one with litefuse.NewTraceID(seed)`, shown(id), invalidTraceIDWhy(id))}
	}
	tid, _ := trace.TraceIDFromHex(id)
	var sid trace.SpanID
	for !sid.IsValid() {
		binary.BigEndian.PutUint64(sid[:], rand.Uint64())
	}
	return trace.ContextWithSpanContext(ctx, trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled,
	})), true, idWarning{}
}

// warnedIDs are the (option, cause, ID) triples already warned about, so
// a loop does not repeat the warning; bounded, and when the bound is
// reached one last warning says so.
var warnedIDs struct {
	sync.Mutex
	seen   map[idWarningKey]struct{}
	capped bool
}

type idWarningKey struct{ what, cause, id string }

const maxWarnedIDs = 100

func warnTraceID(r *recorder, w idWarning) {
	k := idWarningKey{w.what, w.cause, w.id}
	if len(k.id) > 256 { // bound what the set holds
		k.id = k.id[:256]
	}
	warnedIDs.Lock()
	_, dup := warnedIDs.seen[k]
	capNow := false
	switch {
	case dup:
	case len(warnedIDs.seen) < maxWarnedIDs:
		if warnedIDs.seen == nil {
			warnedIDs.seen = make(map[idWarningKey]struct{})
		}
		warnedIDs.seen[k] = struct{}{}
	default:
		dup = true
		capNow, warnedIDs.capped = !warnedIDs.capped, true
	}
	warnedIDs.Unlock()
	log := r.cfg.log()
	if !dup {
		log.Warn("litefuse: " + w.text)
	}
	if capNow {
		log.Warn(fmt.Sprintf("litefuse: %d unused trace IDs warned about already: further ones are not warned about (the calls are still recorded)", maxWarnedIDs))
	}
}

// shown is a value as a message may quote it: at most 64 bytes, valid
// UTF-8.
func shown(s string) string {
	const max = 64
	if len(s) <= max {
		return strings.ToValidUTF8(s, "\uFFFD")
	}
	return strings.ToValidUTF8(s[:max], "\uFFFD") + "…"
}

// invalidTraceIDWhy says why id is not a trace ID.
func invalidTraceIDWhy(id string) string {
	switch {
	case id == "":
		return "it is empty"
	case utf8.RuneCountInString(id) != 32:
		return fmt.Sprintf("%d characters, not 32 lowercase hex digits", utf8.RuneCountInString(id))
	case strings.ToLower(id) != id && validTraceID(strings.ToLower(id)):
		return "upper-case hex: a trace ID is 32 lowercase hex digits; use strings.ToLower"
	case strings.Trim(id, "0") == "":
		return "all zero, which no trace has"
	}
	return "not 32 lowercase hex digits"
}
