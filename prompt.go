package litefuse

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	api "github.com/litefuse/litefuse-go/internal/platform"
)

// DefaultPromptLabel is the label GetPrompt asks for when neither a version
// nor a label is given.
const DefaultPromptLabel = "production"

// DefaultPromptCacheTTL is how long a fetched prompt is served from the
// cache before it is refreshed in the background.
const DefaultPromptCacheTTL = 60 * time.Second

// Prompt is a prompt version managed in Litefuse, as [GetPrompt] returns
// it, or a fallback given with [WithPromptFallback].
type Prompt struct {
	Name     string
	Version  int
	Type     PromptType      // PromptText or PromptChat
	Text     string          // text prompts
	Messages []PromptMessage // chat prompts
	Config   map[string]any  // the prompt's config (model, temperature, …), nil when none
	Labels   []string
	Fallback bool // true when this is the caller's fallback, not a fetched prompt
}

// PromptMessage is one message of a chat prompt. A chat placeholder
// ({"type":"placeholder","name":"history"} in Litefuse) has Role
// "placeholder" and its name as Content; [Prompt.CompileChat] replaces it
// with the messages given under that name.
type PromptMessage struct{ Role, Content string }

// placeholderRole marks a chat placeholder in a PromptMessage.
const placeholderRole = "placeholder"

// PromptOption chooses what [GetPrompt] fetches and how it caches it.
type PromptOption interface{ applyPrompt(*promptOptions) }

type promptOptions struct {
	version    int
	versionSet bool
	label      string
	ttl        time.Duration
	fallback   *Prompt
}

type promptOptionFunc func(*promptOptions)

func (f promptOptionFunc) applyPrompt(o *promptOptions) { f(o) }

// WithPromptVersion fetches this version (≥ 1) instead of a label.
// Default: the version labelled "production".
func WithPromptVersion(v int) PromptOption {
	return promptOptionFunc(func(o *promptOptions) { o.version, o.versionSet = v, true })
}

// WithPromptLabel fetches the version carrying this label ("staging",
// "latest", …). Default: "production". It cannot be combined with
// [WithPromptVersion].
func WithPromptLabel(label string) PromptOption {
	return promptOptionFunc(func(o *promptOptions) { o.label = label })
}

// WithPromptCacheTTL sets how long the fetched prompt is served from the
// cache as is. After it, the cached prompt is still returned at once while
// one background request refreshes it. 0 disables the cache: every call
// fetches. Default: 60 s.
func WithPromptCacheTTL(d time.Duration) PromptOption {
	return promptOptionFunc(func(o *promptOptions) { o.ttl = max(d, 0) })
}

// WithPromptFallback sets the prompt GetPrompt returns, with Fallback set
// and a nil error, when no prompt can be had: Litefuse unreachable or
// answering an error (5xx, 404, 401), keys missing, or ctx done, and
// nothing cached. The first fallback served for a prompt because Litefuse
// failed is logged as a warning with the reason (later ones, and those
// served because the keys are missing, which is warned about at start-up,
// at debug level), so a fallback is never served unseen. A cached prompt,
// even past its TTL, is preferred. Its Type may be left empty: it is "chat"
// when it has Messages, else "text". Default: none (GetPrompt returns the
// error).
func WithPromptFallback(p *Prompt) PromptOption {
	return promptOptionFunc(func(o *promptOptions) { o.fallback = p })
}

