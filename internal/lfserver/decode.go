package lfserver

// Decoding an OTLP/HTTP traces request body: protobuf or JSON, gzip or not,
// bounded in size before and after decompression, decoded whole before
// anything is stored.

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// DefaultMaxBodyBytes bounds one OTLP request body, compressed and
// decompressed alike.
const DefaultMaxBodyBytes = 32 << 20

// BodyError is a request body the server refuses, with the status to answer.
type BodyError struct {
	Status  int
	Message string
}

func (e *BodyError) Error() string { return e.Message }

// ReadBody reads a request body of at most limit bytes.
func ReadBody(r io.Reader, limit int64) ([]byte, error) {
	raw, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, &BodyError{http.StatusBadRequest, "reading the request body: " + err.Error()}
	}
	if int64(len(raw)) > limit {
		return nil, &BodyError{http.StatusRequestEntityTooLarge, fmt.Sprintf("request body over %d bytes: send smaller batches", limit)}
	}
	return raw, nil
}

// DecodeTraces decodes a raw OTLP traces body sent with the given
// Content-Type and Content-Encoding. It returns the decompressed body too.
func DecodeTraces(raw []byte, contentType, contentEncoding string, limit int64) ([]byte, *coltracepb.ExportTraceServiceRequest, error) {
	body, err := Decompress(raw, contentEncoding, limit)
	if err != nil {
		return nil, nil, err
	}
	msg, err := decodeBody(body, contentType)
	if err != nil {
		return nil, nil, err
	}
	return body, msg, nil
}

// Decompress undoes a Content-Encoding, bounding the result to limit.
func Decompress(raw []byte, contentEncoding string, limit int64) ([]byte, error) {
	switch strings.ToLower(strings.TrimSpace(contentEncoding)) {
	case "", "identity":
		return raw, nil
	case "gzip":
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			return nil, &BodyError{http.StatusBadRequest, "Content-Encoding is gzip but the body is not gzip: " + err.Error()}
		}
		body, err := io.ReadAll(io.LimitReader(zr, limit+1))
		if err != nil {
			return nil, &BodyError{http.StatusBadRequest, "the gzip body is damaged or truncated: " + err.Error()}
		}
		if int64(len(body)) > limit {
			return nil, &BodyError{http.StatusRequestEntityTooLarge, fmt.Sprintf("decompressed body over %d bytes: send smaller batches", limit)}
		}
		return body, nil
	default:
		return nil, &BodyError{http.StatusUnsupportedMediaType, fmt.Sprintf("Content-Encoding %q not supported: send gzip or none", contentEncoding)}
	}
}

// checkTraceType refuses a traces body without an OTLP Content-Type: a
// web page can send a body with none, or a text type, without a CORS
// preflight.
func checkTraceType(contentType string) error {
	mt, _, _ := mime.ParseMediaType(contentType)
	switch mt {
	case "application/x-protobuf", "application/protobuf", "application/json":
		return nil
	}
	return &BodyError{http.StatusUnsupportedMediaType, fmt.Sprintf("Content-Type %q not supported: send application/x-protobuf or application/json", contentType)}
}

func isJSON(contentType string) bool {
	mt, _, _ := mime.ParseMediaType(contentType)
	return mt == "application/json"
}

// decodeBody decodes a decompressed OTLP traces body.
func decodeBody(body []byte, contentType string) (*coltracepb.ExportTraceServiceRequest, error) {
	mt, _, _ := mime.ParseMediaType(contentType)
	var msg coltracepb.ExportTraceServiceRequest
	switch mt {
	case "application/x-protobuf", "application/protobuf", "":
		if err := proto.Unmarshal(body, &msg); err != nil {
			return nil, &BodyError{http.StatusBadRequest, "the body is not a valid OTLP ExportTraceServiceRequest (protobuf): " + err.Error()}
		}
	case "application/json":
		if err := unmarshalJSON(body, &msg); err != nil {
			return nil, &BodyError{http.StatusBadRequest, "the body is not a valid OTLP ExportTraceServiceRequest (JSON): " + err.Error()}
		}
	default:
		return nil, &BodyError{http.StatusUnsupportedMediaType, fmt.Sprintf("Content-Type %q not supported: send application/x-protobuf or application/json", contentType)}
	}
	return &msg, nil
}

// unmarshalJSON decodes OTLP/JSON, whose trace and span ids are hex (where
// protojson expects base64).
func unmarshalJSON(body []byte, msg *coltracepb.ExportTraceServiceRequest) error {
	var tree any
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	if err := d.Decode(&tree); err != nil {
		return err
	}
	if err := hexIDs(tree); err != nil {
		return err
	}
	fixed, err := json.Marshal(tree)
	if err != nil {
		return err
	}
	return protojson.UnmarshalOptions{DiscardUnknown: true}.Unmarshal(fixed, msg)
}

var idKeys = map[string]bool{"traceId": true, "spanId": true, "parentSpanId": true}

func hexIDs(v any) error {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if s, ok := e.(string); ok && idKeys[k] {
				b, err := hex.DecodeString(s)
				if err != nil {
					return errors.New(k + " must be hex")
				}
				x[k] = base64.StdEncoding.EncodeToString(b)
				continue
			}
			if err := hexIDs(e); err != nil {
				return err
			}
		}
	case []any:
		for _, e := range x {
			if err := hexIDs(e); err != nil {
				return err
			}
		}
	}
	return nil
}
