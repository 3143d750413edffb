package litefuse

import (
	"errors"
	"net/http"
	"reflect"
	"sync"
	"unsafe"

	openai "github.com/sashabaranov/go-openai"
)

// Client is go-openai's own client type: code that passes *openai.Client
// around, or hands it to another library, keeps compiling. The clients
// [NewClient], [NewClientWithConfig] and [Wrap] return record through
// their HTTP client.
type Client = openai.Client

// ErrNilClient is the error every call of Wrap(nil)'s client returns.
var ErrNilClient = errors.New("litefuse: Wrap(nil): the client has no *openai.Client to call; build it with litefuse.NewClient, NewClientWithConfig or Wrap(openai.NewClient(...))")

// NewClient is openai.NewClient, recording. It talks to OpenAI's API; for
// Ark use NewClientWithConfig with the Ark base URL.
func NewClient(authToken string, opts ...Option) *Client {
	return NewClientWithConfig(openai.DefaultConfig(authToken), opts...)
}

// NewClientWithConfig is openai.NewClientWithConfig, recording: cfg's HTTP
// client is kept, with the recording transport around its own.
func NewClientWithConfig(cfg openai.ClientConfig, opts ...Option) *Client {
	cfg.HTTPClient = recordingDoer(cfg.HTTPClient, newRecorder(opts))
	return openai.NewClientWithConfig(cfg)
}

// Wrap returns a recording client with c's configuration (base URL, key,
// HTTP client, …); c itself is left unchanged. Wrap(nil) returns a client
// whose every call fails with [ErrNilClient]. Options given here apply to
// this client only.
func Wrap(c *openai.Client, opts ...Option) *Client {
	if c == nil {
		cfg := openai.DefaultConfig("")
		cfg.HTTPClient = nilDoer{}
		return openai.NewClientWithConfig(cfg)
	}
	cfg, ok := configOf(c)
	if !ok {
		warnWrapFallback()
		return c
	}
	return NewClientWithConfig(cfg, opts...)
}

// configOf reads go-openai's unexported client configuration, read-only.
// A test pins the layout; should a go-openai release change it, Wrap
// warns and returns the client unchanged instead of guessing.
func configOf(c *openai.Client) (cfg openai.ClientConfig, ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	f := reflect.ValueOf(c).Elem().FieldByName("config")
	if !f.IsValid() || f.Type() != reflect.TypeFor[openai.ClientConfig]() {
		return cfg, false
	}
	return *(*openai.ClientConfig)(unsafe.Pointer(f.UnsafeAddr())), true
}

var wrapFallbackOnce sync.Once

func warnWrapFallback() {
	wrapFallbackOnce.Do(func() {
		debugLogger().Error("litefuse: Wrap cannot read this go-openai version's client configuration: calls are NOT recorded; build the client with litefuse.NewClientWithConfig(cfg) instead")
	})
}

// recordingDoer puts the recording core in front of a go-openai HTTP
// client. An *http.Client keeps its timeout, redirects and jar; only its
// transport is wrapped.
func recordingDoer(d openai.HTTPDoer, rec *recorder) openai.HTTPDoer {
	switch hc := d.(type) {
	case nil:
		return &http.Client{Transport: &transport{base: http.DefaultTransport, rec: rec}}
	case *http.Client:
		if hc == nil {
			return &http.Client{Transport: &transport{base: http.DefaultTransport, rec: rec}}
		}
		cp := *hc
		base := cp.Transport
		if t, ok := base.(*transport); ok { // Wrap of a recording client: record once,
			base, rec = t.base, newRecorder(t.rec.with(rec.opts)) // with both clients' options
		}
		if base == nil {
			base = http.DefaultTransport
		}
		cp.Transport = &transport{base: base, rec: rec}
		return &cp
	case doer:
		return doer{next: hc.next, rec: newRecorder(hc.rec.with(rec.opts))}
	case nilDoer:
		return hc
	default:
		return doer{next: d, rec: rec}
	}
}

// doer records around an HTTPDoer that is not an *http.Client.
type doer struct {
	next openai.HTTPDoer
	rec  *recorder
}

func (d doer) Do(req *http.Request) (*http.Response, error) {
	return d.rec.roundTrip(req, d.next.Do)
}

// nilDoer is the HTTP client of Wrap(nil).
type nilDoer struct{}

func (nilDoer) Do(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		req.Body.Close()
	}
	return nil, ErrNilClient
}