// GetPrompt returns a prompt managed in Litefuse, by name (folders as
// "folder/name") and label ("production" unless [WithPromptLabel] or
// [WithPromptVersion] says otherwise), from
// GET /api/public/v2/prompts/{name}.
//
// Prompts are cached per name and version or label for
// [WithPromptCacheTTL] (60 s); past it, the cached prompt is returned at
// once and refreshed in the background, one refresh at a time. Concurrent
// calls for a prompt not yet cached share one request. The fetch honours
// ctx, and is bounded by LANGFUSE_TIMEOUT ([WithTimeout], 5 s) with up to
// two retries on network errors, 429 and 5xx within that bound.
//
// When nothing can be had, GetPrompt returns the [WithPromptFallback]
// prompt if one was given, else an error naming the prompt and the reason.
// The returned Prompt is the caller's own copy (of a fallback's Config:
// its maps, slices and arrays, up to a million elements; what pointers
// and structs in it hold is shared).
func GetPrompt(ctx context.Context, name string, opts ...PromptOption) (*Prompt, error) {
	o := promptOptions{ttl: DefaultPromptCacheTTL}
	for _, opt := range opts {
		if opt != nil {
			opt.applyPrompt(&o)
		}
	}
	switch {
	case strings.TrimSpace(name) == "":
		return nil, errors.New("litefuse: GetPrompt: the prompt name is empty")
	case o.versionSet && o.version < 1:
		return nil, fmt.Errorf("litefuse: GetPrompt %q: version %d: versions start at 1", name, o.version)
	case o.version > 0 && o.label != "":
		return nil, fmt.Errorf("litefuse: GetPrompt %q: both version %d and label %q: give one", name, o.version, o.label)
	}
	if o.version == 0 && o.label == "" {
		o.label = DefaultPromptLabel
	}
	r := currentRest()
	var err error
	if r.err != nil {
		err = errors.New(strings.TrimPrefix(r.err.Error(), "litefuse: "))
	} else {
		fetch := func(ctx context.Context) (*Prompt, error) { return r.fetchPrompt(ctx, name, o) }
		var p *Prompt
		if p, _, err = r.prompts.Get(ctx, promptKey(name, o), o.ttl, fetch); err == nil {
			return p.clone(false), nil
		}
	}
	desc := promptDesc(name, o)
	if o.fallback != nil {
		logFallback(r, desc, err)
		fb := o.fallback.clone(true)
		fb.Fallback = true
		if fb.Name == "" {
			fb.Name = name
		}
		if fb.Type == "" {
			fb.Type = PromptText
			if len(fb.Messages) > 0 {
				fb.Type = PromptChat
			}
		}
		return fb, nil
	}
	return nil, fmt.Errorf("litefuse: prompt %s: %w", desc, err)
}

// PromptType is a prompt's kind: a text prompt ([Prompt.Compile]) or a
// chat prompt ([Prompt.CompileChat]). A string constant ("chat") may be
// given for it; a string variable needs a conversion (PromptType(s)), and
// string(p.Type) gives the string back.
type PromptType string

// Prompt types.
const (
	PromptText PromptType = "text"
	PromptChat PromptType = "chat"
)

func promptKey(name string, o promptOptions) string {
	if o.version > 0 {
		return name + "\x00v" + strconv.Itoa(o.version)
	}
	return name + "\x00l" + o.label
}

func promptKeyName(key string) string {
	name, sel, _ := strings.Cut(key, "\x00")
	if strings.HasPrefix(sel, "v") {
		return fmt.Sprintf("%q version %s", name, sel[1:])
	}
	return fmt.Sprintf("%q label %q", name, strings.TrimPrefix(sel, "l"))
}

func promptDesc(name string, o promptOptions) string { return promptKeyName(promptKey(name, o)) }

// fetchPrompt asks Litefuse for one prompt, retrying what may pass, all
// within ctx and the configured timeout.
func (r *rest) fetchPrompt(ctx context.Context, name string, o promptOptions) (*Prompt, error) {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	q := url.Values{}
	if o.version > 0 {
		q.Set("version", strconv.Itoa(o.version))
	} else {
		q.Set("label", o.label)
	}
	path := "/api/public/v2/prompts/" + url.PathEscape(name) + "?" + q.Encode()
	backoff := api.Backoff{Initial: 100 * time.Millisecond, Max: time.Second}
	for attempt := 1; ; attempt++ {
		var w wirePrompt
		err := r.prompt.Do(ctx, "GET", path, nil, &w)
		if err == nil {
			return w.prompt()
		}
		if attempt >= 3 || !api.Retryable(err) || !api.Sleep(ctx, backoff.Wait(attempt, err)) {
			return nil, err
		}
	}
}

// wirePrompt is a prompt as GET /api/public/v2/prompts/{name} answers it.
type wirePrompt struct {
	Name    string          `json:"name"`
	Version int             `json:"version"`
	Type    string          `json:"type"`
	Prompt  json.RawMessage `json:"prompt"`
	Config  any             `json:"config"`
	Labels  []string        `json:"labels"`
}

