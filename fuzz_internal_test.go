package litefuse

import (
	"bytes"
	"encoding/json"
	"io"
	"reflect"
	"strings"
	"testing"

	openai "github.com/sashabaranov/go-openai"
	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// failOnRecordingFaults makes a fault the recording code recovered from
// (reported through otel.Handle) fail the test, so the fuzzer sees it.
func failOnRecordingFaults(t *testing.T) {
	prev := otel.GetErrorHandler()
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		if strings.Contains(err.Error(), "recovered from a fault") {
			t.Errorf("%v", err)
		}
	}))
	t.Cleanup(func() { otel.SetErrorHandler(prev) })
}

func FuzzUsageDetails(f *testing.F) {
	f.Add(20, 50, 70, 4, 12, true, true)
	f.Add(0, 0, 0, 0, 0, false, false)
	f.Add(-5, 3, -2, 9, -1, true, true)
	f.Add(10, 10, 20, 11, 11, true, true)
	f.Fuzz(func(t *testing.T, prompt, completion, total, cached, reasoning int, hasCached, hasReasoning bool) {
		u := openai.Usage{PromptTokens: prompt, CompletionTokens: completion, TotalTokens: total}
		if hasCached {
			u.PromptTokensDetails = &openai.PromptTokensDetails{CachedTokens: cached}
		}
		if hasReasoning {
			u.CompletionTokensDetails = &openai.CompletionTokensDetails{ReasoningTokens: reasoning}
		}
		d := toUsageDetails(&u)
		c, r := d.InputCachedTokens, d.OutputReasoningTokens
		if (c != 0 && !hasCached) || (r != 0 && !hasReasoning) {
			t.Fatalf("a bucket without its detail in %+v", d)
		}
		for _, v := range []int{d.Input, c, d.Output, r, d.Total} {
			if v < 0 {
				t.Fatalf("negative bucket in %+v from %+v", d, u)
			}
		}
		if d.Input+c != max(prompt, 0) || d.Output+r != max(completion, 0) {
			t.Fatalf("buckets %+v do not add up to prompt %d, completion %d", d, prompt, completion)
		}
		if d.Total != d.Input+c+d.Output+r {
			t.Fatalf("total %d != sum of disjoint buckets in %+v", d.Total, d)
		}
		var back map[string]int
		if err := json.Unmarshal(appendUsage(nil, &d), &back); err != nil || back["total"] != d.Total || back["input"] != d.Input {
			t.Fatalf("usage JSON %s: %v", appendUsage(nil, &d), err)
		}
	})
}

func FuzzStreamAggregation(f *testing.F) {
	f.Add([]byte(`{"id":"a","model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":"Hel"}}]}
{"choices":[{"index":0,"delta":{"reasoning_content":"think","content":"lo"}}]}
{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"c1","type":"function","function":{"name":"f","arguments":"{\"a\""}}]}}]}
{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":":1}"}}]},"finish_reason":"tool_calls"}]}
{"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":7,"total_tokens":12}}`), true)
	f.Add([]byte(`{"choices":[{"index":1,"delta":{"content":"b"}},{"index":0,"delta":{"content":"a"}}]}`), false)
	f.Add([]byte(`{"choices":[{"index":-1,"delta":{"content":"x"}},{"index":3,"delta":{"tool_calls":[{"function":{"arguments":"y"}},{"id":"z"}]}}]}`), true)
	f.Fuzz(func(t *testing.T, data []byte, hideUsage bool) {
		failOnRecordingFaults(t)
		exp := tracetest.NewInMemoryExporter()
		tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
		c := wrap(openai.NewClient("k"), "", []Option{WithTracerProvider(tp)})
		_, g := c.startGeneration(t.Context(), opChat, typeGeneration, "m")
		a := &chatAggregate{streamSpan: streamSpan{g: g}, hideUsage: hideUsage}
		var want0 strings.Builder
		sawChoice0 := false
		for _, line := range bytes.Split(data, []byte("\n")) {
			var chunk openai.ChatCompletionStreamResponse
			if json.Unmarshal(line, &chunk) != nil {
				continue
			}
			usageOnly := len(chunk.Choices) == 0 && chunk.Usage != nil
			for _, ch := range chunk.Choices {
				if ch.Index == 0 {
					want0.WriteString(ch.Delta.Content)
					sawChoice0 = true
				}
			}
			out, hide := a.observe(chunk)
			if hide != (hideUsage && usageOnly) {
				t.Fatalf("hide = %v for a chunk with %d choices, usage %v, injection %v", hide, len(chunk.Choices), chunk.Usage != nil, hideUsage)
			}
			if hideUsage && out.Usage != nil {
				t.Fatal("usage left on a chunk the caller did not ask usage for")
			}
			if !hideUsage && !reflect.DeepEqual(out, chunk) {
				t.Fatal("the chunk the caller sees was changed")
			}
		}
		a.finish(io.EOF)
		a.finish(io.EOF)
		spans := exp.GetSpans()
		if len(spans) != 1 {
			t.Fatalf("%d spans, want exactly 1", len(spans))
		}
		for _, kv := range spans[0].Attributes {
			if kv.Key == keyOutput || kv.Key == keyUsageDetails || kv.Key == keyInput {
				if !json.Valid([]byte(kv.Value.AsString())) {
					t.Fatalf("%s is not JSON: %q", kv.Key, kv.Value.AsString())
				}
			}
			if kv.Key == keyOutput && sawChoice0 && len(a.choices) == 1 {
				var m outputMessage
				if err := json.Unmarshal([]byte(kv.Value.AsString()), &m); err != nil {
					t.Fatal(err)
				}
				if m.Content != want0.String() {
					t.Fatalf("content %q, want the deltas joined: %q", m.Content, want0.String())
				}
			}
		}
	})
}
