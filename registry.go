package litefuse

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"sync"

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
	byKey  map[string]*instance // nil: the pipeline could not be built (reason logged)
	list   []*instance          // the built ones, in order
	byTP   map[*span.Provider]*instance
	warned bool
}

// pipelineKey identifies the settings a pipeline is built from: everything
// that shapes where and how it sends (export and REST), nothing a recorder
// applies itself. The logger is left out (a server may derive one per
// request): a shared pipeline logs through its first client's. It is a
// hash: the key holds the secret.
func pipelineKey(c *config) string {
	var b strings.Builder
	field := func(v ...any) {
		for _, x := range v {
			fmt.Fprintf(&b, "%v\x00", x)
		}
	}
	field(c.publicKey, c.secretKey, c.baseURL, c.endpointURL, c.enabled, c.sampleRate, c.flushAt,
		c.flushInterval, c.timeout, c.maxQueueSize, c.maxQueueBytes, c.maxRequestBytes, c.debug,
		c.serviceName, fmt.Sprintf("%p", c.httpClient), c.tls.ca, c.tls.cert, c.tls.key,
		c.environment, c.release)
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
	return hex.EncodeToString(sum[:])
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
	if len(registry.list) >= maxClientPipelines {
		if !registry.warned {
			registry.warned = true
			cfg.log().Warn(fmt.Sprintf("litefuse: %d client pipelines are in use already, one per set of client settings (WithCredentials, WithBaseURL, WithEndpointURL and the other export options): a client with new settings records nothing, its calls pass through; give clients of one tenant equal settings to share a pipeline", maxClientPipelines))
		}
		return nil
	}
	if registry.byKey == nil {
		registry.byKey = make(map[string]*instance)
		registry.byTP = make(map[*span.Provider]*instance)
	}
	inst, err := newInstance(cfg)
	if err != nil {
		cfg.log().Warn(err.Error())
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
