package litefusetest_test

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/litefuse/litefuse-go/litefusetest"
)

// Review of issue 19, finding 6: what Observations, Traces and Scores
// return is the caller's own: changing it changes nothing stored, and
// races with nothing (run under -race).
func TestResultsAreCopies(t *testing.T) {
	srv := litefusetest.NewServer()
	defer srv.Close()
	js := `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"gen","startTimeUnixNano":"1544712660000000000","endTimeUnixNano":"1544712661000000000","attributes":[` +
		`{"key":"langfuse.observation.type","value":{"stringValue":"generation"}},` +
		`{"key":"langfuse.observation.input","value":{"stringValue":"{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"}},` +
		`{"key":"langfuse.observation.metadata.k","value":{"stringValue":"v"}},` +
		`{"key":"langfuse.observation.usage_details","value":{"stringValue":"{\"input\":3}"}},` +
		`{"key":"langfuse.observation.completion_start_time","value":{"stringValue":"2018-12-13T14:51:00.5Z"}},` +
		`{"key":"langfuse.trace.tags","value":{"arrayValue":{"values":[{"stringValue":"t1"}]}}}]}]}]}]}`
	resp, err := http.Post(srv.URL+"/api/public/otel/v1/traces", "application/json", bytes.NewReader([]byte(js)))
	if err != nil || resp.StatusCode != 200 {
		t.Fatal(err, resp)
	}
	resp.Body.Close()
	req, _ := http.NewRequest("POST", srv.URL+"/api/public/scores", bytes.NewReader([]byte(`{"traceId":"5b8efff798038103d269b633813fc60c","name":"q","value":1,"metadata":{"a":"b"}}`)))
	req.SetBasicAuth(litefusetest.PublicKey, litefusetest.SecretKey)
	if resp, err = http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Fatal(err, resp)
	}
	resp.Body.Close()

	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() { // the server reads while the test writes
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			req, _ := http.NewRequest("GET", srv.URL+"/api/public/v2/observations?fields=core,basic,io,metadata,usage,time,trace_context", nil)
			req.SetBasicAuth(litefusetest.PublicKey, litefusetest.SecretKey)
			r, err := http.DefaultClient.Do(req)
			if err == nil {
				r.Body.Close()
			}
			srv.Traces()
		}
	}()
	for range 20 {
		o := srv.Observations()[0]
		o.Metadata["k"] = "changed"
		o.UsageDetails["input"] = 99
		o.Tags[0] = "changed"
		o.Input.(map[string]any)["messages"].([]any)[0].(map[string]any)["content"] = "changed"
		*o.CompletionStartTime = o.StartTime
		tr := srv.Traces()[0]
		tr.Tags[0] = "changed"
		tr.Usage["input"] = 99
		sc := srv.Scores()[0]
		sc.Metadata["a"] = "changed"
	}
	close(stop)
	wg.Wait()
	o := srv.Observations()[0]
	if o.Metadata["k"] != "v" || o.UsageDetails["input"] != 3 || o.Tags[0] != "t1" ||
		o.Input.(map[string]any)["messages"].([]any)[0].(map[string]any)["content"] != "hi" ||
		o.CompletionStartTime.Equal(o.StartTime) {
		t.Errorf("stored observation changed through a returned one: %+v", o)
	}
	if tr := srv.Traces()[0]; tr.Tags[0] != "t1" || tr.Usage["input"] != 3 {
		t.Errorf("stored trace changed: %+v", tr)
	}
	if sc := srv.Scores()[0]; sc.Metadata["a"] != "b" {
		t.Errorf("stored score changed: %+v", sc)
	}
}

// Review 22b (lows): WaitObservations returns when the server is closed,
// with what was received and an error saying so, rather than waiting for
// a context that may never end.
func TestWaitObservationsReturnsOnClose(t *testing.T) {
	srv := litefusetest.NewServer()
	done := make(chan error, 1)
	go func() {
		_, err := srv.WaitObservations(context.Background(), 1)
		done <- err
	}()
	srv.Close()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "closed") {
			t.Errorf("WaitObservations after Close: %v", err)
		}
	case <-time.After(30 * time.Second): // a hang guard, not a timing claim
		t.Fatal("WaitObservations still waiting 30 s after Close")
	}
}
