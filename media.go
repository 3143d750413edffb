package litefuse

import (
	api "github.com/litefuse/litefuse-go/internal/platform"
	"github.com/litefuse/litefuse-go/internal/record"
	"go.opentelemetry.io/otel/trace"
)

// Media uploads: the image and audio data URIs in a recorded input or
// output go to Litefuse's media API, and the span records their media
// references instead (record.Values.Upload finds them).
const (
	mediaWorkers  = 2     // uploads in flight at once
	mediaRemember = 10000 // media ids remembered as uploaded in this process
)

// withMedia returns v with uploads on for span, or v as it is when
// nothing can be uploaded: the data URIs are then recorded inline. Uploads
// go through the REST side of the span's pipeline, with its keys and base
// URL: a client given its own WithCredentials uploads with those. A span
// of the application's own provider (WithTracerProvider) uploads through
// the default pipeline's REST side when the default pipeline is in use,
// else records inline: building one here would start an exporter nobody
// asked for. Only recording spans get here.
func withMedia(v record.Values, span trace.Span) record.Values {
	sc := span.SpanContext()
	if !sc.IsValid() {
		return v
	}
	r := clientRest(span)
	if r == nil {
		if r = restCur.Load(); r == nil {
			if defaultInst.Load() == nil {
				return v
			}
			r = currentRest()
		}
	}
	if r == nil || r.media == nil {
		return v
	}
	traceID, spanID := sc.TraceID().String(), sc.SpanID().String()
	v.Upload = func(m *record.Media) {
		r.media.Upload(api.Media{
			TraceID: traceID, ObservationID: spanID, Field: m.Field,
			ContentType: m.ContentType, Data: m.Data, SHA256: m.SHA256, ID: m.ID,
		})
	}
	return v
}

// mediaStats returns the media upload counts for ReadStats.
func mediaStats() api.Counts {
	r := restCur.Load()
	if r == nil || r.media == nil {
		return api.Counts{}
	}
	return r.media.Counts()
}
