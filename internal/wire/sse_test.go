package wire

import (
	"bytes"
	"encoding/json"
	"io"
	"reflect"
	"strings"
	"testing"
)

// FuzzStream feeds any bytes as an SSE stream, in reads of any size:
// never a panic, onEnd once, Output JSON, and the caller's bytes are the
// server's (minus at most one injected usage event).
func FuzzStream(f *testing.F) {
	f.Add([]byte(sse(arkStream(true)...)), uint8(7), true)
	f.Add([]byte(sse(arkDelta(0, `"tool_calls":[{"index":1,"function":{"arguments":"{"}}]`), arkFinish(0, "tool_calls"))), uint8(1), false)
	f.Add([]byte("event: response.completed\ndata: {\"type\":\"response.completed\",\"response\":{\"output\":[],\"status\":\"failed\"}}\n\n"), uint8(3), false)
	f.Add([]byte("data: {\"error\":{\"code\":500}}\r\n\r\n: c\ndata:x\ndata:y\n\n"), uint8(2), true)
	f.Add([]byte(sseSep("\n", arkStream(true)...)), uint8(5), true)
	f.Add([]byte(sseSep("\r\n", arkStream(true)...)), uint8(0), true)
	f.Add([]byte(sseSep("\r", arkStream(true)...)), uint8(9), true)
	f.Add([]byte("data: {\ndata: \"choices\":[]}\r\r"), uint8(1), true)
	f.Fuzz(func(t *testing.T, data []byte, step uint8, inject bool) {
		route := Chat
		if step%5 == 4 {
			route = Responses
		}
		req := &Request{Route: route, Stream: true, UsageInjected: inject}
		calls := 0
		var res *Result
		b := req.WrapBody(200, sseHeader, io.NopCloser(&stepReader{data: data, step: int(step%64) + 1}), Options{MaxValue: 256}, func(r *Result) { calls++; res = r })
		got, err := io.ReadAll(b)
		if err != nil {
			t.Fatal(err)
		}
		b.Close()
		if calls != 1 {
			t.Fatalf("onEnd called %d times", calls)
		}
		if res.Output != nil && !json.Valid(res.Output) {
			t.Fatalf("Output %q", res.Output)
		}
		if !inject || route != Chat {
			if !bytes.Equal(got, data) {
				t.Fatalf("bytes differ")
			}
		} else if !oneCut(data, got) {
			t.Fatalf("the caller's bytes are not the server's minus one event:\n%q\n%q", data, got)
		}
	})
}

// oneCut reports whether got is data with at most one contiguous part
// (the dropped event) removed.
func oneCut(data, got []byte) bool {
	if len(got) > len(data) {
		return false
	}
	k := 0
	for k < len(got) && got[k] == data[k] {
		k++
	}
	return bytes.Equal(data[len(data)-(len(got)-k):], got[k:])
}

// stepReader returns data step bytes at a time.
type stepReader struct {
	data []byte
	step int
}

func (r *stepReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), r.step)], r.data)
	r.data = r.data[n:]
	return n, nil
}

type gotEvent struct{ name, data string }

// frame runs the framer over s fed in pieces of n bytes.
func frame(s string, n int, filter bool, drop func(data string) bool) ([]gotEvent, string) {
	var got []gotEvent
	f := framer{max: 1 << 10, filter: filter}
	f.dispatch = func(name, data []byte, over bool) bool {
		if over {
			got = append(got, gotEvent{string(name), "<over>"})
			return false
		}
		got = append(got, gotEvent{string(name), string(data)})
		return drop != nil && drop(string(data))
	}
	var out strings.Builder
	for i := 0; i < len(s); i += n {
		f.feed([]byte(s[i:min(i+n, len(s))]))
		out.Write(f.out)
		f.out = f.out[:0]
	}
	f.close()
	out.Write(f.out)
	return got, out.String()
}

