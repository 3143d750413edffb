package litefuse_test

import (
	"context"
	"errors"
	"io"
	"reflect"
	"testing"
	"time"

	"github.com/litefuse/litefuse-go"
	"github.com/litefuse/litefuse-go/internal/otlpreceiver"
	openai "github.com/sashabaranov/go-openai"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// The library's private pipelines record with their own span type
// (internal/span), NewTracerProvider with the OTel SDK's. The same
// traffic through both reaches Litefuse alike: chat and stream calls,
// nested observations, a failing one, a known trace ID (the root sent
// without its synthetic parent), and an application span started from
// the observation span's own TracerProvider, which stays in the pipeline
// with its own scope.
func TestPrivatePipelineMatchesSDKProvider(t *testing.T) {
	e := newEnv(t)
	recv := otlpreceiver.New()
	t.Cleanup(recv.Close)
	opts := []litefuse.Option{
		litefuse.WithCredentials(testPublicKey, testSecretKey),
		litefuse.WithBaseURL(recv.BaseURL()),
		litefuse.WithFlushInterval(time.Hour),
		litefuse.WithLogger(discardLogger()),
	}
	cfg := openai.DefaultConfig(testArkKey)
	cfg.BaseURL = e.ark.BaseURL()
	own := litefuse.NewClientWithConfig(cfg, opts...)

	traceID := litefuse.NewTraceID("own-span-equivalence")
	run := func(c *litefuse.Client, obs litefuse.ObserveOption) trace.TracerProvider {
		t.Helper()
		ctx := context.Background()
		if _, err := c.CreateChatCompletion(litefuse.WithGeneration(ctx, litefuse.Generation{Name: "chat"}), seedRequest()); err != nil {
			t.Fatal(err)
		}
		st, err := c.CreateChatCompletionStream(litefuse.WithGeneration(ctx, litefuse.Generation{Name: "stream"}), seedRequest())
		if err != nil {
			t.Fatal(err)
		}
		for {
			if _, err := st.Recv(); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatal(err)
			}
		}
		_ = st.Close()
		var tp trace.TracerProvider
		_, err = litefuse.Observe(ctx, "step", func(ctx context.Context) (string, error) {
			tp = trace.SpanFromContext(ctx).TracerProvider()
			_, us := tp.Tracer("app").Start(ctx, "user span", trace.WithAttributes(attribute.String("app.k", "v")))
			us.End()
			_, err := c.CreateChatCompletion(litefuse.WithGeneration(ctx, litefuse.Generation{Name: "inner"}), seedRequest())
			return "done", err
		}, obs, litefuse.WithInput("in"))
		if err != nil {
			t.Fatal(err)
		}
		_, _ = litefuse.Observe(ctx, "failing", func(context.Context) (int, error) {
			return 0, errors.New("it failed")
		}, obs)
		_, _ = litefuse.Observe(ctx, "rooted", func(context.Context) (int, error) { return 1, nil }, obs, litefuse.WithTraceID(traceID))
		return tp
	}
	run(e.client, e.obs())
	tp := run(own, litefuse.WithObserveOptions(opts...))

	const n = 7
	want := e.spans(t, n)
	if _, sdk := tp.(*sdktrace.TracerProvider); sdk {
		t.Fatal("the private pipeline records with the SDK's provider")
	}
	if len(byName(want)["inner"].Attrs) < 10 {
		t.Fatalf("the SDK's inner generation has too few attributes to compare: %v", byName(want)["inner"].Attrs)
	}
	f, ok := tp.(interface{ ForceFlush(context.Context) error })
	if !ok {
		t.Fatalf("the private pipeline's provider is a %T, without ForceFlush", tp)
	}
	if err := f.ForceFlush(context.Background()); err != nil {
		t.Fatal(err)
	}
	got, err := recv.WaitSpans(n, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != n || len(want) != n {
		t.Fatalf("spans: private pipeline %d, SDK %d; want %d each", len(got), len(want), n)
	}
	gv, wv := spanViews(got), spanViews(want)
	for name, w := range wv {
		if g := gv[name]; !reflect.DeepEqual(g, w) {
			t.Errorf("%s differs:\nprivate: %+v\nSDK:     %+v", name, g, w)
		}
	}
	if r := byName(got)["rooted"]; r.TraceID != traceID || r.ParentID != "" {
		t.Errorf("rooted: trace %s parent %q; want %s and no parent", r.TraceID, r.ParentID, traceID)
	}
}

// spanView is a received span without what differs between two runs:
// ids (parents are named), times, and the latency-derived attributes.
type spanView struct {
	Parent, Kind, Scope, ScopeVersion, Status, StatusMessage string
	SameTraceAsParent                                        bool
	Attrs, Resource                                          map[string]any
}

func spanViews(spans []otlpreceiver.Span) map[string]spanView {
	byID := map[string]otlpreceiver.Span{}
	for _, s := range spans {
		byID[s.SpanID] = s
	}
	out := map[string]spanView{}
	for _, s := range spans {
		attrs := map[string]any{}
		for k, v := range s.Attrs {
			switch k {
			case "langfuse.observation.completion_start_time", "langfuse.trace.id":
				continue
			}
			attrs[k] = v
		}
		p := byID[s.ParentID]
		out[s.Name] = spanView{
			Parent: p.Name, Kind: s.Kind, Scope: s.Scope, ScopeVersion: s.ScopeVersion,
			Status: s.StatusCode, StatusMessage: s.StatusMessage, SameTraceAsParent: s.ParentID != "" && p.TraceID == s.TraceID,
			Attrs: attrs, Resource: s.Resource,
		}
	}
	return out
}
