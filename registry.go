package litefuse

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/litefuse/litefuse-go/internal/span"
	"go.opentelemetry.io/otel/trace"
)

// maxClientPipelines bounds the pipelines built for clients given their
// own settings (WithCredentials, WithBaseURL or WithEndpointURL). Clients
// with equal settings share one pipeline, so a server that builds a client
// per request with a tenant's keys has one pipeline per tenant. A client
// whose settings would make one more than this records nothing (its calls
// pass through), with one warning. Documented on Option; tests lower it.
var maxClientPipelines = 100

// registry holds the per-client pipelines, one per set of settings; the
// default pipeline is looked up under its own settings first.
var registry struct {
	mu     sync.Mutex
	byKey  map[pipeKey]*instance // nil: the pipeline could not be built (reason logged)
	list   []*instance           // the built ones, in order
	byTP   map[*span.Provider]*instance
	warned bool
}

// pipeKey identifies the settings a pipeline is built from: everything
// that shapes where and how it sends (export and REST), nothing a recorder
// applies itself. The logger is left out (a server may derive one per
// request): a shared pipeline logs through its first client's. settings is
// a hash (they hold the secret); hc tells WithHTTPClient clients apart.
type pipeKey struct {
	settings string
	hc       hcIdentity
}

// hcIdentity is what a WithHTTPClient client sends with: two clients that
// are equal in it send alike, so a fresh but equal *http.Client per request
// shares one pipeline. It holds the values themselves, never an address as
// a number: what a registered pipeline's key refers to stays alive, so a
// later client cannot take its address and be sent through it. A client
// whose transport or jar cannot be compared, or that has its own
// CheckRedirect (a func), is told apart by the client itself.
type hcIdentity struct {
	given   bool // WithHTTPClient was given: the library's own client is not equal to http.Client{}
	client  *http.Client
	rt      http.RoundTripper
	jar     http.CookieJar
	timeout time.Duration
}

func identityOf(hc *http.Client) hcIdentity {
	if hc == nil {
		return hcIdentity{}
	}
	comparable := func(v any) bool { return v == nil || reflect.ValueOf(v).Comparable() }
	if hc.CheckRedirect != nil || !comparable(hc.Transport) || !comparable(hc.Jar) {
		return hcIdentity{given: true, client: hc}
	}
	return hcIdentity{given: true, rt: hc.Transport, jar: hc.Jar, timeout: hc.Timeout}
}

func pipelineKey(c *config) pipeKey {
	var b strings.Builder
	field := func(v ...any) {
		for _, x := range v {
			fmt.Fprintf(&b, "%v\x00", x)
		}
	}
	field(c.publicKey, c.secretKey, c.baseURL, c.endpointURL, c.enabled, c.sampleRate, c.flushAt,
		c.flushInterval, c.timeout, c.maxQueueSize, c.maxQueueBytes, c.maxRequestBytes, c.debug, c.noGzip(),
		c.serviceName, c.tls.ca, c.tls.cert, c.tls.key, c.environment, c.release)
	for _, h := range []map[string]string{c.headers, c.otlpHeaders} {
		keys := make([]string, 0, len(h))
		for k := range h {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			field(k, h[k])
		}
		field("|")
	}
	sum := sha256.Sum256([]byte(b.String()))
	return pipeKey{settings: hex.EncodeToString(sum[:]), hc: identityOf(c.httpClient)}
}

// pipelineFor returns the pipeline for a client's settings: the default
// one when they are equal, else the one built for them before, else a new
// one (nil when it cannot be built, or past maxClientPipelines; the reason
// is logged once per set of settings).
func pipelineFor(cfg config) *instance {
	for _, err := range cfg.normalize() {
		warnClientOnce(cfg.log(), err)
	}
	key := pipelineKey(&cfg)
	if def := defaultInst.Load(); def != nil && def.proc != nil && def.key == key {
		return def
	}
	registry.mu.Lock()
	defer registry.mu.Unlock()
	if inst, ok := registry.byKey[key]; ok {
		return inst
	}
	if isShutDown() { // first needed after Shutdown: its calls pass through
		warnAfterShutdown(laterLog(cfg.log())) // registry.mu is held
		return nil
	}
	if len(registry.list) >= maxClientPipelines {
		if !registry.warned {
			registry.warned = true
			msg := fmt.Sprintf("litefuse: %d client pipelines are in use already, one per set of client settings (WithCredentials, WithBaseURL, WithEndpointURL and the other export options): a client with new settings records nothing, its calls pass through; give clients of one tenant equal settings to share a pipeline", maxClientPipelines)
			if cfg.httpClient != nil {
				msg += "; clients given WithHTTPClient are equal when their clients' Transport, Jar and Timeout are (and neither sets CheckRedirect): build the *http.Client or its Transport once and reuse it"
			}
			laterLog(cfg.log()).Warn(msg) // registry.mu is held
		}
		return nil
	}
	if registry.byKey == nil {
		registry.byKey = make(map[pipeKey]*instance)
		registry.byTP = make(map[*span.Provider]*instance)
	}
	inst, err := buildInstance(cfg, true)
	if err != nil {
		laterLog(cfg.log()).Warn(err.Error())            // registry.mu is held
		if len(registry.byKey) < 10*maxClientPipelines { // bounded: a failure is remembered, not retried
			registry.byKey[key] = nil
		}
		return nil
	}
	inst.key = key
	registry.byKey[key] = inst
	registry.list = append(registry.list, inst)
	registry.byTP[inst.tp] = inst
	return inst
}

// pipelines returns the default pipeline (nil before its first use) and
// every pipeline to flush and shut down, the default first.
func pipelines() (*instance, []*instance) {
	def := defaultInst.Load()
	registry.mu.Lock()
	defer registry.mu.Unlock()
	out := make([]*instance, 0, len(registry.list)+1)
	if def != nil {
		out = append(out, def)
	}
	return def, append(out, registry.list...)
}

// instanceOf returns the library pipeline whose provider is tp, or nil
// (the application's own provider, whatever its type).
func instanceOf(tp trace.TracerProvider) *instance {
	own, ok := tp.(*span.Provider)
	if !ok || own == nil {
		return nil
	}
	if def := defaultInst.Load(); def != nil && def.tp == own {
		return def
	}
	registry.mu.Lock()
	defer registry.mu.Unlock()
	return registry.byTP[own]
}

// restOf returns the REST side a span's scores and media go with: its
// pipeline's own when that can send (a gateway pipeline without keys
// cannot), else the default pipeline's.
func restOf(span trace.Span) *rest {
	if r := clientRest(span); r != nil {
		return r
	}
	return currentRest()
}

// clientRest is the REST side of the per-client pipeline that recorded
// span, or nil (the default pipeline's span, the application's, or a
// gateway pipeline without keys).
func clientRest(span trace.Span) *rest {
	if inst := instanceOf(span.TracerProvider()); inst != nil && !inst.isDefault {
		if r := inst.ownRest(); r != nil && r.err == nil {
			return r
		}
	}
	return nil
}

// ownRest is a per-client pipeline's REST side (its scores, media and
// prompt cache, with its own credentials and HTTP client), built on first
// use; nil for the default pipeline (restCur) and one that is off.
func (inst *instance) ownRest() *rest {
	if inst.isDefault || inst.proc == nil {
		return nil
	}
	inst.restOnce.Do(func() { inst.rest = newRest(inst.cfg, defaultTuning) })
	return inst.rest
}
