// Package export holds the parts of litefuse's export pipeline that users
// never see: the OTLP/HTTP client (protobuf, gzip, retries, 413 split,
// Retry-After, partial success), the batch processor with its span and byte
// budget, and the counters behind litefuse.ReadStats.
//
// The client is an sdktrace.SpanExporter: it encodes finished spans straight
// to OTLP protobuf (encode.go), the same message the SDK's otlptrace
// transform and proto.Marshal produce, without building the structs.
package export

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// Defaults and bounds of the client.
const (
	// DefaultMaxRequestBytes bounds one request's uncompressed protobuf;
	// a larger batch is split before it is sent.
	DefaultMaxRequestBytes = 4 << 20
	// MaxRetryAfter caps how long a Retry-After answer holds requests back.
	MaxRetryAfter = time.Minute
	// MaxBodyInError is how much of an error answer's body an error keeps.
	MaxBodyInError = 256

	initialBackoff = 500 * time.Millisecond
	maxBackoff     = 5 * time.Second
)

// ClientConfig configures a [Client].
type ClientConfig struct {
	Endpoint string            // full OTLP/HTTP traces URL
	Headers  map[string]string // sent with every request
	// HTTPClient sends the requests. Its own Timeout, if any, still
	// applies; Timeout below bounds every export either way.
	HTTPClient *http.Client
	// Idle, when set, is closed when the client stops (the transport the
	// library owns; never the application's).
	Idle            interface{ CloseIdleConnections() }
	Timeout         time.Duration // bound on one UploadTraces, retries included
	MaxRequestBytes int           // 0: DefaultMaxRequestBytes
	MaxSpanName     int           // 0: no cut
	NoGzip          bool          // send the protobuf as it is (Content-Encoding none)
	// Secrets are scrubbed from every error text (keys, Authorization).
	Secrets []string
	Logger  *slog.Logger // debug lines; nil: none
}

// Client is an sdktrace.SpanExporter speaking OTLP/HTTP protobuf, gzipped
// unless NoGzip.
//
// It owns what otlptracehttp does not promise: a batch over
// MaxRequestBytes, or answered 413, is split in halves down to one span; a
// Retry-After answer holds back every request of this client until it
// passes (capped at [MaxRetryAfter]), and an export whose deadline falls
// before then fails at once without sending; a 200 with a partial-success
// body counts only the rejected spans as failed; a 200 whose body cannot
// be parsed counts as accepted; error texts carry at most
// [MaxBodyInError] bytes of the body and never a secret.
type Client struct {
	cfg ClientConfig

	mu        sync.Mutex
	holdUntil time.Time
}

// NewClient returns a client; it never dials.
func NewClient(cfg ClientConfig) *Client {
	if cfg.MaxRequestBytes <= 0 {
		cfg.MaxRequestBytes = DefaultMaxRequestBytes
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = http.DefaultClient
	}
	return &Client{cfg: cfg}
}

// Start does nothing: the client dials on first use.
func (c *Client) Start(context.Context) error { return nil }

// Stop closes the idle connections of the library's own transport.
func (c *Client) Stop(context.Context) error {
	if c.cfg.Idle != nil {
		c.cfg.Idle.CloseIdleConnections()
	}
	return nil
}

// ExportSpans sends the spans, splitting and retrying as documented on
// [Client]. It records what was accepted in the [Result] carried by ctx.
// It is an sdktrace.SpanExporter's ExportSpans: the spans are encoded
// straight to OTLP protobuf (see encode.go).
func (c *Client) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	if len(spans) == 0 {
		return nil
	}
	if c.cfg.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.cfg.Timeout)
		defer cancel()
	}
	res := resultFrom(ctx)
	if res != nil {
		res.set = true
	}
	return c.send(ctx, spans, res)
}

// Shutdown is Stop: an sdktrace.SpanExporter's Shutdown.
func (c *Client) Shutdown(ctx context.Context) error { return c.Stop(ctx) }

func (c *Client) send(ctx context.Context, spans []sdktrace.ReadOnlySpan, res *Result) error {
	if err := ctx.Err(); err != nil { // cancelled (Shutdown's deadline): encode nothing more
		return err
	}
	n := len(spans)
	buf := getBody()
	*buf = encoder{maxName: c.cfg.MaxSpanName}.appendRequest(*buf, spans)
	if len(*buf) > c.cfg.MaxRequestBytes && n > 1 {
		putBody(buf)
		return c.split(ctx, spans, res)
	}
	// The payload's buffer goes back to its pool once net/http is done
	// with the request's body (see reqBody).
	body := &reqBody{}
	if c.cfg.NoGzip {
		body.data, body.raw = *buf, buf
	} else {
		gz := getGzBuffer()
		err := compressTo(gz, *buf)
		putBody(buf)
		if err != nil {
			putGzBuffer(gz)
			return err
		}
		body.data, body.gz = gz.Bytes(), gz
	}
	rejected, msg, err := c.post(ctx, body)
	body.finish()
	var se *StatusError
	if errors.As(err, &se) && se.Code == http.StatusRequestEntityTooLarge && n > 1 {
		return c.split(ctx, spans, res)
	}
	if err != nil {
		return err
	}
	rejected = min(max(rejected, 0), int64(n))
	if res != nil {
		res.add(n-int(rejected), int(rejected), msg)
	}
	return nil
}

