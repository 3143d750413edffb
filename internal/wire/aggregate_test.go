package wire

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// fold aggregates chunks as a stream does.
func fold(t *testing.T, maxValue int, chunks ...string) *aggregate {
	t.Helper()
	a := &aggregate{bud: budget{left: maxValue}}
	var c chunk
	for _, s := range chunks {
		if !c.parse([]byte(s)) {
			t.Fatalf("parse %s", s)
		}
		a.add(&c, false)
	}
	return a
}

func TestAggregateToolCallsWithoutIndex(t *testing.T) {
	// Some servers omit the index: a delta with an id starts a call, one
	// without continues the last.
	tc := func(fields string) string {
		return `{"choices":[{"index":0,"delta":{"tool_calls":[{` + fields + `}]}}]}`
	}
	a := fold(t, 1<<20,
		tc(`"id":"a","type":"function","function":{"name":"f","arguments":"{\"x\""}`),
		tc(`"function":{"arguments":":1}"}`),
		tc(`"id":"b","function":{"name":"g","arguments":"{}"}`))
	want := `{"role":"assistant","content":"","tool_calls":[{"id":"a","type":"function","function":{"name":"f","arguments":"{\"x\":1}"}},{"id":"b","type":"function","function":{"name":"g","arguments":"{}"}}]}`
	if got := string(a.chatOut()); got != want {
		t.Errorf("%s", got)
	}
}

func TestAggregateLegacyFunctionCall(t *testing.T) {
	a := fold(t, 1<<20,
		`{"choices":[{"index":0,"delta":{"role":"assistant","function_call":{"name":"lookup","arguments":""}}}]}`,
		`{"choices":[{"index":0,"delta":{"function_call":{"arguments":"{\"q\":1}"}},"finish_reason":"function_call"}]}`)
	want := `{"role":"assistant","content":"","function_call":{"name":"lookup","arguments":"{\"q\":1}"}}`
	if got := string(a.chatOut()); got != want || !a.allFinished(1) {
		t.Errorf("%s", got)
	}
}

func TestAggregateManyChoicesBounded(t *testing.T) {
	// A hostile server: 100,000 distinct choice indexes. Entries are
	// charged to the budget, so memory stays bounded; the bytes are counted.
	var chunks []string
	for i := range 100000 {
		chunks = append(chunks, fmt.Sprintf(`{"choices":[{"index":%d,"delta":{"content":"x"}}]}`, i*7))
	}
	a := fold(t, 64<<10, chunks...)
	if len(a.choices) > (64<<10)/entryCost+minEntries || a.bud.omitted == 0 {
		t.Errorf("%d choices kept, %d omitted", len(a.choices), a.bud.omitted)
	}
	out := a.chatOut()
	var msgs []map[string]any
	if err := json.Unmarshal(out, &msgs); err != nil || len(msgs) != len(a.choices) {
		t.Errorf("output: %v, %d messages", err, len(msgs))
	}
}

func TestAggregateCompletionTexts(t *testing.T) {
	a := fold(t, 1<<20,
		`{"id":"c1","model":"m","choices":[{"index":1,"text":"b1"},{"index":0,"text":"a1"}]}`,
		`{"choices":[{"index":0,"text":"a2","finish_reason":"stop"},{"index":1,"text":"b2","finish_reason":"length"}]}`)
	if got := string(a.completionOutput()); got != `["a1a2","b1b2"]` {
		t.Errorf("%s", got)
	}
	if got := strings.Join(a.finishReasons(nil), ","); got != "stop,length" {
		t.Errorf("%s", got)
	}
}
