package litefuse_test

import (
	"context"
	"testing"
	"time"

	"github.com/litefuse/litefuse-go"
)

// A model reached without HTTP, recorded by hand, carries what a
// generation is: model and parameters, usage and cost, completion start,
// level and status message; and the trace gets its own input and output.
func TestManualGeneration(t *testing.T) {
	e := newEnv(t)
	first := time.Date(2026, 1, 2, 3, 4, 5, 600_000_000, time.FixedZone("CET", 3600))
	_, gen := litefuse.StartObservation(context.Background(), "local-llm", e.obs())
	gen.SetInput([]map[string]string{{"role": "user", "content": "hi"}})
	gen.SetModel("llama-3.1-8b", map[string]any{"temperature": 0.2, "max_tokens": 64})
	gen.SetUsage(map[string]int{"input": 10, "output": 5, "total": 15, "broken": -1})
	gen.SetCost(map[string]float64{"input": 0.25, "output": 0.5})
	gen.SetCompletionStartTime(first)
	gen.SetLevel(litefuse.LevelWarning, "answer cut at max_tokens")
	gen.SetOutput("hello")
	gen.SetTraceInput("hi")
	gen.SetTraceOutput(map[string]string{"answer": "hello"})
	gen.End()

	s := e.one(t)
	for key, want := range map[string]string{
		"langfuse.observation.type":                  "generation",
		"langfuse.observation.model.name":            "llama-3.1-8b",
		"langfuse.observation.completion_start_time": "2026-01-02T02:04:05.6Z",
		"langfuse.observation.level":                 "WARNING",
		"langfuse.observation.status_message":        "answer cut at max_tokens",
		"langfuse.trace.input":                       `"hi"`,
	} {
		if got := s.Str(key); got != want {
			t.Errorf("%s = %q, want %q", key, got, want)
		}
	}
	for key, want := range map[string]string{
		"langfuse.observation.model.parameters": `{"max_tokens":64,"temperature":0.2}`,
		"langfuse.observation.usage_details":    `{"input":10,"output":5,"total":15}`,
		"langfuse.observation.cost_details":     `{"input":0.25,"output":0.5,"total":0.75}`,
		"langfuse.trace.output":                 `{"answer":"hello"}`,
	} {
		if got := mustJSON(t, jsonAttr(t, s, key)); got != want {
			t.Errorf("%s = %s, want %s", key, got, want)
		}
	}
	if s.StatusCode == "STATUS_CODE_ERROR" {
		t.Error("a WARNING marked the span failed")
	}
}

// Inside Observe, CurrentObservation reaches the observation; a type
// chosen with WithType stays; LevelError fails the span; nil is safe.
func TestCurrentObservationInsideObserve(t *testing.T) {
	e := newEnv(t)
	_, _ = litefuse.Observe(context.Background(), "agent-step", func(ctx context.Context) (int, error) {
		o := litefuse.CurrentObservation(ctx)
		if o == nil {
			t.Fatal("CurrentObservation inside Observe is nil")
		}
		o.SetModel("m", nil)
		o.SetLevel(litefuse.LevelError, "model refused")
		return 1, nil
	}, e.obs(), litefuse.WithType(litefuse.TypeAgent))
	s := e.one(t)
	if s.Str("langfuse.observation.type") != "agent" || s.Str("langfuse.observation.model.name") != "m" ||
		s.Str("langfuse.observation.level") != "ERROR" || s.StatusCode != "STATUS_CODE_ERROR" {
		t.Errorf("type %q model %q level %q status %q", s.Str("langfuse.observation.type"),
			s.Str("langfuse.observation.model.name"), s.Str("langfuse.observation.level"), s.StatusCode)
	}
	var none *litefuse.Observation = litefuse.CurrentObservation(context.Background())
	if none != nil {
		t.Fatal("CurrentObservation without an observation is not nil")
	}
	none.SetModel("m", nil)
	none.SetUsage(map[string]int{"input": 1})
	none.SetCost(map[string]float64{"input": 1})
	none.SetLevel(litefuse.LevelError, "x")
	none.SetCompletionStartTime(time.Now())
	none.SetTraceInput(1)
	none.SetTraceOutput(1)
}
