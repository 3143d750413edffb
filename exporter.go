package litefuse

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"

	"github.com/litefuse/litefuse-go/internal/export"
	"github.com/litefuse/litefuse-go/internal/record"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

const (
	// ScopeName is the instrumentation scope of every span the library
	// makes. Litefuse treats scopes starting with "langfuse-sdk" as its
	// SDKs' own and does not copy their span attributes into each
	// observation's metadata. With your own provider ([WithTracerProvider]),
	// match on it to route or filter the library's spans, e.g. in a span
	// processor: span.InstrumentationScope().Name == litefuse.ScopeName.
	ScopeName = "langfuse-sdk-go"
	// Version is the library's version, sent as x-langfuse-sdk-version and
	// as the instrumentation scope version: quote it in bug reports.
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
	if keysSwapped(cfg) {
		k := keyNamesOf(cfg)
		return fmt.Errorf("litefuse: %s starts with sk- and %s with pk-: the keys look swapped; Litefuse will reject them", k.public, k.secret)
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
// protobuf, gzipped but to a loopback endpoint, unless [WithGzip] (or, to
// a gateway, the OTel compression variable) says otherwise; retries 429, 502, 503, 504 and network errors with
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
	endpoint string // where spans go
	shown    string // endpoint as messages show it: no configured secret
	client   *export.Client
	debug    *slog.Logger // LANGFUSE_DEBUG: names each batch; nil: off
	to       target       // the setting that chose endpoint, for messages
}

// ExportSpans encodes spans straight to OTLP protobuf and sends them (see
// export.Client), after two touches:
// a span started in a known trace (marked langfuse.internal.as_root) goes
// without its synthetic parent, so Litefuse shows it as the trace's root;
// with LANGFUSE_DEBUG, one line names the spans sent (at most
// [maxDebugNames] names, then how many more).
func (e *exporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	var own []sdktrace.ReadOnlySpan // copied on the first change only
	for i, s := range spans {
		if !s.Parent().IsValid() || !asRoot(s) {
			continue
		}
		if own == nil {
			own = append([]sdktrace.ReadOnlySpan(nil), spans...)
		}
		own[i] = rootSpan{s}
	}
	if own != nil {
		spans = own
	}
	if e.debug != nil && len(spans) > 0 {
		e.debug.Debug("litefuse: sending spans", "spans", len(spans), "names", spanNames(spans))
	}
	// The error text keeps the OTel OTLP exporter's prefix.
	if err := e.client.ExportSpans(ctx, spans); err != nil {
		return &exportError{err: fmt.Errorf("traces export: %w", err), to: e.to}
	}
	return nil
}

// Shutdown closes the idle connections of the library's own transport.
func (e *exporter) Shutdown(ctx context.Context) error { return e.client.Shutdown(ctx) }

// rootSpan is a span sent without its parent.
type rootSpan struct{ sdktrace.ReadOnlySpan }

func (rootSpan) Parent() trace.SpanContext { return trace.SpanContext{} }

func asRoot(s sdktrace.ReadOnlySpan) bool {
	for _, kv := range s.Attributes() {
		if kv.Key == record.KeyAsRoot {
			return kv.Value.AsBool()
		}
	}
	return false
}

// maxDebugNames bounds the span names one debug line carries.
const maxDebugNames = 20

// spanNames lists the first maxDebugNames names, each at most 100 bytes,
// then how many more.
func spanNames(spans []sdktrace.ReadOnlySpan) string {
	var b strings.Builder
	for i, s := range spans {
		if i == maxDebugNames {
			fmt.Fprintf(&b, ", … %d more", len(spans)-i)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(shown(s.Name()))
	}
	return b.String()
}

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
		NoGzip:          cfg.noGzip(),
		Secrets:         cfg.shownSecrets(), // with a public key that is really the secret one
	}
	var debug *slog.Logger
	if cfg.debug {
		ccfg.Logger = cfg.log()
		debug = cfg.log()
	}
	ccfg.HTTPClient, ccfg.Idle, warns = cfg.client()
	// The client never dials until the first export: it cannot block.
	return &exporter{endpoint: endpoint, shown: hide(endpoint, cfg.shownSecrets()), client: export.NewClient(ccfg), debug: debug, to: targetOf(&cfg)}, warns, nil
}

// explainExportError adds what a user can do to the errors they can fix,
// naming the setting that chose the endpoint (see [exportError]).
func explainExportError(err error) error {
	var se *export.StatusError
	var te *export.ThrottledError
	var ne net.Error
	to := target{setting: envBaseURL}
	if xe := (*exportError)(nil); errors.As(err, &xe) {
		to = xe.to
	}
	msg := err.Error()
	switch {
	case errors.As(err, &se) && (se.Code == http.StatusUnauthorized || se.Code == http.StatusForbidden):
		if to.gateway {
			return fmt.Errorf("litefuse: the gateway at %s rejected the request: check its credentials (WithHeaders or OTEL_EXPORTER_OTLP_HEADERS): %w", to, err)
		}
		return fmt.Errorf("litefuse: Litefuse rejected the keys: %s: %w", to.rejectedKeysHint(), err)
	case errors.As(err, &se) && se.Code == http.StatusNotFound:
		if to.gateway {
			return fmt.Errorf("litefuse: no OTLP traces endpoint at %s: its host or path is likely wrong: it must be the gateway's full OTLP/HTTP traces URL (…/v1/traces): %w", to, err)
		}
		return fmt.Errorf("litefuse: no Litefuse at %s: its host or path is likely wrong: %s: %w", to, whereLitefuseRuns, err)
	case errors.As(err, &se) && se.Code == http.StatusRequestEntityTooLarge:
		return fmt.Errorf("litefuse: a single span is larger than Litefuse (or a proxy) accepts; lower WithMaxAttributeLength: %w", err)
	case errors.As(err, &se) && se.Code == http.StatusUnsupportedMediaType:
		where := "Litefuse"
		if to.gateway {
			where = "the gateway"
		}
		if to.noGzip {
			fix := "WithGzip(true)"
			if strings.HasPrefix(to.gzipBy, "OTEL_") {
				fix = strings.TrimSuffix(to.gzipBy, "none") + "gzip or " + fix
			}
			return fmt.Errorf("litefuse: %s at %s refused the request's encoding (415): it was sent without gzip (%s): turn gzip back on with %s: %w", where, to, to.gzipBy, fix, err)
		}
		return fmt.Errorf("litefuse: %s at %s refused the request's encoding (415): it was gzipped OTLP protobuf; if the endpoint takes no gzip, use WithGzip(false) (or, to a gateway, OTEL_EXPORTER_OTLP_TRACES_COMPRESSION=none), else check that %s is an OTLP/HTTP traces endpoint: %w", where, to, to, err)
	case errors.As(err, &te):
		return fmt.Errorf("litefuse: export throttled: %w", err)
	case to.gateway && (strings.Contains(msg, "connection refused") || strings.Contains(msg, "no such host")):
		return fmt.Errorf("litefuse: the Collector gateway is unreachable: check %s and that the Collector runs there: %w", to, err)
	case strings.Contains(msg, "connection refused"), strings.Contains(msg, "no such host"):
		return fmt.Errorf("litefuse: Litefuse unreachable: check %s and that Litefuse runs there: %w", to, err)
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return fmt.Errorf("litefuse: export timed out (%s bounds it): %w", envTimeout, err)
	}
	return fmt.Errorf("litefuse: export: %w", err)
}
