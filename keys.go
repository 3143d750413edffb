package litefuse

import "github.com/litefuse/litefuse-go/internal/record"

// Attribute keys used in this package; internal/record defines them all.
const (
	keyServiceName = record.KeyServiceName
	keyEnvironment = record.KeyEnvironment
	keyRelease     = record.KeyRelease
)
