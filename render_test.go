package litefuse_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/litefuse/litefuse-go"
	"github.com/litefuse/litefuse-go/internal/fakeark"
)

// A call whose recording is finished beside the caller (an input over
// 256 KB) records the Generation as it was when the call was made: once
// the call returns, its Metadata map and Prompt are the caller's again,
// to change or reuse for the next call. Reading them later was a data race
// (a map written while the recording ranged over it is a fatal error, not
// a panic), and recorded values the call never had.
func TestLargeCallRecordsTheGenerationAsCalled(t *testing.T) {
	e := newEnv(t)
	md := map[string]any{"step": 0, "nested": map[string]any{"step": 0}}
	prompt := &litefuse.PromptRef{Name: "triage", Version: 1}
	ctx := litefuse.WithGeneration(context.Background(), litefuse.Generation{Metadata: md, Prompt: prompt})
	req := seedRequest()
	req.Messages[1].Content = strings.Repeat("Litefuse ", 40<<10) // 360 KB
	const calls = 4
	for i := range calls {
		if _, err := e.client.CreateChatCompletion(ctx, req); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
		// The next call's values, set as soon as this one returned.
		md["step"] = i + 1
		md["nested"].(map[string]any)["step"] = i + 1
		md[fmt.Sprintf("added_%d", i)] = true
		prompt.Version = i + 2
	}
	spans := e.spans(t, calls)
	got := map[string]bool{}
	for _, s := range spans {
		step := s.Attrs["langfuse.observation.metadata.step"]
		nested := s.Attrs["langfuse.observation.metadata.nested"]
		version := s.Attrs["langfuse.observation.prompt.version"]
		want := fmt.Sprintf(`{"step":%v}`, step)
		if nested != want || fmt.Sprint(version) != fmt.Sprint(toInt(step)+1) {
			t.Errorf("a call recorded step %v, nested %v, prompt version %v: values from different moments", step, nested, version)
		}
		for k := range s.Attrs {
			if strings.HasPrefix(k, "langfuse.observation.metadata.added_") {
				n := toInt(strings.TrimPrefix(k, "langfuse.observation.metadata.added_"))
				if n >= toInt(step) {
					t.Errorf("the call with step %v recorded %s, set after it returned", step, k)
				}
			}
		}
		got[fmt.Sprint(step)] = true
	}
	if len(got) != calls {
		t.Errorf("steps recorded: %v; want each of 0..%d once", got, calls-1)
	}
}

func toInt(v any) int {
	var n int
	_, _ = fmt.Sscan(fmt.Sprint(v), &n)
	return n
}

// A stream closed right after its finish chunk is read on for its usage
// after Close returned: its recording ends then, and records the
// Generation as the call began too.
func TestDrainedStreamRecordsTheGenerationAsCalled(t *testing.T) {
	e := newEnv(t)
	reply := fakeark.DefaultReply()
	reply.ChunkDelay = 30 * time.Millisecond // the usage event comes after Close
	e.ark.SetReply(reply)
	md := map[string]any{"step": 0}
	prompt := &litefuse.PromptRef{Name: "triage", Version: 1}
	ctx := litefuse.WithGeneration(context.Background(), litefuse.Generation{Metadata: md, Prompt: prompt})
	s, err := e.client.CreateChatCompletionStream(ctx, seedRequest())
	if err != nil {
		t.Fatal(err)
	}
	for {
		c, err := s.Recv()
		if err != nil {
			t.Fatalf("the stream ended before its finish chunk: %v", err)
		}
		if len(c.Choices) > 0 && c.Choices[0].FinishReason != "" {
			break
		}
	}
	_ = s.Close()
	md["step"] = 1
	md["late"] = true
	prompt.Version = 2
	span := e.spans(t, 1)[0]
	if got := span.Attrs["langfuse.observation.metadata.step"]; got != "0" {
		t.Errorf("metadata step = %v, want 0, as the call began", got)
	}
	if got, ok := span.Attrs["langfuse.observation.metadata.late"]; ok {
		t.Errorf("metadata late = %v, set after the call returned", got)
	}
	if got := span.Attrs["langfuse.observation.prompt.version"]; fmt.Sprint(got) != "1" {
		t.Errorf("prompt version = %v, want 1", got)
	}
	if _, ok := span.Attrs["gen_ai.usage.input_tokens"]; !ok {
		t.Errorf("no usage: the stream was not read on after Close, so this test shows nothing")
	}
}
