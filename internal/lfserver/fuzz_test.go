package lfserver

import (
	"testing"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
)

// FuzzDecodeAndMap: no body, however odd, panics the decoder, the
// validation or the mapping.
func FuzzDecodeAndMap(f *testing.F) {
	f.Add(marshal(f, request([]*commonpb.KeyValue{str("service.name", "x")}, generationSpans(1, 2)...)), false)
	f.Add([]byte(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","attributes":[{"key":"langfuse.trace.tags","value":{"arrayValue":{"values":[{"kvlistValue":{"values":[{"key":"a","value":{"intValue":"1"}}]}}]}}}]}]}]}]}`), true)
	f.Add([]byte{0x0a, 0x02, 0x12, 0x00}, false)
	f.Fuzz(func(t *testing.T, body []byte, isJSON bool) {
		ct := "application/x-protobuf"
		if isJSON {
			ct = "application/json"
		}
		_, msg, err := DecodeTraces(body, ct, "", 1<<20)
		if err != nil {
			if be, ok := err.(*BodyError); !ok || be.Status < 400 || be.Status >= 500 {
				t.Fatalf("error %v is not a 4xx BodyError", err)
			}
			return
		}
		if Validate(msg) == nil {
			for _, o := range Observations(msg) {
				_ = ObservationJSON(&o, fieldGroups)
			}
		}
	})
}