func TestFramer(t *testing.T) {
	cases := []struct {
		in   string
		want []gotEvent
	}{
		{"data: a\n\ndata: b\n\n", []gotEvent{{"", "a"}, {"", "b"}}},
		{"data: a\r\n\r\ndata:b\r\n\r\n", []gotEvent{{"", "a"}, {"", "b"}}},
		{"data: x\ndata: y\n\n", []gotEvent{{"", "x\ny"}}},
		{": ping\n\nevent: response.completed\ndata: {}\nid: 7\nretry: 10\n\n", []gotEvent{{"response.completed", "{}"}}},
		{"data: last without a blank line", []gotEvent{{"", "last without a blank line"}}},
		{"data: " + strings.Repeat("z", 2000) + "\n\ndata: ok\n\n", []gotEvent{{"", "<over>"}, {"", "ok"}}},
		{"data\n\n", []gotEvent{{"", ""}}},
		{"\n\n\n", nil},
		// No blank lines: each whole data line is an event.
		{"data: {\"a\":1}\ndata: {\"b\":2} \ndata: [DONE]\n", []gotEvent{{"", `{"a":1}`}, {"", `{"b":2} `}, {"", "[DONE]"}}},
		{"event: e1\ndata: {}\nevent: e2\ndata: {}\n", []gotEvent{{"e1", "{}"}, {"e2", "{}"}}},
		{": ping\ndata: {}\nid: 1\n\ndata: {}\n", []gotEvent{{"", "{}"}, {"", "{}"}}},
		// A first data line that is not whole waits for the blank line.
		{"data: {\ndata:   \"a\": {}\ndata: }\n\ndata: {}\n\n", []gotEvent{{"", "{\n  \"a\": {}\n}"}, {"", "{}"}}},
		{"data: {}x\ndata: {}\n\n", []gotEvent{{"", "{}x\n{}"}}},
		// Lone \r, and every line end mixed.
		{"data: {\"a\":1}\r\rdata: x\rdata: y\r\r", []gotEvent{{"", `{"a":1}`}, {"", "x\ny"}}},
		{"data: a\rdata: b\ndata: c\r\n\r: c\revent: e\r\ndata: {}\r", []gotEvent{{"", "a\nb\nc"}, {"e", "{}"}}},
		{"data: {}\r", []gotEvent{{"", "{}"}}},
		{"data: a\r\r\n\n", []gotEvent{{"", "a"}}},
	}
	for _, c := range cases {
		for _, n := range []int{1, 2, 3, 5, 7, 11, 1 << 12} {
			got, out := frame(c.in, n, true, nil)
			if len(got) != len(c.want) || (len(got) > 0 && !equalEvents(got, c.want)) {
				t.Errorf("%q in %d-byte pieces: %q, want %q", c.in, n, got, c.want)
			}
			if out != c.in {
				t.Errorf("%q in %d-byte pieces: released %q", c.in, n, out)
			}
		}
	}
}

func equalEvents(a, b []gotEvent) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestFramerDropsOnlyTheEventAsked(t *testing.T) {
	in := "data: keep\n\n: comment\ndata: drop\n\ndata: keep2\r\n\r\n"
	for _, n := range []int{1, 4, 100} {
		_, out := frame(in, n, true, func(d string) bool { return d == "drop" })
		if out != "data: keep\n\ndata: keep2\r\n\r\n" {
			t.Errorf("%d: %q", n, out)
		}
	}
	// An event too big to hold passes on as it comes, and is never dropped.
	big := "data: " + strings.Repeat("q", maxHeld+10) + "\n\n"
	_, out := frame(big, 1000, true, func(string) bool { return true })
	if out != big {
		t.Error("a big event was held or dropped")
	}
}

// The injected usage event is dropped with its line end, and with the
// blank line right after it, whatever the line ends and wherever the
// feeds cut them: the caller gets the server's bytes minus that event.
func TestFramerDropsTheEventWithItsBlankLine(t *testing.T) {
	isDrop := func(d string) bool { return d == `{"drop":1}` }
	for _, sep := range []string{"\n\n", "\n", "\r\n\r\n", "\r\n", "\r\r", "\r", "\r\n\r", "\n\r\n"} {
		in := sseSep(sep, `{"k":1}`, `{"drop":1}`, `{"k":2}`)
		want := sseSep(sep, `{"k":1}`, `{"k":2}`)
		for n := 1; n <= len(in); n++ {
			got, out := frame(in, n, true, isDrop)
			if out != want {
				t.Errorf("%q in %d-byte pieces: released %q", sep, n, out)
			}
			if len(got) != 4 || got[1].data != `{"drop":1}` || got[3].data != "[DONE]" {
				t.Errorf("%q in %d-byte pieces: events %q", sep, n, got)
			}
		}
	}
	// What follows the dropped event, other than one blank line, passes.
	in := "data: {\"drop\":1}\n: ping\n\ndata: {\"drop\":1}\n\n\ndata: {}\n"
	for _, n := range []int{1, 3, 100} {
		if _, out := frame(in, n, true, isDrop); out != ": ping\n\n\ndata: {}\n" {
			t.Errorf("%d: %q", n, out)
		}
	}
}

