//go:build race

package litefuse

// raceOn: under the race detector sync.Pool drops a share of what it is
// given, so exact allocation counts do not hold.
const raceOn = true
