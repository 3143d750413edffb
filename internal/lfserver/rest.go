package lfserver

// The REST endpoints the library calls: prompts, scores, projects and media
// (with a local stand-in for the presigned upload URL).

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/litefuse/litefuse-go/internal/store"
)

// maxRESTBody bounds a REST request body (a media upload included).
const maxRESTBody = 32 << 20

// maxSmallBody bounds the media requests that carry no media (POST
// /api/public/media, PATCH /api/public/media/{id}): they are a few hundred
// bytes.
const maxSmallBody = 64 << 10

// maxScoreBody bounds one score (its comment, metadata and value): scores
// are small, and each one held counts toward the store's bound.
const maxScoreBody = 1 << 20

// Prompt is a stored prompt version as the API returns it.
type Prompt struct {
	Name     string
	Version  int
	Type     string          // "text" or "chat"; default: chat when Messages is set
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

// AddPrompt stores a prompt version; a label moves to it from older
// versions. Version 0 takes the next version number.
func (s *Server) AddPrompt(p Prompt) {
	pl := &s.platform
	pl.mu.Lock()
	defer pl.mu.Unlock()
	pl.init()
	if p.Type == "" {
		p.Type = "text"
		if p.Messages != nil {
			p.Type = "chat"
		}
	}
	vs := pl.prompts[p.Name]
	if p.Version == 0 {
		p.Version = 1
		for _, v := range vs {
			p.Version = max(p.Version, v.Version+1)
		}
	}
	for i := range vs {
		vs[i].Labels = without(vs[i].Labels, p.Labels)
	}
	pl.prompts[p.Name] = append(vs, p)
}

func without(labels, remove []string) []string {
	var out []string
	for _, l := range labels {
		if !contains(remove, l) {
			out = append(out, l)
		}
	}
	return out
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

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request, path string) {
	var handle func()
	switch {
	case r.Method == http.MethodGet && strings.HasPrefix(path, PromptsPath):
		handle = func() { s.servePrompt(w, r, strings.TrimPrefix(path, PromptsPath)) }
	case r.Method == http.MethodPost && path == ScoresPath:
		handle = func() { s.serveScore(w, r) }
	case r.Method == http.MethodGet && path == ProjectsPath:
		handle = func() {
			reply(w, http.StatusOK, map[string]any{"data": []any{map[string]any{
				"id": ProjectID, "name": "local", "organization": map[string]any{"id": "org-local", "name": "local"},
				"metadata": map[string]any{},
			}}})
		}
	case r.Method == http.MethodPost && path == MediaPath:
		handle = func() { s.serveMediaPost(w, r) }
	case r.Method == http.MethodPatch && strings.HasPrefix(path, MediaPath+"/"):
		handle = func() { s.serveMediaPatch(w, r, strings.TrimPrefix(path, MediaPath+"/")) }
	case r.Method == http.MethodGet && strings.HasPrefix(path, MediaPath+"/"):
		handle = func() { s.serveMediaGet(w, r, strings.TrimPrefix(path, MediaPath+"/")) }
	case r.Method == http.MethodGet && path == ObservationsPath:
		handle = func() { s.serveObservations(w, r) }
	default:
		reply(w, http.StatusNotFound, map[string]any{"message": "litefuse: no " + r.Method + " " + path + " on the local Litefuse"})
		return
	}
	if s.authorized(w, r, true) {
		handle()
	}
}

func (s *Server) servePrompt(w http.ResponseWriter, r *http.Request, escName string) {
	name, err := url.PathUnescape(escName)
	if err != nil {
		reply(w, http.StatusBadRequest, map[string]any{"message": "bad prompt name"})
		return
	}
	q := r.URL.Query()
	version, label := q.Get("version"), q.Get("label")
	if version != "" && label != "" {
		reply(w, http.StatusBadRequest, map[string]any{"message": "Cannot specify both version and label"})
		return
	}
	if version == "" && label == "" {
		label = "production"
	}
	s.platform.mu.Lock()
	var found *Prompt
	vs := s.platform.prompts[name]
	for i := len(vs) - 1; i >= 0 && found == nil; i-- {
		p := vs[i]
		switch {
		case version != "" && strconv.Itoa(p.Version) == version,
			label == "latest" && i == len(vs)-1,
			label != "" && contains(p.Labels, label):
			found = &p
		}
	}
	s.platform.mu.Unlock()
	if found == nil {
		reply(w, http.StatusNotFound, map[string]any{"error": "LangfuseNotFoundError", "message": "Prompt not found"})
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
	reply(w, http.StatusOK, out)
}

var scoreSeq atomic.Int64

// serveScore checks a score as Litefuse's create-score endpoint does and
// stores it under its id (a retry with the same id updates).
func (s *Server) serveScore(w http.ResponseWriter, r *http.Request) {
	res := s.reserve(r)
	defer res.release()
	body, err := s.readBody(r, res, maxScoreBody)
	if be, ok := err.(*BodyError); ok && be.Status == http.StatusRequestEntityTooLarge {
		reply(w, be.Status, map[string]any{"message": "litefuse: a score over 1 MiB (comment, metadata and value together) is refused: shorten its comment or metadata; nothing was stored"})
		return
	}
	if err != nil {
		replyBodyError(w, err)
		return
	}
	var in map[string]any
	if err := json.Unmarshal(body, &in); err != nil {
		reply(w, http.StatusBadRequest, map[string]any{"message": "invalid JSON"})
		return
	}
	name, _ := in["name"].(string)
	value, hasValue := in["value"]
	if name == "" || !hasValue {
		reply(w, http.StatusBadRequest, map[string]any{"message": "name and value are required"})
		return
	}
	str := func(k string) string { v, _ := in[k].(string); return v }
	if str("traceId") == "" && str("sessionId") == "" && str("datasetRunId") == "" && str("observationId") == "" {
		reply(w, http.StatusBadRequest, map[string]any{"message": "one of traceId, sessionId, datasetRunId is required"})
		return
	}
	sc := store.Score{
		ID: str("id"), TraceID: str("traceId"), ObservationID: str("observationId"), SessionID: str("sessionId"),
		Name: name, DataType: strings.ToUpper(str("dataType")), Comment: str("comment"), Environment: str("environment"),
		CreatedAt: time.Now().UTC(),
	}
	if sc.ID == "" {
		sc.ID = "score-" + strconv.FormatInt(time.Now().UnixNano(), 36) + "-" + strconv.FormatInt(scoreSeq.Add(1), 36)
	}
	if sc.Environment == "" {
		sc.Environment = "default"
	}
	if m, ok := in["metadata"].(map[string]any); ok {
		sc.Metadata = m
	}
	switch v := value.(type) {
	case float64:
		sc.Value = v
		if sc.DataType == "" {
			sc.DataType = "NUMERIC"
		}
	case bool:
		sc.StringValue = strconv.FormatBool(v)
		if v {
			sc.Value = 1
		}
		if sc.DataType == "" {
			sc.DataType = "BOOLEAN"
		}
	case string:
		sc.StringValue = v
		if sc.DataType == "" {
			sc.DataType = "CATEGORICAL"
		}
	default:
		reply(w, http.StatusBadRequest, map[string]any{"message": "value must be a number, a string or a boolean"})
		return
	}
	s.Store.PutScore(sc)
	reply(w, http.StatusOK, map[string]any{"id": sc.ID})
}

// MediaID is the media id Litefuse derives from a payload's SHA-256.
func MediaID(sum []byte) string { return base64.RawURLEncoding.EncodeToString(sum)[:22] }

func (s *Server) serveMediaPost(w http.ResponseWriter, r *http.Request) {
	res := s.reserve(r)
	defer res.release()
	body, err := s.readBody(r, res, maxSmallBody)
	if err != nil {
		replyBodyError(w, err)
		return
	}
	var m struct {
		TraceID, ObservationID, ContentType, SHA256Hash, Field string
		ContentLength                                          int64
	}
	if err := json.Unmarshal(body, &m); err != nil || m.TraceID == "" || m.ContentType == "" || m.SHA256Hash == "" || m.Field == "" || m.ContentLength <= 0 {
		reply(w, http.StatusBadRequest, map[string]any{"message": "traceId, contentType, contentLength, sha256Hash and field are required"})
		return
	}
	sum, err := base64.StdEncoding.DecodeString(m.SHA256Hash)
	if err != nil || len(sum) != sha256.Size {
		reply(w, http.StatusBadRequest, map[string]any{"message": "sha256Hash must be the standard base64 of a SHA-256 digest"})
		return
	}
	id := MediaID(sum)
	_, _, uploaded := s.Store.Media(id) // the store's bytes say: evicted media is announced again
	if !uploaded {
		s.platform.announce(id, mediaMeta{contentType: m.ContentType, length: m.ContentLength})
	}
	out := map[string]any{"mediaId": id, "uploadUrl": nil}
	if !uploaded {
		out["uploadUrl"] = originOf(r) + UploadPrefix + id + "?X-Amz-Signature=" + s.sign(http.MethodPut, id)
	}
	reply(w, http.StatusOK, out)
}

// signedURLLife is how long a local upload or media URL is good for.
const signedURLLife = time.Hour

// sign returns the signature of a local upload URL and its expiry, as the
// rest of its query ("<sig>&X-Litefuse-Expires=<unix seconds>"): an HMAC of
// the method, media id and expiry under a key this server drew at random,
// as S3 signs a presigned URL.
func (s *Server) sign(method, id string) string {
	exp := strconv.FormatInt(time.Now().Add(signedURLLife).Unix(), 10)
	return s.mac(method, id, exp) + "&X-Litefuse-Expires=" + exp
}

func (s *Server) mac(method, id, exp string) string {
	s.signOnce.Do(func() {
		s.signKey = make([]byte, 32)
		_, _ = rand.Read(s.signKey)
	})
	m := hmac.New(sha256.New, s.signKey)
	m.Write([]byte(method + " " + id + " " + exp))
	return hex.EncodeToString(m.Sum(nil)[:16])
}

// signed reports whether r carries a signature for its method and id that
// has not expired.
func (s *Server) signed(r *http.Request, method, id string) bool {
	q := r.URL.Query()
	exp := q.Get("X-Litefuse-Expires")
	sec, err := strconv.ParseInt(exp, 10, 64)
	if err != nil || time.Now().Unix() > sec {
		return false
	}
	return hmac.Equal([]byte(q.Get("X-Amz-Signature")), []byte(s.mac(method, id, exp)))
}

// serveUpload is the presigned URL: PUT stores the bytes (no Basic auth, as
// with S3; the content type and checksum must match), GET returns them.
// With keys set, a PUT needs the URL's signature and a GET the keys (Basic
// auth, as the UI sends them) or the signed URL GET /api/public/media/{id}
// returns: media is no less private than the traces that link it.
func (s *Server) serveUpload(w http.ResponseWriter, r *http.Request, id string) {
	if s.keysSet() {
		switch {
		case r.Method == http.MethodPut && !s.signed(r, http.MethodPut, id):
			reply(w, http.StatusForbidden, map[string]any{"message": "litefuse: upload URL signature missing or wrong: PUT to the uploadUrl POST /api/public/media returned"})
			return
		case r.Method == http.MethodGet && !s.signed(r, http.MethodGet, id) && !s.authorized(w, r, true):
			return
		}
	}
	switch r.Method {
	case http.MethodGet:
		ct, data, ok := s.Store.Media(id)
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", ct)
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Content-Security-Policy", "sandbox; default-src 'none'")
		_, _ = w.Write(data)
		return
	case http.MethodPut:
	default:
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	res := s.reserve(r)
	defer res.release()
	body, err := s.readBody(r, res, maxRESTBody)
	if err != nil {
		replyBodyError(w, err)
		return
	}
	sum := sha256.Sum256(body)
	s.platform.mu.Lock()
	meta, known := s.platform.mediaMeta[id]
	s.platform.mu.Unlock()
	ok := known && r.Header.Get("Content-Type") == meta.contentType && MediaID(sum[:]) == id
	if c := r.Header.Get("x-amz-checksum-sha256"); c != "" && c != base64.StdEncoding.EncodeToString(sum[:]) {
		ok = false
	}
	switch {
	case !known:
		w.WriteHeader(http.StatusForbidden)
	case !ok:
		w.WriteHeader(http.StatusBadRequest)
	default:
		s.Store.PutMedia(id, meta.contentType, body)
		w.WriteHeader(http.StatusOK)
	}
}

func (s *Server) serveMediaPatch(w http.ResponseWriter, r *http.Request, id string) {
	res := s.reserve(r)
	defer res.release()
	body, err := s.readBody(r, res, maxSmallBody)
	if err != nil {
		replyBodyError(w, err)
		return
	}
	var patch struct {
		UploadedAt       *string `json:"uploadedAt"`
		UploadHTTPStatus *int    `json:"uploadHttpStatus"`
	}
	if err := json.Unmarshal(body, &patch); err != nil || patch.UploadedAt == nil || patch.UploadHTTPStatus == nil {
		reply(w, http.StatusBadRequest, map[string]any{"message": "uploadedAt and uploadHttpStatus are required"})
		return
	}
	if len(*patch.UploadedAt) > 64 {
		reply(w, http.StatusBadRequest, map[string]any{"message": "uploadedAt must be a date-time"})
		return
	}
	s.platform.mu.Lock()
	defer s.platform.mu.Unlock()
	meta, known := s.platform.mediaMeta[id]
	if !known {
		reply(w, http.StatusNotFound, map[string]any{"message": "media not found"})
		return
	}
	meta.uploadedAt = *patch.UploadedAt
	s.platform.mediaMeta[id] = meta
	w.WriteHeader(http.StatusOK)
}

func (s *Server) serveMediaGet(w http.ResponseWriter, r *http.Request, id string) {
	// The store holds the bytes (evicted with its bound, kept under -data):
	// what it holds is what exists.
	ct, data, stored := s.Store.Media(id)
	if !stored {
		reply(w, http.StatusNotFound, map[string]any{"message": "media not found"})
		return
	}
	s.platform.mu.Lock()
	meta := s.platform.mediaMeta[id]
	s.platform.mu.Unlock()
	out := map[string]any{
		"mediaId": id, "contentType": ct, "contentLength": len(data),
		"url": originOf(r) + UploadPrefix + id + "?X-Amz-Signature=" + s.sign(http.MethodGet, id), "urlExpiry": time.Now().Add(time.Hour).UTC().Format(time.RFC3339),
	}
	if meta.uploadedAt != "" {
		out["uploadedAt"] = meta.uploadedAt
	}
	reply(w, http.StatusOK, out)
}

// originOf is the scheme and host the request reached the server at: https
// when it came over TLS or a proxy in front says so (X-Forwarded-Proto),
// so that an upload URL handed out works through the same front.
func originOf(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil || strings.EqualFold(strings.TrimSpace(strings.Split(r.Header.Get("X-Forwarded-Proto"), ",")[0]), "https") {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
