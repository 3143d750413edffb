package export

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"
)

// TestReqBodyReleasedOnlyWhenClosed: the buffer is released once the
// export is over and every reader is closed, whichever comes last; a
// closed reader reads nothing and no reader is handed out afterwards.
func TestReqBodyReleasedOnlyWhenClosed(t *testing.T) {
	buf := getBody()
	*buf = append(*buf, "payload"...)
	b := &reqBody{data: *buf, raw: buf}
	r1, _ := b.reader()
	r2, _ := b.reader()
	r2.Close()
	b.finish()
	if b.data == nil {
		t.Fatal("released while a reader is open")
	}
	if _, err := b.reader(); err == nil {
		t.Error("a reader handed out after the export returned")
	}
	if got, err := io.ReadAll(r1); err != nil || string(got) != "payload" {
		t.Errorf("open reader: %q %v", got, err)
	}
	if _, err := r2.Read(make([]byte, 8)); err != errBodyGone {
		t.Errorf("closed reader: %v", err)
	}
	r1.Close()
	if b.data != nil || b.raw != nil {
		t.Error("not released after the last reader's Close")
	}
	r1.Close() // twice: nothing more
}

// TestRequestBufferNotReusedWhileNetHTTPReadsIt: the server answers
// before it reads a body larger than the (small) socket buffers, so the
// export returns while net/http's transport still holds the body, and the
// next exports are encoded at once into the pooled buffers. Every body the
// server reads whole must be what was encoded, and the race detector must
// see no write to a buffer the transport still reads. (net/http's HTTP/1
// transport gives such a connection up 50 ms after the answer and reads
// no more, so a release at the export's return is rarely caught here:
// TestReqBodyReleasedOnlyWhenClosed holds the rule itself.)
func TestRequestBufferNotReusedWhileNetHTTPReadsIt(t *testing.T) {
	for _, noGzip := range []bool{true, false} {
		t.Run(fmt.Sprintf("NoGzip=%v", noGzip), func(t *testing.T) {
			const exports = 4
			batches := make([][]sdktrace.ReadOnlySpan, exports)
			want := make(map[string][]byte)
			rng := rand.New(rand.NewPCG(7, 8))
			base := make([]byte, 3<<20) // incompressible enough: gzip keeps ~75 %
			for j := 0; j < len(base); j += 8 {
				x := rng.Uint64()
				for k := j; k < j+8; k++ {
					base[k] = 'A' + byte(x&63)
					x >>= 8
				}
			}
			for i := range batches {
				cut := i * 7919 // each export's bytes differ at every offset
				v := append(append([]byte{}, base[cut:]...), base[:cut]...)
				stub := tracetest.SpanStub{
					Name: fmt.Sprintf("export %d", i),
					SpanContext: trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{1},
						SpanID: trace.SpanID{byte(i + 1)}, TraceFlags: trace.FlagsSampled}),
					Attributes: []attribute.KeyValue{attribute.String("v", string(v))},
				}
				batches[i] = []sdktrace.ReadOnlySpan{stub.Snapshot()}
				want[stub.Name] = encoder{}.appendRequest(nil, batches[i])
			}
			var mu sync.Mutex
			var errs []string
			var wg sync.WaitGroup
			srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				wg.Add(1)
				defer wg.Done()
				fail := func(format string, args ...any) {
					mu.Lock()
					errs = append(errs, fmt.Sprintf(format, args...))
					mu.Unlock()
				}
				_ = http.NewResponseController(w).EnableFullDuplex()
				w.Header().Set("Content-Length", "0") // the answer is whole before the body is read
				w.WriteHeader(http.StatusOK)
				_ = http.NewResponseController(w).Flush()
				time.Sleep(120 * time.Millisecond) // the client goes on meanwhile (the transport waits 50 ms for a write)
				var body io.Reader = r.Body
				if r.Header.Get("Content-Encoding") == "gzip" {
					zr, err := gzip.NewReader(r.Body)
					if err != nil {
						fail("gzip: %v", err)
						return
					}
					body = zr
				}
				got, err := io.ReadAll(body)
				if err != nil {
					return // the transport gave up the connection: the body is cut, not wrong
				}
				req := decodeRequestErr(got)
				if req == nil {
					fail("a body of %d bytes does not decode", len(got))
					return
				}
				name := req.ResourceSpans[0].ScopeSpans[0].Spans[0].Name
				if !bytes.Equal(got, want[name]) {
					fail("%s: the body differs from what was encoded", name)
				}
			}))
			// Small socket buffers: the body cannot sit in them whole.
			srv.Listener = smallBuffers{srv.Listener}
			srv.Start()
			defer srv.Close()
			dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
				conn, err := (&net.Dialer{}).DialContext(ctx, network, addr)
				if tc, ok := conn.(*net.TCPConn); ok {
					_ = tc.SetWriteBuffer(32 << 10)
				}
				return conn, err
			}
			c := NewClient(ClientConfig{Endpoint: srv.URL, NoGzip: noGzip, Timeout: 10 * time.Second,
				MaxRequestBytes: 64 << 20, HTTPClient: &http.Client{Transport: &http.Transport{DialContext: dial}}})
			for _, spans := range batches {
				if err := c.ExportSpans(context.Background(), spans); err != nil {
					t.Fatal(err)
				}
			}
			time.Sleep(50 * time.Millisecond)
			wg.Wait()
			for _, e := range errs {
				t.Error(e)
			}
		})
	}
}

// smallBuffers is a listener whose connections have a small read buffer.
type smallBuffers struct{ net.Listener }

func (l smallBuffers) Accept() (net.Conn, error) {
	conn, err := l.Listener.Accept()
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetReadBuffer(32 << 10)
	}
	return conn, err
}

// decodeRequestErr decodes an export request, or is nil.
func decodeRequestErr(b []byte) *coltracepb.ExportTraceServiceRequest {
	var req coltracepb.ExportTraceServiceRequest
	if proto.Unmarshal(b, &req) != nil || len(req.ResourceSpans) == 0 ||
		len(req.ResourceSpans[0].ScopeSpans) == 0 || len(req.ResourceSpans[0].ScopeSpans[0].Spans) == 0 {
		return nil
	}
	return &req
}
