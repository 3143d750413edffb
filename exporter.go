package litefuse

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/litefuse/litefuse-go/internal/export"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

const (
	// ScopeName is the instrumentation scope of every span the library
	// makes. Litefuse treats scopes starting with "langfuse-sdk" as its
	// SDKs' own and does not copy their span attributes into each
	// observation's metadata.
	ScopeName = "langfuse-sdk-go"
	// Version is the library's version, sent as x-langfuse-sdk-version and
	// as the instrumentation scope version.
	Version = "0.1.0"

	sdkName = "litefuse-go"
)

// ErrAlreadyInitialized is returned by [Init] once the default instance has
// started, either by an earlier Init or by the first traced call.
var ErrAlreadyInitialized = errors.New("litefuse: already initialized: call Init before the first traced call")

// missingKeys names the keys that are not set and what follows (then), or
// returns nil.
func missingKeys(cfg *config, then string) error {
	var missing []string
	if cfg.publicKey == "" {
		missing = append(missing, envPublicKey)
	}
	if cfg.secretKey == "" {
		missing = append(missing, envSecretKey)
	}
	switch len(missing) {
	case 0:
		return nil
	case 1:
		return fmt.Errorf("litefuse: %s is not set (%s is): %s; set it to the project's key from Litefuse's settings", missing[0], otherKey(missing[0]), then)
	}
	return fmt.Errorf("litefuse: %s and %s are not set: %s; set both to the project's keys from Litefuse's settings", envPublicKey, envSecretKey, then)
}

func otherKey(k string) string {
	if k == envPublicKey {
		return envSecretKey
	}
	return envPublicKey
}

// swappedKeys reports keys whose prefixes say they are in each other's
// place (Litefuse's public keys start with pk-lf-, secret keys with sk-lf-).
func swappedKeys(cfg *config) error {
	if strings.HasPrefix(cfg.publicKey, "sk-") && strings.HasPrefix(cfg.secretKey, "pk-") {
		return fmt.Errorf("litefuse: %s starts with sk- and %s with pk-: the keys look swapped; Litefuse will reject them", envPublicKey, envSecretKey)
	}
	return nil
}

// NewExporter returns an OTLP/HTTP span exporter bound for Litefuse, for
// applications that run their own OpenTelemetry SDK (pass it to
// sdktrace.NewBatchSpanProcessor). Configuration comes from the LANGFUSE_*
// environment and opts; out-of-range values are clamped with a warning
// through the logger. It fails when the keys are missing or the URL is
// refused.
//
// It keeps the SpanExporter contract: ExportSpans returns an error when
// spans were not accepted (a 401, a timeout, Litefuse unreachable), and
// returns by [WithTimeout] (default 5s) whatever the HTTP client. It sends
// protobuf, gzipped; retries 429, 502, 503, 504 and network errors with
// backoff; holds back every request while a Retry-After (capped at one
// minute) runs; splits a batch over 4 MiB, or answered 413, in halves. A
// 200 with an OTLP partial-success body counts only the rejected spans as
// not exported; a 200 whose body cannot be parsed counts as accepted. Span
// names are cut to [MaxSpanNameLen] characters.
func NewExporter(opts ...Option) (sdktrace.SpanExporter, error) {
	cfg, errs := resolveConfig(opts)
	for _, err := range errs {
		cfg.log().Warn(err.Error())
	}
	exp, _, err := newExporter(cfg)
	if err != nil {
		return nil, err
	}
	return exp, nil
}

// exporter is the library's OTLP/HTTP client as a span exporter: it
// encodes spans straight to OTLP protobuf (no SDK transform to structs).
type exporter struct {
	endpoint string // safe to show
	client   *export.Client
}

// ExportSpans sends spans; its errors read as the OTel SDK's OTLP
// exporter's did.
func (e *exporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	if err := e.client.ExportSpans(ctx, spans); err != nil {
		return fmt.Errorf("traces export: %w", err)
	}
	return nil
}

// Shutdown closes the idle connections of the library's own transport.
func (e *exporter) Shutdown(ctx context.Context) error { return e.client.Shutdown(ctx) }

func newExporter(cfg config) (*exporter, []error, error) {
	if err := missingKeys(&cfg, "tracing is off and calls pass through"); err != nil && cfg.endpointURL == "" {
		return nil, nil, err
	}
	endpoint, gateway, err := cfg.endpoint()
	if err != nil {
		return nil, nil, err
	}
	var warns []error
	ccfg := export.ClientConfig{
		Endpoint:        endpoint,
		Headers:         cfg.exportHeaders(gateway),
		HTTPClient:      cfg.httpClient,
		Timeout:         cfg.timeout,
		MaxRequestBytes: cfg.maxRequestBytes,
		MaxSpanName:     MaxSpanNameLen,
		Secrets:         cfg.secrets(),
	}
	if cfg.debug {
		ccfg.Logger = cfg.log()
	}
	if cfg.httpClient == nil {
		t, errs := cfg.transport()
		warns = errs
		ccfg.HTTPClient = &http.Client{Transport: t}
		ccfg.Idle = t
	}
	// The client never dials until the first export: it cannot block.
	return &exporter{endpoint: endpoint, client: export.NewClient(ccfg)}, warns, nil
}

// explainExportError adds what a user can do to the errors they can fix.
func explainExportError(err error) error {
	var se *export.StatusError
	var te *export.ThrottledError
	var ne net.Error
	msg := err.Error()
	switch {
	case errors.As(err, &se) && (se.Code == http.StatusUnauthorized || se.Code == http.StatusForbidden):
		return fmt.Errorf("litefuse: Litefuse rejected the keys: check %s and %s: %w", envPublicKey, envSecretKey, err)
	case errors.As(err, &se) && se.Code == http.StatusRequestEntityTooLarge:
		return fmt.Errorf("litefuse: a single span is larger than Litefuse (or a proxy) accepts; lower WithMaxAttributeLength: %w", err)
	case errors.As(err, &te):
		return fmt.Errorf("litefuse: export throttled: %w", err)
	case strings.Contains(msg, "connection refused"), strings.Contains(msg, "no such host"):
		return fmt.Errorf("litefuse: Litefuse unreachable: check %s: %w", envBaseURL, err)
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return fmt.Errorf("litefuse: export timed out (%s bounds it): %w", envTimeout, err)
	}
	return fmt.Errorf("litefuse: export: %w", err)
}
