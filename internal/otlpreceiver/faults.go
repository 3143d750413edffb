package otlpreceiver

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/litefuse/litefuse-go/internal/lfserver"
)

// Fault decides the answer to one decoded export request. ok false leaves
// the request to the receiver's usual handling (SetStatus, FailNext,
// Hang). With ok true the request is recorded, and its spans kept when
// status is 200.
type Fault func(req Request) (status int, header http.Header, body []byte, ok bool)

// NewWithFault starts a receiver on 127.0.0.1 that asks f first.
func NewWithFault(f Fault) *Receiver {
	r := newReceiver()
	r.srv = startServer(r, http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		raw, err := io.ReadAll(req.Body)
		if err != nil {
			return
		}
		if req.URL.Path == TracesPath {
			if decoded, msg, err := lfserver.DecodeTraces(raw, req.Header.Get("Content-Type"), req.Header.Get("Content-Encoding"), maxBody); err == nil {
				in := Request{Header: req.Header.Clone(), RawSize: len(raw), Decoded: decoded, Body: msg}
				if status, header, body, ok := f(in); ok {
					r.mu.Lock()
					r.requests = append(r.requests, in)
					if status == http.StatusOK {
						r.accept(msg)
					}
					r.mu.Unlock()
					select {
					case r.notify <- struct{}{}:
					default:
					}
					for k, v := range header {
						w.Header()[k] = v
					}
					w.WriteHeader(status)
					_, _ = w.Write(body)
					return
				}
			}
		}
		req.Body = io.NopCloser(bytes.NewReader(raw))
		r.serve(w, req)
	}))
	return r
}

// TooLarge answers 413 to a request whose decoded protobuf is over limit
// bytes, as a proxy in front of Litefuse does.
func TooLarge(limit int) Fault {
	return func(req Request) (int, http.Header, []byte, bool) {
		if len(req.Decoded) > limit {
			return http.StatusRequestEntityTooLarge, http.Header{"Content-Type": {"text/html"}}, []byte("<html>413 Request Entity Too Large</html>"), true
		}
		return 0, nil, nil, false
	}
}

// PartialSuccess answers 200 with an OTLP partial-success body (protobuf)
// rejecting n spans of every request.
func PartialSuccess(n int64, message string) Fault {
	body, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{
		PartialSuccess: &coltracepb.ExportTracePartialSuccess{RejectedSpans: n, ErrorMessage: message},
	})
	return func(Request) (int, http.Header, []byte, bool) {
		return http.StatusOK, http.Header{"Content-Type": {"application/x-protobuf"}}, body, true
	}
}

// Answer answers every request with status, content type and body.
func Answer(status int, contentType string, body []byte) Fault {
	return func(Request) (int, http.Header, []byte, bool) {
		return status, http.Header{"Content-Type": {contentType}}, body, true
	}
}

// HTMLPage is an HTML error page of about n bytes.
func HTMLPage(n int) []byte {
	var b strings.Builder
	b.WriteString("<html><body><h1>502 Bad Gateway</h1>")
	for b.Len() < n {
		b.WriteString("<p>The upstream server is unavailable. Please try again later.</p>\n")
	}
	b.WriteString("</body></html>")
	return []byte(b.String())
}

// Slow delays every request by d, then answers as usual.
func Slow(d time.Duration) Fault {
	return func(Request) (int, http.Header, []byte, bool) {
		time.Sleep(d)
		return 0, nil, nil, false
	}
}