// split sends each half of the spans; the first error wins. Once ctx is
// done the second half is not encoded or sent: ctx's error is returned.
func (c *Client) split(ctx context.Context, spans []sdktrace.ReadOnlySpan, res *Result) error {
	h := len(spans) / 2
	errA := c.send(ctx, spans[:h], res)
	if err := ctx.Err(); err != nil {
		return err
	}
	errB := c.send(ctx, spans[h:], res)
	if errA != nil {
		return errA
	}
	return errB
}

// post sends one request body (gzipped unless NoGzip), retrying 429, 502, 503, 504 and network
// errors with backoff until ctx ends. It returns the rejected span count of
// a partial-success answer.
func (c *Client) post(ctx context.Context, body *reqBody) (int64, string, error) {
	backoff := initialBackoff
	var prev error // the last attempt's error: more telling than a timeout
	for {
		if err := c.waitHold(ctx); err != nil {
			return 0, "", err
		}
		code, header, respBody, err := c.do(ctx, body)
		var wait time.Duration
		switch {
		case err != nil:
			var cve *tls.CertificateVerificationError
			if ctx.Err() != nil && prev != nil {
				return 0, "", c.scrub(fmt.Errorf("%w; retried until the timeout", prev))
			}
			var perm interface{ Permanent() bool }
			if ctx.Err() != nil || errors.As(err, &cve) || errors.As(err, &perm) && perm.Permanent() {
				return 0, "", c.scrub(err) // retrying cannot help
			}
		case code >= 200 && code < 300:
			rejected, msg := c.partialSuccess(header, respBody)
			return rejected, msg, nil
		case code == http.StatusTooManyRequests || code == http.StatusBadGateway ||
			code == http.StatusServiceUnavailable || code == http.StatusGatewayTimeout:
			err = c.statusError(code, respBody)
			if d, ok := parseRetryAfter(header.Get("Retry-After"), time.Now()); ok && d > 0 {
				c.hold(d)
				continue // waitHold decides whether the deadline allows it
			}
		default:
			return 0, "", c.statusError(code, respBody)
		}
		prev = err
		wait = backoff/2 + rand.N(backoff/2+1)
		backoff = min(2*backoff, maxBackoff)
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
			return 0, "", c.scrub(err)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return 0, "", c.scrub(err)
		case <-t.C:
		}
	}
}

func (c *Client) do(ctx context.Context, body *reqBody) (int, http.Header, []byte, error) {
	r, err := body.reader()
	if err != nil {
		return 0, nil, nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.cfg.Endpoint, r)
	if err != nil {
		r.Close()
		return 0, nil, nil, err
	}
	req.ContentLength = int64(len(body.data))
	req.GetBody = body.reader
	for k, v := range c.cfg.Headers {
		req.Header.Set(k, v)
	}
	req.Header.Set("Content-Type", "application/x-protobuf")
	if !c.cfg.NoGzip {
		req.Header.Set("Content-Encoding", "gzip")
	}
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	limit := int64(snippetRead + 1) // see snippet
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		limit = 64 << 10 // a partial-success answer
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, limit))
	// Drain a little so the connection can be reused; a huge body is
	// abandoned with its connection.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	return resp.StatusCode, resp.Header, b, nil
}

// partialSuccess reads an OTLP ExportTraceServiceResponse (protobuf or
// JSON). An answer that cannot be parsed counts as accepted.
func (c *Client) partialSuccess(h http.Header, body []byte) (int64, string) {
	if len(bytes.TrimSpace(body)) == 0 {
		return 0, ""
	}
	var msg coltracepb.ExportTraceServiceResponse
	var err error
	if strings.Contains(h.Get("Content-Type"), "json") {
		err = protojson.UnmarshalOptions{DiscardUnknown: true}.Unmarshal(body, &msg)
	} else {
		err = proto.Unmarshal(body, &msg)
	}
	if err != nil {
		if c.cfg.Logger != nil {
			c.cfg.Logger.Debug("litefuse: export accepted; the answer's body is not an OTLP response",
				"content_type", h.Get("Content-Type"), "body", c.snippet(body))
		}
		return 0, ""
	}
	ps := msg.GetPartialSuccess()
	return ps.GetRejectedSpans(), c.snippet([]byte(ps.GetErrorMessage()))
}
