package litefuse

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// BenchmarkNotRecordingPaths is what a call the library does not record
// costs on each of the ways it is left out, beside the bare round trip:
// the recording core around a canned chat exchange whose request carries
// an API key, as go-openai sends it (the key is remembered for scrubbing
// whether or not the call is recorded). The cost of a path is its time
// (or cpu-ns/op) and allocations less bare's.
func BenchmarkNotRecordingPaths(b *testing.B) {
	all, doneAll := benchPipeline(b)
	defer doneAll()
	none, doneNone := benchPipeline(b, WithSampleRate(0))
	defer doneNone()
	half, doneHalf := benchPipeline(b, WithSampleRate(0.5))
	defer doneHalf()

	bg := context.Background()
	// An application's span in a trace that a rate of 0.5 drops (the low
	// 63 bits of the id's second half are above half of 2^63).
	dropped := trace.ContextWithRemoteSpanContext(bg, trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{0x0a, 8: 0xff}, SpanID: trace.SpanID{0x0b}, TraceFlags: trace.FlagsSampled,
	}))
	// Inside an observation that sampling left out: the calls under it
	// follow it, whatever their own rate.
	var underUnsampled context.Context
	_, _ = Observe(bg, "step", func(ctx context.Context) (int, error) {
		underUnsampled = ctx
		return 0, nil
	}, WithObserveOptions(WithTracerProvider(none.tp)))

	for _, v := range []struct {
		name string
		rec  *recorder // nil: bare
		ctx  context.Context
	}{
		{"bare", nil, bg},
		{"disabled", newRecorder([]Option{WithTracerProvider(noop.NewTracerProvider())}), bg},
		{"unsampled", newRecorder([]Option{WithTracerProvider(none.tp)}), bg},
		{"client-rate-0", newRecorder([]Option{WithTracerProvider(all.tp), WithSampleRate(0)}), bg},
		{"under-unsampled-observe", newRecorder([]Option{WithTracerProvider(all.tp)}), underUnsampled},
		{"rate-0.5-trace-dropped", newRecorder([]Option{WithTracerProvider(half.tp)}), dropped},
	} {
		b.Run(v.name, func(b *testing.B) { benchKeyedRoundTrip(b, v.rec, v.ctx) })
	}
	// New traces at rate 0.5: half the calls recorded (the export is not
	// counted: it runs on the pipeline's goroutine, flushed now and then to
	// keep the queue from filling).
	n := 0
	b.Run("rate-0.5-new-traces", func(b *testing.B) {
		benchKeyedRoundTrip(b, newRecorder([]Option{WithTracerProvider(half.tp)}), bg, func() {
			if n++; n%4096 == 0 {
				_ = half.tp.ForceFlush(context.Background())
			}
		})
	})
}

// BenchmarkNotRecordingPaired alternates, in one loop, a bare round trip
// and one through each not-recording path of BenchmarkNotRecordingPaths,
// so that the machine's drift hits both alike, and reports the path's
// time over bare a call (extra-ns/call).
func BenchmarkNotRecordingPaired(b *testing.B) {
	all, doneAll := benchPipeline(b)
	defer doneAll()
	none, doneNone := benchPipeline(b, WithSampleRate(0))
	defer doneNone()
	bg := context.Background()
	var underUnsampled context.Context
	_, _ = Observe(bg, "step", func(ctx context.Context) (int, error) {
		underUnsampled = ctx
		return 0, nil
	}, WithObserveOptions(WithTracerProvider(none.tp)))
	for _, v := range []struct {
		name string
		rec  *recorder
		ctx  context.Context
	}{
		{"disabled", newRecorder([]Option{WithTracerProvider(noop.NewTracerProvider())}), bg},
		{"unsampled", newRecorder([]Option{WithTracerProvider(none.tp)}), bg},
		{"client-rate-0", newRecorder([]Option{WithTracerProvider(all.tp), WithSampleRate(0)}), bg},
		{"under-unsampled-observe", newRecorder([]Option{WithTracerProvider(all.tp)}), underUnsampled},
	} {
		b.Run(v.name, func(b *testing.B) {
			reqBody, _ := json.Marshal(benchRequest())
			canned := cannedTransport{chatBody(), "application/json"}
			one := func(rec *recorder) time.Duration {
				req, _ := http.NewRequestWithContext(v.ctx, http.MethodPost, "https://ark.ap-southeast.bytepluses.com/api/v3/chat/completions", bytes.NewReader(reqBody))
				req.Header = http.Header{"Authorization": {"Bearer ark-bench-0123456789abcdef"}, "Content-Type": {"application/json"}}
				start := time.Now()
				var resp *http.Response
				var err error
				if rec == nil {
					resp, err = canned.RoundTrip(req)
				} else {
					resp, err = rec.roundTrip(req, canned.RoundTrip)
				}
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				_ = resp.Body.Close()
				return time.Since(start)
			}
			var tb, tr time.Duration
			n := 0
			for b.Loop() {
				tb += one(nil)
				tr += one(v.rec)
				n++
			}
			b.ReportMetric(float64(tb.Nanoseconds())/float64(n), "bare-ns/call")
			b.ReportMetric(float64((tr-tb).Nanoseconds())/float64(n), "extra-ns/call")
		})
	}
}

// benchKeyedRoundTrip times rec's core (none when rec is nil) around a
// canned chat exchange made with ctx and an API key, the body read to its
// end and closed as a client does.
func benchKeyedRoundTrip(b *testing.B, rec *recorder, ctx context.Context, after ...func()) {
	reqBody, _ := json.Marshal(benchRequest())
	canned := cannedTransport{chatBody(), "application/json"}
	b.ReportAllocs()
	defer reportCPU(b)()
	for b.Loop() {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "https://ark.ap-southeast.bytepluses.com/api/v3/chat/completions", bytes.NewReader(reqBody))
		req.Header = http.Header{"Authorization": {"Bearer ark-bench-0123456789abcdef"}, "Content-Type": {"application/json"}}
		var resp *http.Response
		var err error
		if rec == nil {
			resp, err = canned.RoundTrip(req)
		} else {
			resp, err = rec.roundTrip(req, canned.RoundTrip)
		}
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		for _, f := range after {
			f()
		}
	}
}
