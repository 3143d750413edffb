package record

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/litefuse/litefuse-go/internal/wire"
)

func TestCleanRepairsAndBounds(t *testing.T) {
	if s := Clean("a\xffb", 0); !utf8.ValidString(s) || !strings.HasPrefix(s, "a") {
		t.Errorf("Clean = %q", s)
	}
	s := Clean(strings.Repeat("é", 100), 11)
	if !utf8.ValidString(s) || !strings.Contains(s, "truncated") {
		t.Errorf("Clean cut = %q", s)
	}
}

func TestMaskGetsACopy(t *testing.T) {
	md := map[string]any{"k": map[string]any{"secret": "x"}}
	v := Values{Mask: func(v any) any {
		m := v.(map[string]any)
		delete(m, "k")
		m["masked"] = true
		return m
	}}
	if got := v.JSON(md); got != `{"masked":true}` {
		t.Errorf("masked = %s", got)
	}
	if _, ok := md["k"]; !ok {
		t.Error("the mask edited the caller's map")
	}
}

func TestMaskAndMarshalPanicsFailClosed(t *testing.T) {
	v := Values{Mask: func(any) any { panic("boom") }}
	if got := v.JSON("x"); got != `"`+Masked+`"` {
		t.Errorf("panicking mask = %s", got)
	}
	if got := v.Metadata("x"); got != Masked {
		t.Errorf("panicking mask on metadata = %s", got)
	}
	var plain Values
	if got := plain.JSON(boom{}); !strings.Contains(got, "cannot serialise") {
		t.Errorf("panicking MarshalJSON = %s", got)
	}
}

type boom struct{}

func (boom) MarshalJSON() ([]byte, error) { panic("bug") }

func TestRedact(t *testing.T) {
	v := Values{Redact: []string{"ark-secret-123"}}
	if got := v.String("key ark-secret-123 invalid"); strings.Contains(got, "ark-secret") {
		t.Errorf("redact = %q", got)
	}
	got := RedactURLs(`Post "https://user:pw@ark.example.com/api/v3/chat/completions?ak=SECRET": dial tcp: refused`)
	if strings.Contains(got, "SECRET") || strings.Contains(got, "pw@") || !strings.Contains(got, "ark.example.com/api/v3/chat/completions") {
		t.Errorf("RedactURLs = %q", got)
	}
}

func TestMetadataKeysBounded(t *testing.T) {
	md := map[string]any{}
	for i := range 200 {
		md[strings.Repeat("k", 1+i%5)+string(rune('A'+i%26))+string(rune('a'+i/26))] = i
	}
	attrs := ObservationMetadata(nil, md, &Values{})
	if len(attrs) != MaxMetadataKeys+1 || string(attrs[len(attrs)-1].Key) != KeyObservationMetadata+MetaDroppedMetadata {
		t.Errorf("%d attributes, last %v", len(attrs), attrs[len(attrs)-1])
	}
}

// TestRedactBeforeCut: a key straddling the value bound leaves no part of
// itself in the recorded value (it used to be cut first, then looked for
// whole).
func TestRedactBeforeCut(t *testing.T) {
	const key = "ark-0123456789abcdefghij"
	for at := 0; at < 64; at++ {
		s := strings.Repeat("x", at) + key + strings.Repeat("y", 64)
		v := Values{MaxLen: 40, Redact: []string{key}}
		for name, got := range map[string]string{
			"String": v.String(s), "Metadata": v.Metadata(s), "JSON": v.JSON(s), "RawJSON": v.RawJSON([]byte(s)), "Message": v.Message(s),
		} {
			if strings.Contains(got, "ark-") || strings.Contains(got, key[len(key)-5:]) {
				t.Fatalf("%s, key at %d: %q", name, at, got)
			}
		}
	}
}

// TestCutErrorMessageLeavesNoPartOfAKey: the wire cuts a long error
// message at wire.MaxErrorText; a key the server quoted across that cut
// leaves no part of itself in the status message.
func TestCutErrorMessageLeavesNoPartOfAKey(t *testing.T) {
	const key = "ark-0123456789abcdefghij"
	full := strings.Repeat("x", wire.MaxErrorText-10) + key + " is not valid"
	res := &wire.Result{Status: 401, ErrMessage: full[:wire.MaxErrorText], ErrCode: "AuthenticationError"}
	v := Values{Redact: []string{key}}
	_, out := Generation(nil, &Call{}, &wire.Request{Route: wire.Chat}, res, &v, nil)
	if !out.Failed || strings.Contains(out.Message, "ark-0") || !strings.HasSuffix(out.Message, "x (AuthenticationError)") {
		t.Errorf("status message ends %q", out.Message[len(out.Message)-40:])
	}
}
