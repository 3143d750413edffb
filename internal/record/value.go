package record

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
	"unsafe"
)

// Masked replaces a value whose mask or serialisation panicked: recording
// fails closed, and the caller's program never sees the panic.
const Masked = "[masked]"

// Clean makes s safe to put on the wire: OTLP carries strings as protobuf
// strings, which must be valid UTF-8 (an invalid one fails the whole batch),
// and a value longer than limit bytes is cut with a visible marker, never
// dropped.
func Clean(s string, limit int) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if limit <= 0 || len(s) <= limit {
		return s
	}
	cut := limit
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + TruncatedSuffix(len(s)-cut)
}

// TruncatedSuffix ends a value cut by n bytes.
func TruncatedSuffix(n int) string {
	return "…[litefuse: truncated " + strconv.Itoa(n) + " bytes]"
}

// RFC3339 is the form Litefuse accepts for completion_start_time: with zone.
func RFC3339(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// Values renders recorded values: masked when a mask is set, bounded,
// always valid UTF-8.
type Values struct {
	Mask   func(any) any // gets a copy of each value in its JSON form
	MaxLen int           // bytes per value; <= 0: unbounded
	// Redact lists secrets (the API key the call was made with) to replace
	// wherever a recorded value echoes them.
	Redact []string
	// Scrub, when set, removes further secrets (the process-wide known
	// keys) after Redact, before the value is cut.
	Scrub func(string) string
	// Upload, when set, takes the image and audio data URIs found in
	// inputs and outputs; the span records their media references instead.
	Upload func(*Media)
}

// Field renders an input or output (field "input" or "output") that came
// over the wire as JSON: media data URIs replaced by references when
// uploads are on, then as RawJSON.
func (v *Values) Field(field string, raw []byte) string {
	if v.Upload != nil {
		raw = replaceMedia(raw, field, v.Upload)
	}
	return v.RawJSON(raw)
}

// OwnedField is Field for bytes nobody writes again once given (the wire
// package's Request and Result copies): the rendered string shares them
// instead of copying them.
func (v *Values) OwnedField(field string, raw []byte) string {
	if v.Upload != nil {
		raw = replaceMedia(raw, field, v.Upload)
	}
	return v.OwnedJSON(raw)
}

// OwnedJSON is RawJSON for bytes nobody writes again once given: the
// string shares them instead of copying them.
func (v *Values) OwnedJSON(raw []byte) string {
	if v.Mask != nil {
		return v.RawJSON(raw)
	}
	return Clean(v.Scrubbed(unsafe.String(unsafe.SliceData(raw), len(raw))), v.MaxLen)
}

// FieldValue is Field for a Go value (Observe's input and output).
func (v *Values) FieldValue(field string, val any) string {
	if v.Upload == nil {
		return v.JSON(val)
	}
	b, err := safeMarshal(val)
	if err != nil {
		return v.JSON(val) // renders the placeholder
	}
	return v.Field(field, b)
}

// RawJSON renders JSON that came over the wire. With a mask the value is
// decoded into a fresh copy, masked and encoded again.
func (v *Values) RawJSON(raw []byte) string {
	if v.Mask != nil {
		val, ok := decode(raw)
		if !ok { // cut or malformed: the mask cannot see it, so fail closed
			return `"` + Masked + `"`
		}
		return v.JSON(val)
	}
	return Clean(v.Scrubbed(string(raw)), v.MaxLen)
}

// JSON renders a Go value as JSON, masked. A MarshalJSON or mask that
// panics yields Masked; one that fails yields a short placeholder.
func (v *Values) JSON(val any) string {
	b, err := v.marshal(val)
	if err != nil {
		return Clean(v.Scrubbed(fmt.Sprintf("<litefuse: cannot serialise %T: %v>", val, err)), v.MaxLen)
	}
	return Clean(v.Scrubbed(string(b)), v.MaxLen)
}

// Metadata renders a metadata value as Litefuse reads it: strings as they
// are, anything else as JSON; masked.
func (v *Values) Metadata(val any) string {
	if v.Mask != nil {
		val = v.masked(val)
	}
	if s, ok := val.(string); ok {
		return Clean(v.Scrubbed(s), v.MaxLen)
	}
	b, err := safeMarshal(val)
	if err != nil {
		return Masked
	}
	return Clean(v.Scrubbed(string(b)), v.MaxLen)
}

// Message renders a status message: URL credentials and queries removed,
// masked like any recorded value (an error body may quote the request),
// bounded, scrubbed of the call's keys.
func (v *Values) Message(s string) string {
	s = RedactURLs(s)
	if v.Mask != nil {
		return v.Metadata(s)
	}
	return v.String(s)
}

// String bounds and repairs a plain string value.
func (v *Values) String(s string) string { return Clean(v.Scrubbed(s), v.MaxLen) }

func (v *Values) marshal(val any) ([]byte, error) {
	if v.Mask == nil {
		return safeMarshal(val)
	}
	return safeMarshal(v.masked(val))
}

// masked gives the mask a copy of val in its JSON form (map[string]any,
// []any, string, json.Number, bool, nil): never the caller's own maps.
func (v *Values) masked(val any) (out any) {
	cp, err := Copy(val)
	if err != nil {
		return Masked
	}
	defer func() {
		if recover() != nil {
			out = Masked
		}
	}()
	return v.Mask(cp)
}

// Scrubbed is s without the keys in Redact (those of 8 bytes or more)
// and, with Scrub, without what Scrub removes.
func (v *Values) Scrubbed(s string) string {
	for _, secret := range v.Redact {
		if len(secret) >= 8 && strings.Contains(s, secret) {
			s = strings.ReplaceAll(s, secret, "[REDACTED]")
		}
	}
	if v.Scrub != nil {
		s = v.Scrub(s)
	}
	return s
}

// Copy returns val in its JSON form, as a fresh value that shares nothing
// with val. A MarshalJSON that panics is an error, never a panic.
func Copy(val any) (any, error) {
	b, err := safeMarshal(val)
	if err != nil {
		return nil, err
	}
	out, ok := decode(b)
	if !ok {
		return string(b), nil
	}
	return out, nil
}

func decode(b []byte) (any, bool) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var out any
	if err := dec.Decode(&out); err != nil {
		return nil, false
	}
	return out, true
}

