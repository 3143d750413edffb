//go:build !race

package litefuse

const raceOn = false
