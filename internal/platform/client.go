// Package platform is the HTTP plumbing for Litefuse's REST API (prompts,
// scores, projects, media): Basic auth, JSON in and out, bounded and
// secret-free error messages, the retry policy, an asynchronous bounded
// sender and a stale-while-revalidate cache. The root package keeps only the
// public surface.
package platform

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/litefuse/litefuse-go/internal/scrub"
)

// maxErrorBody bounds how much of an error answer is quoted; errorRead,
// how much is read to quote it.
const (
	maxErrorBody = 256
	errorRead    = 4 * maxErrorBody
)

// maxBody bounds how much of a successful answer is read (a prompt with its
// config is small; this guards against a wrong base URL serving a huge page).
const maxBody = 8 << 20

// Client calls one Litefuse project's REST API.
type Client struct {
	Base      string        // normalized base URL (see NormalizeBase), no trailing slash
	PublicKey string        // Basic auth user
	SecretKey string        // Basic auth password; never in an error or log line
	HTTP      *http.Client  // nil: a client on http.DefaultTransport
	Timeout   time.Duration // per attempt; 0: none beyond ctx
	UserAgent string        // sent as User-Agent and x-langfuse-sdk-name/-version
	SDKName   string
	Version   string
}

// StatusError is an answer other than 2xx.
type StatusError struct {
	Method, Path string
	Code         int
	Body         string        // the start of the answer, bounded, secrets removed
	RetryAfter   time.Duration // from Retry-After; 0 when absent
}

func (e *StatusError) Error() string {
	msg := fmt.Sprintf("%s %s: HTTP %d %s", e.Method, e.Path, e.Code, http.StatusText(e.Code))
	if e.Body != "" {
		msg += ": " + e.Body
	}
	return msg
}

// Do sends one request to Base+path with Basic auth. in, when not nil, is
// the JSON body (a []byte is sent as is); out, when not nil, receives the
// decoded JSON answer. A non-2xx answer is a *StatusError; a network error
// is returned as is with any secret removed.
func (c *Client) Do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, ok := in.([]byte)
		if !ok {
			var err error
			if b, err = json.Marshal(in); err != nil {
				return fmt.Errorf("%s %s: encoding the request: %w", method, path, err)
			}
		}
		body = bytes.NewReader(b)
	}
	if c.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.Timeout)
		defer cancel()
	}
	req, err := http.NewRequestWithContext(ctx, method, c.Base+path, body)
	if err != nil {
		return errors.New(c.Redact(err.Error()))
	}
	req.SetBasicAuth(c.PublicKey, c.SecretKey)
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.SDKName != "" {
		req.Header.Set("x-langfuse-sdk-name", c.SDKName)
		req.Header.Set("x-langfuse-sdk-version", c.Version)
		req.Header.Set("User-Agent", c.SDKName+"/"+c.Version)
	}
	hc := c.HTTP
	if hc == nil {
		hc = defaultHTTP
	}
	resp, err := hc.Do(req)
	if err != nil {
		return &NetError{msg: c.Redact(err.Error()), err: err}
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		// Read past the bound, scrub, then cut: a secret straddling the
		// bound is removed whole, and one straddling the read's end leaves
		// nothing behind (see scrub.Bounded).
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, errorRead+1))
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // let the connection be reused
		text, _ := scrub.Bounded(raw, errorRead, c.secrets()...)
		return &StatusError{
			Method:     method,
			Path:       path,
			Code:       resp.StatusCode,
			Body:       Bound(text, maxErrorBody),
			RetryAfter: RetryAfter(resp.Header.Get("Retry-After"), time.Now()),
		}
	}
	if out == nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return nil
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return &NetError{msg: c.Redact(err.Error()), err: err}
	}
	if len(raw) > maxBody {
		return fmt.Errorf("%s %s: answer larger than %d bytes", method, path, maxBody)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return &DecodeError{Method: method, Path: path, Start: Bound(c.Redact(string(raw)), 64), Err: err}
	}
	return nil
}

var defaultHTTP = &http.Client{}

// NetError is a request that got no answer: refused, reset, timed out,
// cancelled.
type NetError struct {
	msg string
	err error
}

func (e *NetError) Error() string { return e.msg }
func (e *NetError) Unwrap() error { return e.err }

// DecodeError is a 2xx answer that is not the JSON expected: usually a base
// URL that points at something other than Litefuse.
type DecodeError struct {
	Method, Path, Start string
	Err                 error
}

func (e *DecodeError) Error() string {
	return fmt.Sprintf("%s %s: the answer is not Litefuse JSON (%v), it starts %q", e.Method, e.Path, e.Err, e.Start)
}

func (e *DecodeError) Unwrap() error { return e.Err }

// Redact removes the secret key and the Authorization value from s.
func (c *Client) Redact(s string) string { return scrub.String(s, c.secrets()...) }

// secrets are the secret key and the Authorization value; none without a
// secret key.
func (c *Client) secrets() []string {
	if c.SecretKey == "" {
		return nil
	}
	return []string{c.SecretKey, base64.StdEncoding.EncodeToString([]byte(c.PublicKey + ":" + c.SecretKey))}
}

// Bound returns s on one line, cut to at most n bytes (on a rune boundary)
// with "…" when cut.
func Bound(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, strings.TrimSpace(s))
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8Start(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }
