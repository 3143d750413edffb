package lfserver

import (
	"crypto/sha256"
	"encoding/base64"
)

func sha256sum(b []byte) string {
	s := sha256.Sum256(b)
	return base64.StdEncoding.EncodeToString(s[:])
}