type wireMessage struct {
	Type    string          `json:"type"`
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
	Name    string          `json:"name"`
}

func (w *wirePrompt) prompt() (*Prompt, error) {
	if w.Name == "" || w.Version < 1 {
		return nil, errors.New("the answer is not a prompt (no name or version)")
	}
	p := &Prompt{Name: w.Name, Version: w.Version, Type: PromptType(w.Type), Labels: w.Labels}
	if m, ok := w.Config.(map[string]any); ok {
		p.Config = m
	}
	raw := strings.TrimSpace(string(w.Prompt))
	if p.Type == "" && strings.HasPrefix(raw, "[") {
		p.Type = PromptChat
	}
	switch p.Type {
	case PromptChat:
		var msgs []wireMessage
		if err := json.Unmarshal(w.Prompt, &msgs); err != nil {
			return nil, fmt.Errorf("chat prompt %q: messages: %v", w.Name, err)
		}
		p.Messages = make([]PromptMessage, len(msgs))
		for i, m := range msgs {
			if m.Type == placeholderRole {
				p.Messages[i] = PromptMessage{Role: placeholderRole, Content: m.Name}
				continue
			}
			p.Messages[i] = PromptMessage{Role: m.Role, Content: jsonText(m.Content)}
		}
	case PromptText, "":
		p.Type = PromptText
		if err := json.Unmarshal(w.Prompt, &p.Text); err != nil {
			return nil, fmt.Errorf("text prompt %q: %v", w.Name, err)
		}
	default:
		return nil, fmt.Errorf("prompt %q: unknown type %q", w.Name, w.Type)
	}
	return p, nil
}

// jsonText returns a JSON string's value, or other JSON as written.
func jsonText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	if string(raw) == "null" {
		return ""
	}
	return string(raw)
}

// clone returns a copy the caller may change without touching the cache
// (or the fallback given): a fetched prompt's Config is decoded JSON, a
// tree; a fallback's may hold any type, shared parts and cycles.
func (p *Prompt) clone(fallback bool) *Prompt {
	c := *p
	c.Messages = append([]PromptMessage(nil), p.Messages...)
	if p.Messages == nil {
		c.Messages = nil
	}
	c.Labels = append([]string(nil), p.Labels...)
	if p.Labels == nil {
		c.Labels = nil
	}
	switch {
	case p.Config == nil:
	case fallback:
		c.Config = deepCopy(p.Config).(map[string]any)
	default:
		c.Config = copyJSON(p.Config).(map[string]any)
	}
	return &c
}

// copyJSON copies a decoded JSON value's objects and arrays.
func copyJSON(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = copyJSON(e)
		}
		return m
	case []any:
		s := make([]any, len(x))
		for i, e := range x {
			s[i] = copyJSON(e)
		}
		return s
	}
	return v
}

// deepCopy copies the maps, slices and arrays of a fallback's config, of
// any type (map[string]string, []string, …), keeping their types. A map or
// slice met twice (shared, or holding itself) is copied once, and the copy
// keeps the sharing or the cycle. What pointers and structs hold is
// shared, and so is what lies deeper than maxCopyDepth or past
// maxCopyElems elements (slices that overlap in one array are copied once
// each: the bound keeps a contrived config from taking the memory).
func deepCopy(v any) any {
	var c copier
	return c.any(v, 0)
}

const (
	maxCopyDepth = 10000
	maxCopyElems = 1 << 20
)

// copier copies one value; seen maps each map and slice copied so far
// (its type, address and length) to its copy.
type copier struct {
	seen  map[copyKey]any
	elems int // copied so far
}

type copyKey struct {
	t reflect.Type
	p uintptr
	n int
}

// over counts n more elements to copy; past maxCopyElems the rest is shared.
func (c *copier) over(n int) bool {
	c.elems += n
	return c.elems > maxCopyElems
}

// holdsRefs reports whether values of t hold maps, slices or interfaces
// that a copy must copy (what pointers and structs hold is shared).
func holdsRefs(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Map, reflect.Slice, reflect.Interface:
		return true
	case reflect.Array:
		return holdsRefs(t.Elem())
	}
	return false
}

