package fakeark

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// A server keeps the last DefaultKeep requests, not every one: a long run
// (a benchmark, a demo left running) must not grow its heap call by call
// (BenchmarkLoopback's live heap grew through the run, and each variant
// inherited the one before's). SetKeep(0) keeps none.
func TestServerKeepsTheLastRequests(t *testing.T) {
	s := New()
	defer s.Close()
	post := func(i int) {
		resp, err := http.Post(s.BaseURL()+"/chat/completions", "application/json", strings.NewReader(`{"model":"m`+strconv.Itoa(i)+`","messages":[{"role":"user","content":"hi"}]}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	n := 2*DefaultKeep + 10
	for i := range n {
		post(i)
	}
	reqs := s.Requests()
	if len(reqs) != DefaultKeep || reqs[0].Chat.Model != "m"+strconv.Itoa(n-DefaultKeep) || reqs[len(reqs)-1].Chat.Model != "m"+strconv.Itoa(n-1) {
		t.Fatalf("%d requests kept, from %q to %q", len(reqs), reqs[0].Chat.Model, reqs[len(reqs)-1].Chat.Model)
	}
	if cap(s.requests) > 3*DefaultKeep { // room for 2*DefaultKeep, as append grew it
		t.Errorf("the server holds %d requests' room", cap(s.requests))
	}
	s.SetKeep(0)
	post(n)
	if reqs := s.Requests(); len(reqs) != 0 {
		t.Errorf("SetKeep(0): %d requests kept", len(reqs))
	}
}
