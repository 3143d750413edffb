package wire

import (
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// framed frames events as sse does, ending with end instead of [DONE].
func framed(end string, events ...string) string {
	var b strings.Builder
	for _, e := range events {
		b.WriteString("data: " + e + "\n\n")
	}
	return b.String() + end
}

// Review 32, D and E, and review 33, R1 and R2: "[DONE]" with white space
// around it ends a stream, as go-openai and arkruntime read it; anything
// else after it is an event they fail on; nothing after [DONE] is
// recorded (the clients stop reading there).
func TestDoneAsTheClientsReadIt(t *testing.T) {
	opt := Options{}
	req := streamReq(t, `,"stream_options":{"include_usage":true}`, opt)
	for _, tc := range []struct {
		end       string
		malformed bool
	}{
		{"data: [DONE]\n\n", false},
		{"data: [DONE] \t\n\n", false},
		{"data:  [DONE]\n\n", false}, // go-openai and arkruntime end there (review 33, R2)
		{"data:\t[DONE]\n\n", false},
		{"data: [DONE]\u00a0\n\n", false}, // and after Unicode white space (R1)
		{"data: [DONE]\v\n\n", false},
		{"data: [DONE]x\n\n", true}, // go-openai fails on it
		{"data: [DONE]\n\ndata: {\"bad\n\ndata: " + arkDelta(0, `"content":"after"`) + "\n\n", false},
	} {
		body := framed(tc.end, arkStream(true)...)
		_, res := readThrough(t, req, http.StatusOK, sseHeader, body, 64, opt)
		if (res.Malformed != "") != tc.malformed {
			t.Errorf("end %q: Malformed %q, want malformed %v", tc.end, res.Malformed, tc.malformed)
		}
		if strings.Contains(string(res.Output), "after") {
			t.Errorf("end %q: recorded what follows [DONE]: %s", tc.end, res.Output)
		}
	}
}

// Review 32, B: the usage event the library asked for, holding a string
// the client would refuse, is still hidden: the caller reads what it would
// have without the library.
func TestUnreadableInjectedUsageEventHidden(t *testing.T) {
	opt := Options{InjectUsage: true}
	req := streamReq(t, "", opt)
	if !req.UsageInjected {
		t.Fatal("usage not injected")
	}
	for _, choices := range []string{`"choices":[],`, `"choices": [],`, `"choices" :[],`, `"choices":[ ],`, `"choices":null,`, ``} { // review 33, R3
		usage := `{` + choices + `"id":"c\x41","object":"chat.completion.chunk","usage":` + arkUsage + `}`
		body := sse(append(arkStream(false), usage)...)
		want := sse(arkStream(false)...)
		got, res := readThrough(t, req, http.StatusOK, sseHeader, body, 64, opt)
		if string(got) != want {
			t.Errorf("%s: the caller read:\n%s\nwant:\n%s", choices, got, want)
		}
		if res.Malformed != "" {
			t.Errorf("%s: recorded as malformed for an event the caller never saw: %q", choices, res.Malformed)
		}
	}
}

// Review 32, J: two goroutines reading one stream body (nothing hidden)
// record it as one reader would: in order, whole.
func TestConcurrentReadsRecordInOrder(t *testing.T) {
	opt := Options{}
	req := streamReq(t, `,"stream_options":{"include_usage":true}`, opt)
	var events []string
	for range 300 {
		events = append(events, arkDelta(0, `"content":"ab"`))
	}
	events = append(events, arkFinish(0, "stop"), arkUsageChunk())
	body := sse(events...)
	for round := range 5 {
		e := newEnded()
		b := req.WrapBody(http.StatusOK, sseHeader, io.NopCloser(strings.NewReader(body)), opt, e.onEnd)
		var wg sync.WaitGroup
		for range 2 {
			wg.Go(func() {
				buf := make([]byte, 37)
				for {
					if _, err := b.Read(buf); err != nil {
						return
					}
				}
			})
		}
		wg.Wait()
		_ = b.Close()
		res := e.wait(t)
		if res.Malformed != "" || !strings.Contains(string(res.Output), strings.Repeat("ab", 300)) {
			t.Fatalf("round %d: Malformed %q, output %.80s…", round, res.Malformed, res.Output)
		}
	}
}