func (c *copier) note(k copyKey, cp any) {
	if c.seen == nil {
		c.seen = make(map[copyKey]any)
	}
	c.seen[k] = cp
}

func (c *copier) any(v any, depth int) any {
	switch v.(type) {
	case nil, string, float64, bool, int, int64:
		return v
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Map, reflect.Slice, reflect.Array:
		return c.value(rv, depth).Interface()
	}
	return v
}

// value copies the maps, slices and arrays in v, keeping every type.
func (c *copier) value(v reflect.Value, depth int) reflect.Value {
	if depth > maxCopyDepth {
		return v
	}
	switch v.Kind() {
	case reflect.Interface:
		if v.IsNil() || !holdsRefs(v.Elem().Type()) {
			return v
		}
		out := reflect.New(v.Type()).Elem()
		out.Set(c.value(v.Elem(), depth))
		return out
	case reflect.Map:
		if v.IsNil() {
			return v
		}
		k := copyKey{v.Type(), uintptr(v.UnsafePointer()), 0}
		if cp, ok := c.seen[k]; ok {
			return reflect.ValueOf(cp)
		}
		if c.over(v.Len()) {
			return v
		}
		m := reflect.MakeMapWithSize(v.Type(), v.Len())
		c.note(k, m.Interface())
		for it := v.MapRange(); it.Next(); {
			m.SetMapIndex(it.Key(), c.value(it.Value(), depth+1))
		}
		return m
	case reflect.Slice:
		if v.IsNil() {
			return v
		}
		k := copyKey{v.Type(), uintptr(v.UnsafePointer()), v.Len()}
		if cp, ok := c.seen[k]; ok {
			return reflect.ValueOf(cp)
		}
		if c.over(v.Len()) {
			return v
		}
		s := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		c.note(k, s.Interface())
		if !holdsRefs(v.Type().Elem()) {
			reflect.Copy(s, v)
			return s
		}
		for i := range v.Len() {
			s.Index(i).Set(c.value(v.Index(i), depth+1))
		}
		return s
	case reflect.Array:
		if !holdsRefs(v.Type().Elem()) || c.over(v.Len()) {
			return v // a value: nothing in it is shared
		}
		a := reflect.New(v.Type()).Elem()
		for i := range v.Len() {
			a.Index(i).Set(c.value(v.Index(i), depth+1))
		}
		return a
	}
	return v
}

// Ref links a generation to this prompt version: pass it as
// [Generation].Prompt. It is nil for a fallback (Litefuse has no such
// version to link to) and for a prompt without name or version.
func (p *Prompt) Ref() *PromptRef {
	if p == nil || p.Fallback || p.Name == "" || p.Version < 1 {
		return nil
	}
	return &PromptRef{Name: p.Name, Version: p.Version}
}

// fallbackWarned are the prompts (per REST side) whose fallback was
// warned about; bounded.
var fallbackWarned struct {
	sync.Mutex
	seen map[fallbackKey]struct{}
}

type fallbackKey struct {
	r    *rest
	desc string
}

// logFallback says that the fallback of a prompt is served and why: the
// first time per prompt as a warning when Litefuse failed, else at debug
// level (a configuration problem was warned about when the pipeline
// started).
func logFallback(r *rest, desc string, why error) {
	warn := false
	if r.err == nil {
		k := fallbackKey{r, desc}
		fallbackWarned.Lock()
		if _, dup := fallbackWarned.seen[k]; !dup && len(fallbackWarned.seen) < promptCacheMax {
			if fallbackWarned.seen == nil {
				fallbackWarned.seen = make(map[fallbackKey]struct{})
			}
			fallbackWarned.seen[k] = struct{}{}
			warn = true
		}
		fallbackWarned.Unlock()
	}
	if warn {
		r.log.Warn("litefuse: serving the fallback prompt: Litefuse gave no prompt; later fallbacks for this prompt are logged only with LANGFUSE_DEBUG",
			"prompt", desc, "reason", why.Error())
		return
	}
	if r.debug {
		r.log.Debug("litefuse: using the fallback prompt", "prompt", desc, "reason", why.Error())
	}
}
