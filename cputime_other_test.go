//go:build !linux

package litefuse

import "time"

// cpuNow is not measured here: cpu-ns/op is reported on Linux only.
func cpuNow() time.Duration { return 0 }
