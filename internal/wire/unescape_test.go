package wire

import (
	"encoding/json"
	"strings"
	"testing"
)

// FuzzUnescape checks string decoding against encoding/json.
func FuzzUnescape(f *testing.F) {
	for _, s := range []string{`a\"b`, `\ud83d\ude00`, `\ud83d`, `\udc00x`, `\u00e9\n\t\/\\`, "\xff", `\uD83D\uDE00`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		var want string
		if json.Unmarshal([]byte(`"`+raw+`"`), &want) != nil {
			appendUnescaped(nil, []byte(raw)) // must not panic
			return
		}
		got := string(toValid(appendUnescaped(nil, []byte(raw))))
		if got != strings.ToValidUTF8(want, "\uFFFD") && got != want {
			t.Fatalf("%q: got %q, encoding/json %q", raw, got, want)
		}
	})
}
