package litefuse

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// Review 36: a span name is kept within 1000 characters, as Litefuse
// counts them, not bytes: a name of fewer characters stays whole however
// many bytes they take; a longer one is cut at a character, with the note,
// to 1000 characters in all; invalid bytes are repaired.
func TestSpanNameCutAtCharacters(t *testing.T) {
	for _, tc := range []struct {
		name  string
		whole bool
	}{
		{strings.Repeat("é", 999), true},
		{strings.Repeat("名", 1000), true},
		{strings.Repeat("a", 1000), true},
		{strings.Repeat("名", 1001), false},
		{strings.Repeat("a", 5000), false},
		{strings.Repeat("😀", 3000) + "\xff", false},
	} {
		got := spanName(tc.name)
		if !utf8.ValidString(got) || utf8.RuneCountInString(got) > MaxSpanNameLen {
			t.Errorf("%d bytes: %d characters, valid %v", len(tc.name), utf8.RuneCountInString(got), utf8.ValidString(got))
		}
		if whole := got == tc.name; whole != tc.whole {
			t.Errorf("%d bytes, %d characters: kept whole %v, want %v", len(tc.name), utf8.RuneCountInString(tc.name), whole, tc.whole)
		}
		if !tc.whole && (!strings.Contains(got, "[litefuse: truncated ") || utf8.RuneCountInString(got) < MaxSpanNameLen-5) {
			t.Errorf("%d bytes: cut to %d characters: %.60q…", len(tc.name), utf8.RuneCountInString(got), got[len(got)-60:])
		}
	}
}
