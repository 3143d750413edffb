package otlpreceiver

// The rest of Litefuse's public API, as far as the library speaks it:
// prompts, scores, projects and media (with a presigned-upload stand-in).

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ProjectID is the id of the stand-in's one project.
const ProjectID = "proj-local"

// Prompt is a stored prompt version as the API returns it.
type Prompt struct {
	Name     string
	Version  int
	Type     string          // "text" or "chat"
	Text     string          // text prompts
	Messages []PromptMessage // chat prompts
	Config   map[string]any
	Labels   []string
	Tags     []string
}

// PromptMessage is one chat prompt message, or a placeholder
// (Type "placeholder" with Name).
type PromptMessage struct {
	Type, Role, Content, Name string
}

// PlatformRequest is one request to a platform endpoint, as received.
type PlatformRequest struct {
	Method, Path, RawQuery string
	Header                 http.Header
	Body                   []byte
}

type platformState struct {
	mu          sync.Mutex
	pk, sk      string
	prompts     map[string][]Prompt
	requests    []PlatformRequest
	scores      map[string]map[string]any
	failNext    []failure
	uploads     map[string]*Upload
	failUploads []int             // status codes for the next PUTs
	mediaMeta   map[string]string // mediaId → content type, once announced
	patches     map[string]map[string]any
}

func (p *platformState) init() {
	if p.prompts == nil {
		p.prompts = map[string][]Prompt{}
		p.scores = map[string]map[string]any{}
		p.uploads = map[string]*Upload{}
		p.mediaMeta = map[string]string{}
		p.patches = map[string]map[string]any{}
	}
}

// SetKeys makes the platform endpoints accept only these keys (401
// otherwise). Without it any Basic credentials are accepted.
func (r *Receiver) SetKeys(publicKey, secretKey string) {
	r.platform.mu.Lock()
	defer r.platform.mu.Unlock()
	r.platform.pk, r.platform.sk = publicKey, secretKey
}

// PutPrompt stores a prompt version; a label moves to it from older versions.
func (r *Receiver) PutPrompt(p Prompt) {
	s := &r.platform
	s.mu.Lock()
	defer s.mu.Unlock()
	s.init()
	if p.Type == "" {
		p.Type = "text"
		if p.Messages != nil {
			p.Type = "chat"
		}
	}
	vs := s.prompts[p.Name]
	for i := range vs {
		vs[i].Labels = without(vs[i].Labels, p.Labels)
	}
	s.prompts[p.Name] = append(vs, p)
}

func without(labels, remove []string) []string {
	var out []string
	for _, l := range labels {
		keep := true
		for _, r := range remove {
			keep = keep && l != r
		}
		if keep {
			out = append(out, l)
		}
	}
	return out
}

// FailPlatformNext makes the next n platform requests answer code with header.
func (r *Receiver) FailPlatformNext(n, code int, header http.Header) {
	r.platform.mu.Lock()
	defer r.platform.mu.Unlock()
	for range n {
		r.platform.failNext = append(r.platform.failNext, failure{code, header})
	}
}

// PlatformRequests returns the platform requests received so far (failed
// ones included), optionally only those whose path starts with prefix.
func (r *Receiver) PlatformRequests(prefix string) []PlatformRequest {
	r.platform.mu.Lock()
	defer r.platform.mu.Unlock()
	var out []PlatformRequest
	for _, q := range r.platform.requests {
		if strings.HasPrefix(q.Path, prefix) {
			out = append(out, q)
		}
	}
	return out
}

// Scores returns the scores stored, one per id (a retry with the same id
// updates, as Litefuse does), in no particular order.
func (r *Receiver) Scores() []map[string]any {
	r.platform.mu.Lock()
	defer r.platform.mu.Unlock()
	out := make([]map[string]any, 0, len(r.platform.scores))
	for _, s := range r.platform.scores {
		out = append(out, s)
	}
	return out
}

