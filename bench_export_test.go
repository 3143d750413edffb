//go:build linux

package litefuse

import (
	"context"
	"syscall"
	"testing"
	"time"
)

// BenchmarkSpanEnd is the caller-path cost of a recorded span carrying a
// generation's attributes: start, SetAttributes, End (the SDK's snapshot
// and the processor's OnEnd: queue and budget). Export is kept off the
// timed loop (one batch per 4096 spans, flushed with the timer stopped).
// cpu-ns/op is the same in CPU time, steadier on a shared VM.
func BenchmarkSpanEnd(b *testing.B) {
	inst, done := benchPipeline(b, WithFlushAt(1<<16), WithFlushInterval(time.Hour))
	defer done()
	tr := inst.tp.Tracer("bench")
	attrs := generationAttrs()
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	var cpu time.Duration
	start := cpuNow()
	for i := 0; i < b.N; i++ {
		_, s := tr.Start(ctx, "chat doubao-seed-1-6")
		s.SetAttributes(attrs...)
		s.End()
		if i%4096 == 4095 {
			b.StopTimer()
			cpu += cpuNow() - start
			_ = inst.tp.ForceFlush(ctx)
			start = cpuNow()
			b.StartTimer()
		}
	}
	cpu += cpuNow() - start
	b.StopTimer()
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
	_ = inst.tp.ForceFlush(ctx)
}

// cpuNow is the process's CPU time (user + system), all goroutines.
func cpuNow() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkExportCPU is BenchmarkExport measured in CPU time rather than
// wall time: on a VM shared with other work, wall-clock spans/s mostly
// measures the neighbours. It reports spans per CPU-second on one core
// (record + batch processor + OTLP/HTTP export + the local receiver's read)
// and the bytes per span on the wire.
func BenchmarkExportCPU(b *testing.B) {
	inst, recv := exportPipeline(b)
	tr := inst.tp.Tracer("bench")
	attrs := generationAttrs()
	b.ReportAllocs()
	b.ResetTimer()
	start := cpuNow()
	for i := 1; i <= b.N; i++ {
		_, sp := tr.Start(context.Background(), "chat doubao-seed-1-6")
		sp.SetAttributes(attrs...)
		sp.End()
		if i%flushEvery == 0 {
			_ = inst.tp.ForceFlush(context.Background())
		}
	}
	_ = inst.tp.ForceFlush(context.Background())
	used := cpuNow() - start
	b.StopTimer()
	b.ReportMetric(float64(b.N)/used.Seconds(), "spans/cpu-s")
	wire := 0
	for _, r := range recv.Requests() {
		wire += r.RawSize
	}
	b.ReportMetric(float64(wire)/float64(b.N), "wire-B/span")
}
