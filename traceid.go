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
// in a new trace. Default: a new trace, or ctx's.
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
// parent does not exist.
func (r *recorder) startIn(ctx context.Context, id, what, name string, kind trace.SpanKind) (context.Context, trace.Span) {
	if id == "" {
		return r.start(ctx, name, kind)
	}
	r.resolve()
	parent, root := knownTrace(ctx, id, what, r)
	ctx, span := r.start(parent, name, kind)
	if root && span.IsRecording() {
		span.SetAttributes(attribute.Bool(record.KeyAsRoot, true))
	}
	return ctx, span
}

// knownTrace returns ctx with a synthetic parent in trace id, and true,
// when ctx holds no span and id is valid; else ctx, with a warning when
// id is not used.
func knownTrace(ctx context.Context, id, what string, r *recorder) (context.Context, bool) {
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		if have := sc.TraceID().String(); have != id {
			warnTraceID(r, id, what+` %q is not used: ctx already holds a span of trace %s, which the call joins; score it with CurrentTraceID(ctx), or pass a context without a span`, shown(id), have)
		}
		return ctx, false
	}
	if !validTraceID(id) {
		warnTraceID(r, id, what+` %q is not a trace ID (32 lowercase hex digits, not all zero): the call is recorded in a new trace; make one with litefuse.NewTraceID(seed)`, shown(id))
		return ctx, false
	}
	tid, _ := trace.TraceIDFromHex(id)
	var sid trace.SpanID
	for !sid.IsValid() {
		binary.BigEndian.PutUint64(sid[:], rand.Uint64())
	}
	return trace.ContextWithSpanContext(ctx, trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled,
	})), true
}

// warnedIDs are the trace IDs already warned about, so a loop does not
// repeat the warning; bounded.
var warnedIDs struct {
	sync.Mutex
	seen map[string]struct{}
}

const maxWarnedIDs = 100

func warnTraceID(r *recorder, id, format string, args ...any) {
	warnedIDs.Lock()
	_, dup := warnedIDs.seen[id]
	if !dup && len(warnedIDs.seen) < maxWarnedIDs {
		if warnedIDs.seen == nil {
			warnedIDs.seen = make(map[string]struct{})
		}
		warnedIDs.seen[id] = struct{}{}
	} else {
		dup = true
	}
	warnedIDs.Unlock()
	if !dup {
		r.cfg.log().Warn(fmt.Sprintf("litefuse: "+format, args...))
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