func (r *Receiver) servePlatform(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(req.Body, 32<<20))
	s := &r.platform
	s.mu.Lock()
	s.init()
	s.requests = append(s.requests, PlatformRequest{req.Method, req.URL.EscapedPath(), req.URL.RawQuery, req.Header.Clone(), body})
	var fail *failure
	if len(s.failNext) > 0 && !strings.HasPrefix(req.URL.Path, uploadPrefix) {
		fail = &s.failNext[0]
		s.failNext = s.failNext[1:]
	}
	pk, sk := s.pk, s.sk
	s.mu.Unlock()

	if strings.HasPrefix(req.URL.Path, uploadPrefix) && req.Method == http.MethodPut {
		r.serveUpload(w, req, body) // presigned: no Basic auth
		return
	}
	if fail != nil {
		reply(w, fail.code, fail.header, map[string]any{"message": "status " + strconv.Itoa(fail.code)})
		return
	}
	path := req.URL.EscapedPath()
	var handle func()
	switch {
	case req.Method == http.MethodGet && strings.HasPrefix(path, "/api/public/v2/prompts/"):
		handle = func() { r.servePrompt(w, req, strings.TrimPrefix(path, "/api/public/v2/prompts/")) }
	case req.Method == http.MethodPost && path == "/api/public/scores":
		handle = func() { r.serveScore(w, body) }
	case req.Method == http.MethodGet && path == "/api/public/projects":
		handle = func() {
			reply(w, http.StatusOK, nil, map[string]any{"data": []any{map[string]any{
				"id": ProjectID, "name": "local", "organization": map[string]any{"id": "org-local", "name": "local"},
			}}})
		}
	case req.Method == http.MethodPost && path == mediaPath:
		handle = func() { r.serveMediaPost(w, req, body) }
	case req.Method == http.MethodPatch && strings.HasPrefix(path, mediaPath+"/"):
		handle = func() { r.serveMediaPatch(w, strings.TrimPrefix(path, mediaPath+"/"), body) }
	default:
		reply(w, http.StatusNotFound, nil, map[string]any{"message": "not found"})
		return
	}
	user, pass, ok := req.BasicAuth()
	if !ok || (pk != "" && (user != pk || pass != sk)) {
		reply(w, http.StatusUnauthorized, nil, map[string]any{"message": "Invalid credentials. Confirm that you've configured the correct host."})
		return
	}
	handle()
}

func reply(w http.ResponseWriter, code int, header http.Header, v any) {
	for k, vs := range header {
		w.Header()[k] = vs
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func (r *Receiver) servePrompt(w http.ResponseWriter, req *http.Request, escName string) {
	name, err := url.PathUnescape(escName)
	if err != nil {
		reply(w, http.StatusBadRequest, nil, map[string]any{"message": "bad prompt name"})
		return
	}
	q := req.URL.Query()
	version, label := q.Get("version"), q.Get("label")
	if version != "" && label != "" {
		reply(w, http.StatusBadRequest, nil, map[string]any{"message": "Cannot specify both version and label"})
		return
	}
	if version == "" && label == "" {
		label = "production"
	}
	r.platform.mu.Lock()
	var found *Prompt
	vs := r.platform.prompts[name]
	for i := len(vs) - 1; i >= 0 && found == nil; i-- {
		p := vs[i]
		switch {
		case version != "" && strconv.Itoa(p.Version) == version,
			label == "latest" && i == len(vs)-1,
			label != "" && contains(p.Labels, label):
			found = &p
		}
	}
	r.platform.mu.Unlock()
	if found == nil {
		reply(w, http.StatusNotFound, nil, map[string]any{"error": "LangfuseNotFoundError", "message": "Prompt not found"})
		return
	}
	out := map[string]any{
		"name": found.Name, "version": found.Version, "type": found.Type,
		"config": found.Config, "labels": orEmpty(found.Labels), "tags": orEmpty(found.Tags),
	}
	if out["config"] == nil {
		out["config"] = map[string]any{}
	}
	if found.Type == "chat" {
		msgs := make([]map[string]any, len(found.Messages))
		for i, m := range found.Messages {
			if m.Type == "placeholder" {
				msgs[i] = map[string]any{"type": "placeholder", "name": m.Name}
			} else {
				msgs[i] = map[string]any{"type": "chatmessage", "role": m.Role, "content": m.Content}
			}
		}
		out["prompt"] = msgs
	} else {
		out["prompt"] = found.Text
	}
	reply(w, http.StatusOK, nil, out)
}

func contains(s []string, v string) bool {
	for _, e := range s {
		if e == v {
			return true
		}
	}
	return false
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// serveScore checks a score as Litefuse's create-score endpoint does and
// stores it under its id.
func (r *Receiver) serveScore(w http.ResponseWriter, body []byte) {
	var s map[string]any
	if err := json.Unmarshal(body, &s); err != nil {
		reply(w, http.StatusBadRequest, nil, map[string]any{"message": "invalid JSON"})
		return
	}
	name, _ := s["name"].(string)
	_, hasValue := s["value"]
	if name == "" || !hasValue {
		reply(w, http.StatusBadRequest, nil, map[string]any{"message": "name and value are required"})
		return
	}
	if s["traceId"] == nil && s["sessionId"] == nil && s["datasetRunId"] == nil && s["observationId"] == nil {
		reply(w, http.StatusBadRequest, nil, map[string]any{"message": "one of traceId, sessionId, datasetRunId is required"})
		return
	}
	id, _ := s["id"].(string)
	if id == "" {
		id = strconv.FormatInt(time.Now().UnixNano(), 36)
	}
	r.platform.mu.Lock()
	r.platform.scores[id] = s
	r.platform.mu.Unlock()
	reply(w, http.StatusOK, nil, map[string]any{"id": id})
}
