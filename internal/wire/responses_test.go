package wire

import (
	"reflect"
	"strings"
	"testing"
)

const respOutput = `[{"type":"reasoning","id":"rs_1","summary":[{"type":"summary_text","text":"Think."}]},{"type":"message","id":"msg_1","role":"assistant","status":"completed","content":[{"type":"output_text","text":"Hello!","annotations":[]}]}]`

func respObject(status, extra string) string {
	return `{"id":"resp_0217","object":"response","created_at":1732987012,"model":"` + arkModel + `","status":"` + status + `","output":` + respOutput +
		`,"service_tier":"default","usage":{"input_tokens":20,"input_tokens_details":{"cached_tokens":4},"output_tokens":50,"output_tokens_details":{"reasoning_tokens":12},"total_tokens":70}` + extra + `}`
}

func TestResponsesJSON(t *testing.T) {
	_, res := readThrough(t, &Request{Route: Responses}, 200, jsonHeader, respObject("completed", ""), 4096, Options{})
	if string(res.Output) != respOutput || res.Usage != arkUsageWant || res.Model != arkModel || res.ID != "resp_0217" {
		t.Errorf("%+v\n%s", res, res.Output)
	}
	if !reflect.DeepEqual(res.FinishReasons, []string{"completed"}) || res.ErrMessage != "" || res.Warning != "" {
		t.Errorf("%+v", res)
	}
	_, res = readThrough(t, &Request{Route: Responses}, 200, jsonHeader,
		respObject("failed", `,"error":{"code":"server_error","message":"The model failed."}`), 4096, Options{})
	if res.ErrCode != "server_error" || res.ErrMessage != "The model failed." {
		t.Errorf("%+v", res)
	}
	_, res = readThrough(t, &Request{Route: Responses}, 200, jsonHeader,
		respObject("incomplete", `,"incomplete_details":{"reason":"max_output_tokens"}`), 4096, Options{})
	if res.Warning != "incomplete: max_output_tokens" || res.ErrMessage != "" {
		t.Errorf("%+v", res)
	}
	// Output items too big for MaxValue: a JSON string holding their cut JSON.
	_, res = readThrough(t, &Request{Route: Responses}, 200, jsonHeader, respObject("completed", ""), 4096, Options{MaxValue: 50})
	if !strings.HasPrefix(string(res.Output), `"[{\"type\":`) || res.Omitted == 0 {
		t.Errorf("%s %d", res.Output, res.Omitted)
	}
}

func respEvents(final string) string {
	ev := func(name, data string) string { return "event: " + name + "\ndata: " + data + "\n\n" }
	created := `{"type":"response.created","sequence_number":0,"response":{"id":"resp_0217","model":"` + arkModel + `","status":"in_progress","output":[]}}`
	s := ev("response.created", created) +
		ev("response.reasoning_summary_text.delta", `{"type":"response.reasoning_summary_text.delta","item_id":"rs_1","output_index":0,"summary_index":0,"delta":"Think.","sequence_number":1}`) +
		ev("response.output_text.delta", `{"type":"response.output_text.delta","item_id":"msg_1","output_index":1,"content_index":0,"delta":"Hel","sequence_number":2}`) +
		ev("response.output_text.delta", `{"type":"response.output_text.delta","item_id":"msg_1","output_index":1,"content_index":0,"delta":"lo!","sequence_number":3}`)
	if final != "" {
		s += final
	}
	return s
}

