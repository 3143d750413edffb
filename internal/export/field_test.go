package export

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestValidUTF8 holds the fast check equal to utf8.ValidString: a
// non-ASCII byte, a multibyte character or an invalid byte at every offset
// of texts up to 70 bytes long, around 256 bytes, and random texts.
func TestValidUTF8(t *testing.T) {
	try := func(s string) {
		if got, want := validUTF8(s), utf8.ValidString(s); got != want {
			t.Errorf("validUTF8(%q) = %v, want %v", s, got, want)
		}
	}
	inserts := []string{"é", "✓", "😀", "\xff", "\x80", "\xc3", "\xe2\x9c", "\xf0\x9f\x98", "\xed\xa0\x80", "\xc0\xaf"}
	for n := 0; n <= 70; n++ {
		try(strings.Repeat("a", n))
		for at := 0; at <= n; at++ {
			for _, ins := range inserts {
				try(strings.Repeat("a", at) + ins + strings.Repeat("b", n-at))
			}
		}
	}
	for n := 240; n <= 270; n++ { // around the hand-over to utf8.ValidString
		for _, at := range []int{0, 1, n / 2, n - 1, n} {
			for _, ins := range inserts {
				try(strings.Repeat("a", at) + ins + strings.Repeat("b", n-at))
			}
		}
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for range 20000 {
		b := make([]byte, rng.IntN(100))
		for i := range b {
			b[i] = byte(rng.IntN(128))
			if rng.IntN(50) == 0 {
				b[i] = byte(rng.Uint32())
			}
		}
		try(string(b))
	}
}

// FuzzValidUTF8: the fast check says what utf8.ValidString says.
func FuzzValidUTF8(f *testing.F) {
	f.Add("")
	f.Add(strings.Repeat("a", 31) + "é")
	f.Add(strings.Repeat("a", 33) + "\xff")
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := validUTF8(s), utf8.ValidString(s); got != want {
			t.Errorf("validUTF8(%q) = %v, want %v", s, got, want)
		}
	})
}

// BenchmarkValidUTF8: the encoder's check against utf8.ValidString on a
// generation's texts: short keys, a JSON prompt and a 2 KB answer in
// ASCII, and the same answer with a non-ASCII character at its end.
func BenchmarkValidUTF8(b *testing.B) {
	answer := `{"role":"assistant","content":"` + strings.Repeat("Litefuse is an LLM observability platform. ", 48) + `"}`
	texts := map[string]string{
		"key-25B":      "langfuse.observation.type",
		"prompt-100B":  `[{"role":"system","content":"You're an AI assistant"},{"role":"user","content":"What is Litefuse?"}]`,
		"answer-2KB":   answer,
		"answer-2KB-é": answer + "é",
	}
	for _, name := range []string{"key-25B", "prompt-100B", "answer-2KB", "answer-2KB-é"} {
		s := texts[name]
		b.Run(name+"/validUTF8", func(b *testing.B) {
			b.SetBytes(int64(len(s)))
			for b.Loop() {
				if !validUTF8(s) {
					b.Fatal("invalid")
				}
			}
		})
		b.Run(name+"/utf8.ValidString", func(b *testing.B) {
			b.SetBytes(int64(len(s)))
			for b.Loop() {
				if !utf8.ValidString(s) {
					b.Fatal("invalid")
				}
			}
		})
	}
}
