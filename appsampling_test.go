package litefuse_test

import (
	"context"
	"testing"
	"time"

	"github.com/litefuse/litefuse-go"
	"github.com/litefuse/litefuse-go/internal/otlpreceiver"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// TestLibrarySamplingLeavesTheApplicationsAlone: LANGFUSE_SAMPLE_RATE
// decides what Litefuse keeps, not what the application's own tracing
// keeps or propagates. An application span started inside an observation
// follows the application's sampling (its parent-based sampler sees the
// application's flag), and the traceparent sent downstream from inside
// the observation carries the application's flag, whatever the library's
// rate decided.
func TestLibrarySamplingLeavesTheApplicationsAlone(t *testing.T) {
	for _, tc := range []struct {
		name       string
		rate       float64
		appSampler sdktrace.Sampler
		appSpans   []string // what the application's exporter gets
		flag       string   // the traceparent's flags inside the observation
		litefuse   int      // observations Litefuse gets
	}{
		{"library drops, application keeps", 0, sdktrace.ParentBased(sdktrace.AlwaysSample()), []string{"app-child", "app-root"}, "01", 0},
		{"library keeps, application drops", 1, sdktrace.ParentBased(sdktrace.NeverSample()), nil, "00", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			recv := otlpreceiver.New()
			defer recv.Close()
			appExp := tracetest.NewInMemoryExporter()
			app := sdktrace.NewTracerProvider(sdktrace.WithSampler(tc.appSampler), sdktrace.WithSyncer(appExp))
			defer func() { _ = app.Shutdown(context.Background()) }()
			tr := app.Tracer("app")

			ctx, root := tr.Start(context.Background(), "app-root")
			var carrier propagation.MapCarrier
			_, err := litefuse.Observe(ctx, "step", func(ctx context.Context) (int, error) {
				_, child := tr.Start(ctx, "app-child")
				child.End()
				carrier = propagation.MapCarrier{}
				propagation.TraceContext{}.Inject(ctx, carrier)
				return 1, nil
			}, litefuse.WithObserveOptions(
				litefuse.WithCredentials(testPublicKey, testSecretKey),
				litefuse.WithBaseURL(recv.BaseURL()),
				litefuse.WithSampleRate(tc.rate),
				litefuse.WithFlushInterval(time.Hour),
				litefuse.WithLogger(discardLogger()),
			))
			root.End()
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, s := range appExp.GetSpans() {
				got = append(got, s.Name)
			}
			if len(got) != len(tc.appSpans) || (len(got) > 0 && (got[0] != tc.appSpans[0] || got[1] != tc.appSpans[1])) {
				t.Errorf("the application's exporter got %v, want %v", got, tc.appSpans)
			}
			if tp := carrier.Get("traceparent"); len(tp) < 2 || tp[len(tp)-2:] != tc.flag {
				t.Errorf("traceparent inside the observation = %q, want flags %s (the application's)", tp, tc.flag)
			}
			if err := litefuse.Flush(context.Background()); err != nil {
				t.Logf("Flush: %v", err)
			}
			if tc.litefuse > 0 {
				_, _ = recv.WaitSpans(tc.litefuse, 5*time.Second)
			}
			if n := len(recv.Spans()); n != tc.litefuse {
				t.Errorf("Litefuse got %d observations, want %d", n, tc.litefuse)
			}
		})
	}
}
