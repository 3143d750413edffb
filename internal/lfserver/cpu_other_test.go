//go:build !unix

package lfserver

import "time"

// cpuTime is not measured here: spans/CPU-s is then not reported.
func cpuTime() time.Duration { return 0 }
