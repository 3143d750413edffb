package otlpreceiver

// The media API: POST /api/public/media for an upload URL, a presigned
// PUT stand-in that checks what S3 would, and PATCH /api/public/media/{id}.

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
)

const (
	uploadPrefix = "/upload/"
	mediaPath    = "/api/public/media"
)

// Upload is one media upload as the stand-in saw it.
type Upload struct {
	MediaID, ContentType string
	Bytes                []byte
	Authorization        string // must stay empty: the PUT carries no keys
	ChecksumOK           bool   // x-amz-checksum-sha256 matched the bytes
	Patch                map[string]any
}

// Uploads returns the media uploads received, by media id.
func (r *Receiver) Uploads() map[string]Upload {
	r.platform.mu.Lock()
	defer r.platform.mu.Unlock()
	out := make(map[string]Upload, len(r.platform.uploads))
	for k, u := range r.platform.uploads {
		out[k] = *u
	}
	for k, p := range r.platform.patches {
		u := out[k]
		u.MediaID, u.Patch = k, p
		out[k] = u
	}
	return out
}

// FailUploadsNext makes the next n presigned PUTs answer code with an S3
// style XML error (whose RequestId element no client should quote).
func (r *Receiver) FailUploadsNext(n, code int) {
	r.platform.mu.Lock()
	defer r.platform.mu.Unlock()
	for range n {
		r.platform.failUploads = append(r.platform.failUploads, code)
	}
}

func (r *Receiver) serveMediaPost(w http.ResponseWriter, req *http.Request, body []byte) {
	var m struct {
		TraceID, ObservationID, ContentType, SHA256Hash, Field string
		ContentLength                                          int64
	}
	if err := json.Unmarshal(body, &m); err != nil || m.TraceID == "" || m.ContentType == "" || m.SHA256Hash == "" || m.Field == "" || m.ContentLength <= 0 {
		reply(w, http.StatusBadRequest, nil, map[string]any{"message": "traceId, contentType, contentLength, sha256Hash and field are required"})
		return
	}
	sum, err := base64.StdEncoding.DecodeString(m.SHA256Hash)
	if err != nil || len(sum) != sha256.Size {
		reply(w, http.StatusBadRequest, nil, map[string]any{"message": "sha256Hash must be the standard base64 of a SHA-256 digest"})
		return
	}
	id := base64.RawURLEncoding.EncodeToString(sum)[:22]
	r.platform.mu.Lock()
	_, uploaded := r.platform.uploads[id]
	r.platform.mediaMeta[id] = m.ContentType
	r.platform.mu.Unlock()
	out := map[string]any{"mediaId": id, "uploadUrl": nil}
	if !uploaded {
		out["uploadUrl"] = "http://" + req.Host + uploadPrefix + id + "?X-Amz-Signature=stand-in"
	}
	reply(w, http.StatusOK, nil, out)
}

func (r *Receiver) serveUpload(w http.ResponseWriter, req *http.Request, body []byte) {
	id := strings.TrimPrefix(req.URL.Path, uploadPrefix)
	sum := sha256.Sum256(body)
	r.platform.mu.Lock()
	if len(r.platform.failUploads) > 0 {
		code := r.platform.failUploads[0]
		r.platform.failUploads = r.platform.failUploads[1:]
		r.platform.mu.Unlock()
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(code)
		_, _ = w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>stand-in upload fault</Message><RequestId>` + req.URL.RawQuery + `</RequestId></Error>`))
		return
	}
	ct, known := r.platform.mediaMeta[id]
	if known {
		r.platform.uploads[id] = &Upload{
			MediaID:       id,
			ContentType:   req.Header.Get("Content-Type"),
			Bytes:         body,
			Authorization: req.Header.Get("Authorization"),
			ChecksumOK:    req.Header.Get("x-amz-checksum-sha256") == base64.StdEncoding.EncodeToString(sum[:]),
		}
	}
	r.platform.mu.Unlock()
	switch {
	case !known:
		w.WriteHeader(http.StatusForbidden)
	case req.Header.Get("Content-Type") != ct:
		w.WriteHeader(http.StatusBadRequest)
	default:
		w.WriteHeader(http.StatusOK)
	}
}

func (r *Receiver) serveMediaPatch(w http.ResponseWriter, id string, body []byte) {
	var patch map[string]any
	if err := json.Unmarshal(body, &patch); err != nil || patch["uploadedAt"] == nil || patch["uploadHttpStatus"] == nil {
		reply(w, http.StatusBadRequest, nil, map[string]any{"message": "uploadedAt and uploadHttpStatus are required"})
		return
	}
	r.platform.mu.Lock()
	defer r.platform.mu.Unlock()
	if _, known := r.platform.mediaMeta[id]; !known {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	r.platform.patches[id] = patch
	w.WriteHeader(http.StatusOK)
}
