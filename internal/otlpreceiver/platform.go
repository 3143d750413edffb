package otlpreceiver

// The REST side: the local Litefuse's endpoints (internal/lfserver), with
// every request recorded and failures injectable.

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/litefuse/litefuse-go/internal/lfserver"
)

// ProjectID is the id of the local Litefuse's one project.
const ProjectID = lfserver.ProjectID

// Prompt is a stored prompt version as the API returns it.
type Prompt = lfserver.Prompt

// PromptMessage is one chat prompt message, or a placeholder
// (Type "placeholder" with Name).
type PromptMessage = lfserver.PromptMessage

// PlatformRequest is one request to a platform endpoint, as received.
type PlatformRequest struct {
	Method, Path, RawQuery string
	Header                 http.Header
	Body                   []byte
}

type platformState struct {
	mu          sync.Mutex
	requests    []PlatformRequest
	scores      map[string]map[string]any // by id, as sent
	failNext    []failure
	uploads     map[string]*Upload
	failUploads []int // status codes for the next PUTs
	patches     map[string]map[string]any
}

func (p *platformState) init() {
	if p.scores == nil {
		p.scores = map[string]map[string]any{}
		p.uploads = map[string]*Upload{}
		p.patches = map[string]map[string]any{}
	}
}

// SetKeys makes the platform endpoints accept only these keys (401
// otherwise). Without it any Basic credentials are accepted.
func (r *Receiver) SetKeys(publicKey, secretKey string) { r.lf.SetKeys(publicKey, secretKey) }

// PutPrompt stores a prompt version; a label moves to it from older versions.
func (r *Receiver) PutPrompt(p Prompt) { r.lf.AddPrompt(p) }

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
// updates, as Litefuse does), as sent, in no particular order.
func (r *Receiver) Scores() []map[string]any {
	r.platform.mu.Lock()
	defer r.platform.mu.Unlock()
	out := make([]map[string]any, 0, len(r.platform.scores))
	for _, s := range r.platform.scores {
		out = append(out, s)
	}
	return out
}

// recorder passes a response through and keeps its status and body.
type recorder struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (w *recorder) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *recorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	w.body.Write(b)
	return w.ResponseWriter.Write(b)
}

func (r *Receiver) servePlatform(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(req.Body, 32<<20))
	req.Body = io.NopCloser(bytes.NewReader(body))
	s := &r.platform
	s.mu.Lock()
	s.init()
	s.requests = append(s.requests, PlatformRequest{req.Method, req.URL.EscapedPath(), req.URL.RawQuery, req.Header.Clone(), body})
	upload := strings.HasPrefix(req.URL.Path, lfserver.UploadPrefix)
	var fail *failure
	if len(s.failNext) > 0 && !upload {
		fail = &s.failNext[0]
		s.failNext = s.failNext[1:]
	}
	s.mu.Unlock()

	if upload && req.Method == http.MethodPut {
		r.serveUpload(w, req, body)
		return
	}
	if fail != nil {
		reply(w, fail.code, fail.header, map[string]any{"message": "status " + strconv.Itoa(fail.code)})
		return
	}
	rec := &recorder{ResponseWriter: w}
	r.lf.ServeHTTP(rec, req)
	if rec.status != http.StatusOK {
		return
	}
	path := req.URL.EscapedPath()
	switch {
	case req.Method == http.MethodPost && path == lfserver.ScoresPath:
		var sent map[string]any
		var answer struct{ ID string }
		if json.Unmarshal(body, &sent) == nil && json.Unmarshal(rec.body.Bytes(), &answer) == nil {
			s.mu.Lock()
			s.scores[answer.ID] = sent
			s.mu.Unlock()
		}
	case req.Method == http.MethodPatch && strings.HasPrefix(path, lfserver.MediaPath+"/"):
		var patch map[string]any
		if json.Unmarshal(body, &patch) == nil {
			s.mu.Lock()
			s.patches[strings.TrimPrefix(path, lfserver.MediaPath+"/")] = patch
			s.mu.Unlock()
		}
	}
}

func reply(w http.ResponseWriter, code int, header http.Header, v any) {
	for k, vs := range header {
		w.Header()[k] = vs
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
