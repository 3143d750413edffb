package platform

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/litefuse/litefuse-go/internal/scrub"
)

// MediaPath is the media API: POST for an upload URL, PATCH /{id} after.
const MediaPath = "/api/public/media"

// Media is one payload to upload, linked to the observation it was
// recorded in.
type Media struct {
	TraceID, ObservationID string // hex, as the span's
	Field                  string // "input" or "output"
	ContentType            string
	Data                   []byte // owned by the uploader once handed over
	SHA256                 [32]byte
	ID                     string // the Langfuse media id: base64url(SHA256)[:22]
}

// MediaConfig configures a MediaUploader.
type MediaConfig struct {
	Client      *Client
	QueueSize   int   // uploads waiting; more are dropped and counted
	MaxBytes    int64 // bytes of media waiting or in flight; more are dropped and counted
	Workers     int   // uploads in flight at once
	MaxAttempts int   // per request (POST, PUT, PATCH), first attempt included
	Backoff     Backoff
	Remember    int // media ids remembered as uploaded, so a repeat is not sent again
	Log         *slog.Logger
	Debug       bool
}

// MediaUploader uploads media asynchronously through Litefuse's media API:
// POST /api/public/media for an upload URL (none when Litefuse has the
// media already), PUT of the bytes to that URL without Litefuse's keys,
// then PATCH /api/public/media/{id} with the upload's outcome. Upload
// never blocks; the queue is bounded in uploads and in bytes; a media id
// uploaded (or being uploaded) recently is not sent again. Every upload
// handed over ends counted once as sent, failed or dropped.
type MediaUploader struct {
	cfg  MediaConfig
	send *Sender
	seen idSet
}

// NewMediaUploader returns a MediaUploader; nothing runs until the first
// Upload.
func NewMediaUploader(cfg MediaConfig) *MediaUploader {
	cfg.MaxAttempts = max(cfg.MaxAttempts, 1)
	u := &MediaUploader{cfg: cfg}
	u.seen.max = max(cfg.Remember, 1)
	u.send = NewSender(SenderConfig{
		Client:      cfg.Client,
		Kind:        "media uploads",
		QueueSize:   cfg.QueueSize,
		MaxBytes:    cfg.MaxBytes,
		Workers:     cfg.Workers,
		MaxAttempts: cfg.MaxAttempts,
		Backoff:     cfg.Backoff,
		Log:         cfg.Log,
		Debug:       cfg.Debug,
	})
	u.cfg.Backoff = u.send.cfg.Backoff
	u.cfg.Log = u.send.cfg.Log
	return u
}

// Upload queues m unless its id was uploaded (or queued) recently. It
// never blocks; a full queue drops m, counted.
func (u *MediaUploader) Upload(m Media) {
	if !u.seen.add(m.ID) {
		return
	}
	job := Job{Size: int64(len(m.Data))}
	job.Run = func(ctx context.Context) error {
		err := u.upload(ctx, &m)
		if err != nil {
			u.seen.remove(m.ID) // a later call may try again
		}
		return err
	}
	if !u.send.Enqueue(job) {
		u.seen.remove(m.ID)
	}
}

// Counts returns the upload counts so far.
func (u *MediaUploader) Counts() Counts { return u.send.Counts() }

// Flush waits for the uploads queued so far, within ctx (see Sender.Flush).
func (u *MediaUploader) Flush(ctx context.Context) error { return u.send.Flush(ctx) }

// Shutdown finishes the queued uploads within ctx, then stops (see
// Sender.Shutdown).
func (u *MediaUploader) Shutdown(ctx context.Context) error { return u.send.Shutdown(ctx) }

type mediaPost struct {
	TraceID       string `json:"traceId"`
	ObservationID string `json:"observationId,omitempty"`
	ContentType   string `json:"contentType"`
	ContentLength int    `json:"contentLength"`
	SHA256Hash    string `json:"sha256Hash"`
	Field         string `json:"field"`
}

type mediaPatch struct {
	UploadedAt       string  `json:"uploadedAt"`
	UploadHTTPStatus int     `json:"uploadHttpStatus"`
	UploadHTTPError  *string `json:"uploadHttpError"`
	UploadTimeMs     int64   `json:"uploadTimeMs"`
}

func (u *MediaUploader) retry(ctx context.Context, fn func() error) error {
	_, err := Retry(ctx, u.cfg.MaxAttempts, u.cfg.Backoff, fn, func(attempt int, err error) {
		if u.cfg.Debug {
			u.cfg.Log.Debug("litefuse: retrying a media upload", "attempt", attempt, "error", Bound(err.Error(), 300))
		}
	})
	return err
}

