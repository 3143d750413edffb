package lfserver

// Langfuse's read API, GET /api/public/v2/observations: field groups,
// filters, limit and cursor, as observations.yml and commons.yml
// (ObservationV2) describe it.

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/litefuse/litefuse-go/internal/store"
)

var fieldGroups = map[string]bool{
	"core": true, "basic": true, "time": true, "io": true, "metadata": true, "model": true,
	"usage": true, "prompt": true, "metrics": true, "trace_context": true,
}

func (s *Server) serveObservations(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	groups := map[string]bool{"core": true, "basic": true}
	if f := q.Get("fields"); f != "" {
		groups = map[string]bool{"core": true}
		for _, g := range strings.Split(f, ",") {
			g = strings.TrimSpace(g)
			if !fieldGroups[g] {
				reply(w, http.StatusBadRequest, map[string]any{"message": "unknown field group " + strconv.Quote(g) + ": use core, basic, time, io, metadata, model, usage, prompt, metrics, trace_context"})
				return
			}
			groups[g] = true
		}
	}
	if q.Get("parseIoAsJson") == "true" {
		reply(w, http.StatusBadRequest, map[string]any{"message": "parseIoAsJson is deprecated: input and output are returned as raw strings"})
		return
	}
	f := store.ObservationFilter{
		TraceID: q.Get("traceId"), Type: q.Get("type"), Name: q.Get("name"), UserID: q.Get("userId"),
		SessionID: q.Get("sessionId"), Level: q.Get("level"), Environment: q.Get("environment"), Version: q.Get("version"),
	}
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"fromStartTime", &f.FromStartTime}, {"toStartTime", &f.ToStartTime}} {
		if v := q.Get(p.name); v != "" {
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				reply(w, http.StatusBadRequest, map[string]any{"message": p.name + " must be an ISO 8601 date-time with a zone, e.g. 2026-12-03T08:00:00Z"})
				return
			}
			*p.dst = t
		}
	}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 1000 {
			reply(w, http.StatusBadRequest, map[string]any{"message": "limit must be an integer from 1 to 1000"})
			return
		}
		f.Limit = n
	}
	if c := q.Get("cursor"); c != "" {
		b, err := base64.StdEncoding.DecodeString(c)
		if err != nil || !store.ValidCursor(string(b)) {
			reply(w, http.StatusBadRequest, map[string]any{"message": "cursor " + strconv.Quote(c) + " is not one this server gave: pass the previous page's meta.cursor unchanged, or leave cursor out for the first page"})
			return
		}
		f.Cursor = string(b)
	}
	page, next := s.Store.Observations(f)
	data := make([]map[string]any, len(page))
	for i := range page {
		data[i] = ObservationJSON(&page[i], groups)
	}
	meta := map[string]any{"cursor": nil}
	if next != "" {
		meta["cursor"] = base64.StdEncoding.EncodeToString([]byte(next))
	}
	reply(w, http.StatusOK, map[string]any{"data": data, "meta": meta})
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func timeJSON(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z07:00")
}

// rawString is how the v2 API returns input and output: the raw string.
func rawString(v any) any {
	switch x := v.(type) {
	case nil:
		return nil
	case string:
		return x
	default:
		b, _ := json.Marshal(x)
		return string(b)
	}
}

// ObservationJSON renders an observation as Langfuse's ObservationV2 with
// the given field groups (core is always present).
func ObservationJSON(o *store.Observation, groups map[string]bool) map[string]any {
	m := map[string]any{
		"id": o.ID, "traceId": nullable(o.TraceID), "startTime": timeJSON(o.StartTime), "endTime": timeJSON(o.EndTime),
		"projectId": ProjectID, "parentObservationId": nullable(o.ParentObservationID), "type": o.Type,
		"modelId": nil, "inputPrice": nil, "outputPrice": nil, "totalPrice": nil,
	}
	if groups["basic"] {
		m["isRootObservation"] = o.ParentObservationID == "" || o.AsRoot
		m["name"] = nullable(o.Name)
		m["level"] = o.Level
		m["statusMessage"] = nullable(o.StatusMessage)
		m["version"] = nullable(o.Version)
		m["environment"] = nullable(o.Environment)
		m["bookmarked"] = false
		m["public"] = false
		m["userId"] = nullable(o.UserID)
		m["sessionId"] = nullable(o.SessionID)
	}
	if groups["time"] {
		m["completionStartTime"] = nil
		if o.CompletionStartTime != nil {
			m["completionStartTime"] = timeJSON(*o.CompletionStartTime)
		}
		m["createdAt"] = timeJSON(o.StartTime)
		m["updatedAt"] = timeJSON(o.EndTime)
	}
	if groups["io"] {
		m["input"] = rawString(o.Input)
		m["output"] = rawString(o.Output)
	}
	if groups["metadata"] {
		md := o.Metadata
		if md == nil {
			md = map[string]any{}
		}
		m["metadata"] = md
	}
	if groups["model"] {
		m["providedModelName"] = nullable(o.ProvidedModelName)
		m["internalModelId"] = nil
		m["modelParameters"] = o.ModelParameters
		if o.ModelParameters == nil {
			m["modelParameters"] = map[string]any{}
		}
	}
	if groups["usage"] {
		u := o.UsageDetails
		if u == nil {
			u = map[string]int64{}
		}
		c := o.CostDetails
		if c == nil {
			c = map[string]float64{}
		}
		m["usageDetails"], m["costDetails"] = u, c
		m["totalCost"] = nil
		if len(c) > 0 {
			total, ok := c["total"]
			if !ok {
				for _, v := range c {
					total += v
				}
			}
			m["totalCost"] = total
		}
		m["usagePricingTierName"] = nil
	}
	if groups["prompt"] {
		m["promptId"], m["promptName"], m["promptVersion"] = nil, nil, nil
		if o.PromptName != "" {
			m["promptId"] = o.PromptName + ":" + strconv.Itoa(o.PromptVersion)
			m["promptName"], m["promptVersion"] = o.PromptName, o.PromptVersion
		}
	}
	if groups["metrics"] {
		m["latency"], m["timeToFirstToken"] = nil, nil
		if !o.EndTime.IsZero() {
			m["latency"] = o.EndTime.Sub(o.StartTime).Seconds()
		}
		if o.CompletionStartTime != nil {
			m["timeToFirstToken"] = o.CompletionStartTime.Sub(o.StartTime).Seconds()
		}
	}
	if groups["trace_context"] {
		m["traceName"] = nullable(o.TraceName)
		m["tags"] = o.Tags
		if o.Tags == nil {
			m["tags"] = []string{}
		}
		m["release"] = nullable(o.Release)
	}
	return m
}
