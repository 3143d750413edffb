//go:build linux

package litefuse

import (
	"syscall"
	"testing"
	"time"

	"github.com/litefuse/litefuse-go/internal/otlpreceiver"
)

func cpuTime(t *testing.T) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Skip(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// Row: LANGFUSE_FLUSH_INTERVAL=1ns no longer spins a core: it is clamped
// to 10ms with a warning, and an idle pipeline arms no timer at all. A
// spinning export goroutine would use about all of the second measured.
func TestFlushIntervalFloorNoSpin(t *testing.T) {
	recv := otlpreceiver.New()
	defer recv.Close()
	c, errs := loadEnv(lookupFrom(map[string]string{envPublicKey: "pk", envSecretKey: "sk", envBaseURL: recv.BaseURL(), envFlushEvery: "1ns"}))
	errs = append(errs, c.normalize()...)
	if len(errs) != 1 || c.flushInterval != minFlushInterval {
		t.Fatalf("interval %v, warnings %v", c.flushInterval, errs)
	}
	p := newPipeline(t, recv.BaseURL(), WithFlushInterval(time.Nanosecond))
	p.callMany(t, 3)
	if _, err := recv.WaitSpans(3, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	start := cpuTime(t)
	time.Sleep(time.Second)
	if used := cpuTime(t) - start; used > 300*time.Millisecond {
		t.Errorf("the idle pipeline used %v of CPU in 1s", used)
	}
}
