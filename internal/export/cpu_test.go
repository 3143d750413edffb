//go:build unix

package export

import (
	"syscall"
	"time"
)

// cpuNow is the process's CPU time (user + system), all goroutines: on a
// shared VM steadier than the wall clock for the benchmarks' cpu-ns/op.
func cpuNow() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