// safeMarshal is json.Marshal that turns a panic in a MarshalJSON (or in
// reflection over the value) into an error.
func safeMarshal(val any) (b []byte, err error) {
	defer func() {
		if p := recover(); p != nil {
			b, err = nil, fmt.Errorf("panic while serialising: %v", p)
		}
	}()
	b, err = json.Marshal(val)
	if err != nil && nonFinite(err) {
		// A NaN or an infinity (JSON has neither) would lose the whole
		// value: encode the rest, with the number as a string placeholder
		// ("NaN", "+Inf", "-Inf"). Only on this rare path, so the common
		// one stays as fast as json.Marshal.
		w := finiteWalk{budget: maxFiniteNodes}
		if out := w.value(reflect.ValueOf(val), 0); w.budget >= 0 {
			if b2, err2 := json.Marshal(out); err2 == nil {
				return b2, nil
			}
		}
	}
	return b, err
}

// nonFinite reports whether err is json's refusal of a NaN or an infinity
// (kept out of safeMarshal so the common path allocates nothing for it).
func nonFinite(err error) bool {
	var uv *json.UnsupportedValueError
	if !errors.As(err, &uv) {
		return false
	}
	switch uv.Str { // not a cycle, which finite's walk could only repeat
	case "NaN", "+Inf", "-Inf":
		return true
	}
	return false
}

// maxFiniteDepth and maxFiniteNodes bound finite's walk: a cycle ends
// at the depth, a value with many paths to itself at the node count (the
// walk then gives up and the placeholder is recorded).
const (
	maxFiniteDepth = 64
	maxFiniteNodes = 100_000
)

type finiteWalk struct{ budget int }

// value is v in a JSON-encodable form with every non-finite float
// replaced by its name as a string. Values with their own MarshalJSON or
// MarshalText are kept as they are; struct fields follow their json tags
// (name, "-", omitempty).
func (w *finiteWalk) value(v reflect.Value, depth int) any {
	if w.budget--; w.budget < 0 || !v.IsValid() {
		return nil
	}
	if depth > maxFiniteDepth {
		return "<litefuse: too deep>"
	}
	if v.Type().Implements(marshalerType) || v.Type().Implements(textMarshalerType) {
		if v.CanInterface() {
			return v.Interface()
		}
		return nil
	}
	switch v.Kind() {
	case reflect.Float32, reflect.Float64:
		f := v.Float()
		switch {
		case math.IsNaN(f):
			return "NaN"
		case math.IsInf(f, 1):
			return "+Inf"
		case math.IsInf(f, -1):
			return "-Inf"
		}
		if v.CanInterface() {
			return v.Interface()
		}
		return f
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return w.value(v.Elem(), depth+1)
	case reflect.Map:
		if v.IsNil() {
			return nil
		}
		out := make(map[string]any, v.Len())
		it := v.MapRange()
		for it.Next() {
			k := it.Key()
			var key string
			if k.Kind() == reflect.String {
				key = k.String()
			} else if tm, ok := k.Interface().(encoding.TextMarshaler); ok {
				t, err := tm.MarshalText()
				if err != nil {
					continue
				}
				key = string(t)
			} else {
				key = fmt.Sprint(k.Interface())
			}
			out[key] = w.value(it.Value(), depth+1)
		}
		return out
	case reflect.Slice:
		if v.IsNil() {
			return nil
		}
		if v.Type().Elem().Kind() == reflect.Uint8 { // []byte: base64, as json does
			return v.Interface()
		}
		fallthrough
	case reflect.Array:
		out := make([]any, v.Len())
		for i := range out {
			out[i] = w.value(v.Index(i), depth+1)
		}
		return out
	case reflect.Struct:
		t := v.Type()
		out := make(map[string]any, t.NumField())
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" && opts == "" {
				continue
			}
			fv := v.Field(i)
			if strings.Contains(","+opts+",", ",omitempty,") && fv.IsZero() {
				continue
			}
			if name == "" {
				if f.Anonymous && fv.Kind() == reflect.Struct {
					if m, ok := w.value(fv, depth+1).(map[string]any); ok {
						for k, x := range m {
							if _, taken := out[k]; !taken {
								out[k] = x
							}
						}
					}
					continue
				}
				name = f.Name
			}
			out[name] = w.value(fv, depth+1)
		}
		return out
	}
	if v.CanInterface() {
		return v.Interface()
	}
	return nil
}

var (
	marshalerType     = reflect.TypeFor[json.Marshaler]()
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
)

// urlInText finds URLs in error texts (Go's url.Error quotes the request
// URL), whose credentials and query strings may hold keys.
var urlInText = regexp.MustCompile(`https?://[^\s"'<>]+`)

// RedactURLs replaces the credentials and the query of every URL in s.
func RedactURLs(s string) string {
	if !strings.Contains(s, "://") {
		return s
	}
	return urlInText.ReplaceAllStringFunc(s, func(raw string) string {
		u, err := url.Parse(raw)
		if err != nil {
			return "[URL]"
		}
		if u.User != nil {
			u.User = url.User("REDACTED")
		}
		if u.RawQuery != "" {
			u.RawQuery = "REDACTED"
		}
		u.Fragment = ""
		return u.String()
	})
}