// A whole data line is dispatched, and its bytes released, as soon as its
// line end arrives: the event does not wait for the next line.
func TestFramerDispatchesAWholeLineAtOnce(t *testing.T) {
	for _, c := range []struct {
		feed, released string
		events         int
	}{
		{"data: {\"a\":1}\n", "data: {\"a\":1}\n", 1},
		{"event: e\ndata: {\"a\":1}\r", "event: e\ndata: {\"a\":1}\r", 1},
		{"data: [DONE]\r\n", "data: [DONE]\r\n", 1},
		{"data: {\n", "", 0},       // pretty-printed: waits for the blank line
		{"data: {\"a\":1}", "", 0}, // no line end yet
		{"data: hello\n", "", 0},   // not JSON: waits for the blank line
	} {
		n := 0
		f := framer{max: 1 << 10, filter: true, dispatch: func(_, _ []byte, _ bool) bool { n++; return false }}
		f.feed([]byte(c.feed))
		if n != c.events || string(f.out) != c.released {
			t.Errorf("%q: %d events, released %q", c.feed, n, f.out)
		}
	}
	// The \n of a \r\n cut between feeds goes at once where its line went.
	f := framer{max: 1 << 10, filter: true, dispatch: func(_, _ []byte, _ bool) bool { return false }}
	f.feed([]byte("data: {}\r"))
	f.out = f.out[:0]
	f.feed([]byte("\n"))
	if string(f.out) != "\n" || len(f.held) != 0 {
		t.Errorf("the \\n after a released line: out %q, held %q", f.out, f.held)
	}
	f.feed([]byte("data: x\r"))
	f.feed([]byte("\n"))
	if string(f.held) != "data: x\r\n" {
		t.Errorf("the \\n after a held line: held %q", f.held)
	}
}

// FuzzFramerFeeds: how the bytes are cut into feeds changes nothing, not
// the events, not the bytes released (the usage-like event dropped). Only
// for streams shorter than frame's max: a longer line is read when it
// comes in one feed, and reported as overflowed when it spans feeds.
func FuzzFramerFeeds(f *testing.F) {
	f.Add("data: {\"u\":1}\r\n\r\ndata: {}\r\rdata: {\ndata: }\n\n", uint8(3))
	f.Add("event: e\rdata: {\"u\"}\r\r\ndata: [DONE]\n", uint8(1))
	f.Fuzz(func(t *testing.T, in string, step uint8) {
		if len(in) >= 1<<10 {
			t.Skip("a line may pass frame's max")
		}
		n := int(step%16) + 1
		// The first usage-like event is dropped, as the body drops the one
		// injected usage event (b.dropped), not every one.
		isDrop := func() func(d string) bool {
			dropped := false
			return func(d string) bool {
				if dropped || !strings.HasPrefix(d, `{"u"`) {
					return false
				}
				dropped = true
				return true
			}
		}
		wantEv, wantOut := frame(in, len(in)+1, true, isDrop())
		gotEv, gotOut := frame(in, n, true, isDrop())
		if gotOut != wantOut || len(gotEv) != len(wantEv) || !equalEvents(gotEv, wantEv) {
			t.Fatalf("%d-byte feeds: %q %q, whole: %q %q", n, gotEv, gotOut, wantEv, wantOut)
		}
		if !oneCut([]byte(in), []byte(gotOut)) {
			t.Fatalf("released %q", gotOut)
		}
		_, plain := frame(in, n, true, nil)
		if plain != in {
			t.Fatalf("released %q without a drop", plain)
		}
	})
}

func TestFramerBareJSONBody(t *testing.T) {
	// A server that answers a stream request with a JSON error body but an
	// event-stream content type, compact or pretty-printed.
	for _, in := range []string{
		`{"error":{"code":"InvalidParameter","message":"bad","type":"BadRequest"}}` + "\n",
		"{\n  \"error\": {\n    \"code\": \"InvalidParameter\",\n    \"message\": \"bad\"\n  }\n}\n",
	} {
		got, out := frame(in, 3, false, nil)
		if out != "" || len(got) != 1 {
			t.Fatalf("%q: %q", in, got)
		}
		e, ok := parseErrorBody([]byte(got[0].data))
		if !ok || e.message != "bad" || e.code != "InvalidParameter" {
			t.Errorf("%q: %+v", in, e)
		}
	}
	_, res := readThrough(t, streamReq(t, "", Options{}), 200, sseHeader,
		`{"error":{"code":"InvalidParameter","message":"bad","type":"BadRequest"}}`, 7, Options{})
	if res.ErrCode != "InvalidParameter" {
		t.Errorf("%+v", res)
	}
}

// A chat stream's recording ends at an error event: a chunk after it is
// not recorded, whether it comes in the same read or a later one.
func TestChatStreamEndsAtItsErrorEvent(t *testing.T) {
	chunk := func(s string) string {
		return `data: {"id":"c1","object":"chat.completion.chunk","model":"m","choices":[{"index":0,"delta":{"content":"` + s + `"}}]}` + "\n\n"
	}
	errEvent := `data: {"error":{"code":"InternalError","message":"boom","type":"InternalError"}}` + "\n\n"
	body := chunk("Hel") + chunk("lo") + errEvent + chunk(" late")
	var want *Result
	for _, size := range []int{1 << 16, len(body) - len(chunk(" late")), 5} {
		_, res := readThrough(t, streamReq(t, "", Options{}), 200, sseHeader, body, size, Options{Now: clock})
		if res.ErrMessage != "boom" || strings.Contains(string(res.Output), "late") {
			t.Errorf("read %d bytes at a time: %+v %s", size, res, res.Output)
		}
		if want != nil && !reflect.DeepEqual(res, want) {
			t.Errorf("read %d bytes at a time: %+v; all at once: %+v", size, res, want)
		}
		want = res
	}
}