func TestResponsesStream(t *testing.T) {
	ev := func(name, data string) string { return "event: " + name + "\ndata: " + data + "\n\n" }
	req, _ := ParseRequest(Responses, []byte(`{"model":"ep-1","input":"Hi","stream":true}`), Options{InjectUsage: true})
	if req.UsageInjected {
		t.Fatal("usage injected on the Responses API")
	}
	opt := Options{Now: clock}

	body := respEvents(ev("response.completed", `{"type":"response.completed","sequence_number":4,"response":`+respObject("completed", "")+`}`))
	got, res := readThrough(t, req, 200, sseHeader, body, 33, opt)
	if string(got) != body || string(res.Output) != respOutput || res.Usage != arkUsageWant || !res.FirstToken.Equal(clock()) || res.CutShort {
		t.Errorf("%+v", res)
	}

	body = respEvents(ev("response.failed", `{"type":"response.failed","response":`+respObject("failed", `,"error":{"code":"server_error","message":"boom"}`)+`}`))
	_, res = readThrough(t, req, 200, sseHeader, body, 4096, opt)
	if res.ErrCode != "server_error" || res.ErrMessage != "boom" {
		t.Errorf("%+v", res)
	}

	body = respEvents(ev("response.incomplete", `{"type":"response.incomplete","response":`+respObject("incomplete", `,"incomplete_details":{"reason":"content_filter"}`)+`}`))
	_, res = readThrough(t, req, 200, sseHeader, body, 4096, opt)
	if res.Warning != "incomplete: content_filter" {
		t.Errorf("%+v", res)
	}

	body = respEvents(ev("error", `{"type":"error","code":"rate_limit_exceeded","message":"Slow down.","param":null,"sequence_number":4}`))
	_, res = readThrough(t, req, 200, sseHeader, body, 4096, opt)
	if res.ErrCode != "rate_limit_exceeded" || res.ErrMessage != "Slow down." || string(res.Output) != `"Hello!"` {
		t.Errorf("%+v %s", res, res.Output)
	}

	// Closed before the final event: the text so far, cut short.
	e := newEnded()
	b := req.WrapBody(200, sseHeader, nopCloser(respEvents("")), opt, e.onEnd)
	b.Read(make([]byte, 1<<16))
	b.Close()
	res = e.wait(t)
	if !res.CutShort || string(res.Output) != `"Hello!"` || res.Model != arkModel || res.ID != "resp_0217" {
		t.Errorf("%+v %s", res, res.Output)
	}
}

// A Responses stream event holding a string the client refuses (a bad
// escape) fails the client's decoding: the call is recorded as failed, as
// a chat chunk is, not as a success (review 30, F2, for the Responses API).
func TestResponsesStreamBadStringIsMalformed(t *testing.T) {
	ev := func(name, data string) string { return "event: " + name + "\ndata: " + data + "\n\n" }
	req, _ := ParseRequest(Responses, []byte(`{"model":"ep-1","input":"Hi","stream":true}`), Options{})
	for _, bad := range []string{`\x41`, `\uZZZZ`, "\t"} {
		body := respEvents(ev("response.output_text.delta", `{"type":"response.output_text.delta","delta":"A`+bad+`B","sequence_number":4}`) +
			ev("response.completed", `{"type":"response.completed","sequence_number":5,"response":`+respObject("completed", "")+`}`))
		_, res := readThrough(t, req, 200, sseHeader, body, 4096, Options{Now: clock})
		if res.Malformed == "" {
			t.Errorf("delta %q: recorded as a success: %+v", bad, res)
		}
	}
}

// Events after the Responses stream's final event (response.completed,
// failed or incomplete) or its error event are not recorded, however the
// bytes arrive: the recording ends at that event, as a chat stream's ends
// at [DONE]. It used to depend on whether they came in the same read.
func TestResponsesStreamEndsAtItsFinalEvent(t *testing.T) {
	ev := func(name, data string) string { return "event: " + name + "\ndata: " + data + "\n\n" }
	req, _ := ParseRequest(Responses, []byte(`{"model":"ep-1","input":"Hi","stream":true}`), Options{})
	completed := ev("response.completed", `{"type":"response.completed","sequence_number":4,"response":`+respObject("completed", "")+`}`)
	errEvent := ev("error", `{"type":"error","code":"rate_limit_exceeded","message":"Slow down.","param":null,"sequence_number":4}`)
	late := []string{
		ev("error", `{"type":"error","code":"server_error","message":"late","param":null,"sequence_number":5}`),
		ev("response.output_text.delta", `{"type":"response.output_text.delta","item_id":"msg_1","output_index":1,"content_index":0,"delta":" Late.","sequence_number":5}`),
		"event: response.output_text.delta\ndata: {not json\n\n",
	}
	for _, final := range []string{completed, errEvent} {
		for _, after := range late {
			body := respEvents(final + after)
			var want *Result
			for _, size := range []int{1 << 16, len(respEvents(final)), 7} {
				got, res := readThrough(t, req, 200, sseHeader, body, size, Options{Now: clock})
				if string(got) != body {
					t.Fatalf("the caller read %q", got)
				}
				if want == nil {
					want = res
					continue
				}
				if !reflect.DeepEqual(res, want) {
					t.Errorf("final %.30q, then %.40q: read %d bytes at a time: %+v\nall at once: %+v", final, after, size, res, want)
				}
			}
			if want.ErrMessage == "late" || strings.Contains(string(want.Output), "Late") || want.Malformed != "" {
				t.Errorf("final %.30q, then %.40q: the late event was recorded: %+v %s", final, after, want, want.Output)
			}
		}
	}
}
