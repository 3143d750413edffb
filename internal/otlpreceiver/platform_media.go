package otlpreceiver

// Media uploads as the stand-in saw them, and upload faults.

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strings"

	"github.com/litefuse/litefuse-go/internal/lfserver"
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

// serveUpload injects upload faults, then lets the server take the PUT and
// records what arrived for an announced media id.
func (r *Receiver) serveUpload(w http.ResponseWriter, req *http.Request, body []byte) {
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
	r.platform.mu.Unlock()
	rec := &recorder{ResponseWriter: w}
	r.lf.ServeHTTP(rec, req)
	if rec.status == http.StatusForbidden || rec.status == http.StatusMisdirectedRequest {
		return // not announced
	}
	id := strings.TrimPrefix(req.URL.Path, lfserver.UploadPrefix)
	sum := sha256.Sum256(body)
	r.platform.mu.Lock()
	r.platform.uploads[id] = &Upload{
		MediaID:       id,
		ContentType:   req.Header.Get("Content-Type"),
		Bytes:         body,
		Authorization: req.Header.Get("Authorization"),
		ChecksumOK:    req.Header.Get("x-amz-checksum-sha256") == base64.StdEncoding.EncodeToString(sum[:]),
	}
	r.platform.mu.Unlock()
}
