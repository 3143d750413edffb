package record

import (
	"encoding/json"
	"math"
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

// A NaN or an infinity anywhere keeps the rest of the value as valid JSON,
// the number replaced by its name (review of issue 20, finding 11).
func TestNonFiniteNumbersKeepValidJSON(t *testing.T) {
	type inner struct {
		F    float64 `json:"f"`
		Skip float64 `json:"-"`
		Omit float64 `json:"omit,omitempty"`
		Name string
	}
	v := &Values{MaxLen: 1 << 20}
	for _, tc := range []struct {
		in   any
		want string
	}{
		{map[string]any{"t": 0.2, "nan": math.NaN()}, `{"nan":"NaN","t":0.2}`},
		{[]any{1, math.Inf(1), "x"}, `[1,"+Inf","x"]`},
		{inner{F: math.Inf(-1), Skip: math.NaN(), Name: "n"}, `{"Name":"n","f":"-Inf"}`},
		{map[string][]float32{"a": {float32(math.NaN()), 1.5}}, `{"a":["NaN",1.5]}`},
		{map[int]any{1: math.NaN()}, `{"1":"NaN"}`},
	} {
		got := v.JSON(tc.in)
		if got != tc.want || !json.Valid([]byte(got)) {
			t.Errorf("JSON(%#v) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

// BenchmarkValuesJSON is the common path of a recorded value (parameters,
// input, metadata): the non-finite fallback must cost it nothing.
func BenchmarkValuesJSON(b *testing.B) {
	v := &Values{MaxLen: 1 << 20}
	val := map[string]any{"temperature": 0.2, "max_tokens": 256, "stop": []string{"\n"}}
	b.ReportAllocs()
	for b.Loop() {
		_ = v.JSON(val)
	}
}

// A cycle is still refused quickly with the placeholder (the non-finite
// fallback does not walk it).
func TestCycleStillAPlaceholder(t *testing.T) {
	m := map[string]any{}
	m["a"], m["b"] = m, m
	if got := (&Values{MaxLen: 1 << 20}).JSON(m); !strings.Contains(got, "cannot serialise") {
		t.Errorf("JSON(cycle) = %.100s", got)
	}
}

// A NaN beside a value with many paths to itself: the walk gives up in
// bounded time and the placeholder is recorded.
func TestNonFiniteWithACycleIsBounded(t *testing.T) {
	m := map[string]any{"0": math.NaN()} // met first: json refuses the NaN before it sees the cycle
	m["a"], m["b"] = m, m
	got := (&Values{MaxLen: 1 << 20}).JSON(m)
	if !strings.Contains(got, "cannot serialise") {
		t.Errorf("JSON = %.100s", got)
	}
}
