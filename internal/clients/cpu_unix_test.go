//go:build unix

package clients_test

import (
	"syscall"
	"testing"
	"time"
)

// reportCPU reports the process's CPU time (user + system, every
// goroutine: the client, the recording, the export) per op as cpu-ns/op,
// a steadier figure than ns/op on a shared machine. Call the returned
// function after the loop.
func reportCPU(b *testing.B) func() {
	var ru0 syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	return func() {
		var ru1 syscall.Rusage
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
		cpu := time.Duration(ru1.Utime.Nano()-ru0.Utime.Nano()) + time.Duration(ru1.Stime.Nano()-ru0.Stime.Nano())
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}
