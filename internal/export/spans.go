package export

import (
	"strings"
	"unicode/utf8"
)

// CutName returns name as valid UTF-8 of at most max characters.
func CutName(name string, maxChars int) string {
	if len(name) <= maxChars && validUTF8(name) {
		return name
	}
	name = strings.ToValidUTF8(name, "\uFFFD")
	if utf8.RuneCountInString(name) <= maxChars {
		return name
	}
	i, n := 0, 0
	for i = range name {
		if n == maxChars {
			break
		}
		n++
	}
	return name[:i]
}