// upload runs the three steps for one payload, each retried on its own.
func (u *MediaUploader) upload(ctx context.Context, m *Media) error {
	hash := base64.StdEncoding.EncodeToString(m.SHA256[:])
	post, err := json.Marshal(mediaPost{
		TraceID: m.TraceID, ObservationID: m.ObservationID, ContentType: m.ContentType,
		ContentLength: len(m.Data), SHA256Hash: hash, Field: m.Field,
	})
	if err != nil {
		return err
	}
	var got struct {
		UploadURL *string `json:"uploadUrl"`
		MediaID   string  `json:"mediaId"`
	}
	if err := u.retry(ctx, func() error { return u.cfg.Client.Do(ctx, "POST", MediaPath, post, &got) }); err != nil {
		return err
	}
	if got.MediaID != "" && got.MediaID != m.ID {
		return fmt.Errorf("POST %s: Litefuse answered media id %q for %q: not uploaded", MediaPath, Bound(got.MediaID, 40), m.ID)
	}
	if got.UploadURL == nil || *got.UploadURL == "" {
		return nil // Litefuse has it already
	}
	start := time.Now()
	status, putErr := 0, error(nil)
	putErr = u.retry(ctx, func() error {
		var err error
		status, err = u.cfg.Client.PutUpload(ctx, *got.UploadURL, m.ContentType, hash, m.Data)
		return err
	})
	if status == 0 { // no answer: nothing to tell Litefuse
		return putErr
	}
	patch := mediaPatch{
		UploadedAt:       time.Now().UTC().Format(time.RFC3339Nano),
		UploadHTTPStatus: status,
		UploadTimeMs:     time.Since(start).Milliseconds(),
	}
	if putErr != nil {
		msg := putErr.Error()
		patch.UploadHTTPError = &msg
	}
	body, err := json.Marshal(patch)
	if err != nil {
		return err
	}
	path := MediaPath + "/" + url.PathEscape(m.ID)
	patchErr := u.retry(ctx, func() error { return u.cfg.Client.Do(ctx, "PATCH", path, body, nil) })
	return errors.Join(putErr, patchErr)
}

// idSet is a bounded set of strings: past max, the oldest goes.
type idSet struct {
	mu    sync.Mutex
	max   int
	ids   map[string]uint64 // id → its number in order
	order []idEntry         // oldest first; entries of removed ids linger
	n     uint64
}

type idEntry struct {
	id string
	n  uint64
}

// add reports whether id was new, adding it.
func (s *idSet) add(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ids == nil {
		s.ids = make(map[string]uint64)
	}
	if _, ok := s.ids[id]; ok {
		return false
	}
	s.n++
	s.ids[id] = s.n
	s.order = append(s.order, idEntry{id, s.n})
	for len(s.ids) > s.max {
		e := s.order[0]
		s.order = s.order[1:]
		if s.ids[e.id] == e.n {
			delete(s.ids, e.id)
		}
	}
	if len(s.order) > 2*s.max+16 { // drop the entries of removed ids
		live := make([]idEntry, 0, len(s.ids))
		for _, e := range s.order {
			if s.ids[e.id] == e.n {
				live = append(live, e)
			}
		}
		s.order = live
	}
	return true
}

func (s *idSet) remove(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.ids, id)
}

// PutUpload PUTs data to a presigned upload URL, as S3 (and Azure Blob, GCS)
// take it: Content-Type, the SHA-256 checksum S3 checks, and never
// Litefuse's keys. It returns the HTTP status (0 when no answer came) and,
// unless it is 2xx, an error: a *StatusError (retryable as Retryable says)
// or a *NetError. Neither quotes the URL's query, which is its signature.
func (c *Client) PutUpload(ctx context.Context, uploadURL, contentType, checksum string, data []byte) (int, error) {
	u, err := url.Parse(uploadURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return 0, errors.New("PUT upload: Litefuse answered an upload URL that is not absolute http(s)")
	}
	where := "PUT upload URL at " + u.Host
	// A payload of up to 20 MB may take longer than a REST call.
	timeout := max(c.Timeout, 30*time.Second) + time.Duration(len(data)>>20)*time.Second
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, uploadURL, bytes.NewReader(data))
	if err != nil {
		return 0, errors.New(where + ": cannot build the request")
	}
	req.Header.Set("Content-Type", contentType)
	// Google Cloud Storage refuses headers it does not know.
	if !strings.HasSuffix(u.Hostname(), "storage.googleapis.com") {
		req.Header.Set("x-amz-checksum-sha256", checksum)
		req.Header.Set("x-ms-blob-type", "BlockBlob")
	}
	hc := c.HTTP
	if hc == nil {
		hc = defaultHTTP
	}
	resp, err := hc.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // url.Error quotes the URL, signature included
		}
		return 0, &NetError{msg: where + ": " + hideQuery(c.Redact(err.Error()), u), err: err}
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return resp.StatusCode, nil
	}
	const read = 4 << 10
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, read+1))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	// No part of a secret or of the signed query left where the read
	// stopped (see scrub.Cut).
	more := len(raw) > read
	text := scrub.Cut(raw[:min(len(raw), read)], more, append(c.secrets(), u.RawQuery)...)
	return resp.StatusCode, &StatusError{
		Method:     "PUT",
		Path:       "upload URL at " + u.Host,
		Code:       resp.StatusCode,
		Body:       Bound(hideQuery(c.Redact(storageError(text)), u), 200),
		RetryAfter: RetryAfter(resp.Header.Get("Retry-After"), time.Now()),
	}
}

// storageError is the <Code> and <Message> of an S3 or Azure XML error,
// else the text itself (the rest of S3's XML may quote the request).
func storageError(body string) string {
	code, msg := xmlElement(body, "Code"), xmlElement(body, "Message")
	switch {
	case code != "" && msg != "":
		return code + ": " + msg
	case code != "":
		return code
	}
	return body
}

func xmlElement(s, name string) string {
	_, after, ok := strings.Cut(s, "<"+name+">")
	if !ok {
		return ""
	}
	v, _, ok := strings.Cut(after, "</"+name+">")
	if !ok {
		return ""
	}
	return strings.TrimSpace(v)
}

// hideQuery removes an upload URL's query (its signature) wherever s
// quotes it.
func hideQuery(s string, u *url.URL) string {
	if u.RawQuery == "" {
		return s
	}
	return strings.ReplaceAll(s, u.RawQuery, "[signature]")
}
