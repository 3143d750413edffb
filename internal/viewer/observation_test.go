package viewer

import (
	"strings"
	"testing"

	"github.com/litefuse/litefuse-go/internal/store"
)

func TestGenerationShowsAsChat(t *testing.T) {
	fs := newFakeStore()
	tr, obs, scores := chatTrace()
	fs.add(tr, obs, scores...)
	res, body := get(t, New(fs), "/traces/"+tr.ID+"/observations/aaaaaaaaaaaaaaa2")
	if res.StatusCode != 200 {
		t.Fatalf("GET generation = %d", res.StatusCode)
	}
	mustContain(t, body,
		`<span class="model-chip">doubao-seed-1-6-250615</span>`,
		// messages in order, by role
		`class="msg role-system"`, "You are a travel agent.",
		`class="msg role-user"`, "Weather in Paris?",
		`class="msg role-assistant"`, `<code class="fn">get_weather</code>`, "&#34;city&#34;: &#34;Paris&#34;", // tool call, arguments indented
		`class="msg role-tool"`, "result of <code>call_1</code>", "18°C, sunny",
		"1 tool offered", "Weather by city",
		// the answer, its reasoning apart
		"It is 18°C and sunny in Paris.", `<details class="reasoning" open><summary>Reasoning</summary><div class="text">The tool said 18°C.</div>`,
		// figures
		`<span class="k">Latency</span><span class="v">890ms</span>`,
		`<span class="k">Time to first token</span><span class="v">170ms</span>`,
		`<span class="k">Cost</span><span class="v">$0.000420</span>`,
		`<span class="v">100</span><span class="k">input</span>`,
		`<span class="v">20</span><span class="k">cached input</span>`,
		`<span class="v">30</span><span class="k">output</span>`,
		`<span class="v">12</span><span class="k">reasoning output</span>`,
		`<span class="v">162</span><span class="k">total</span>`,
		`<span class="k">max_tokens</span> 512`, `<span class="k">temperature</span> 0.2`,
		"travel <span class=\"muted\">v3</span>",                             // prompt link
		`<span class="badge warning">warning</span>`, "finish_reason=length", // level and status
		"&#34;team&#34;: &#34;search&#34;", // metadata
		"helpfulness",                      // its score
		`class="selected"`,                 // marked in the side tree
	)
	meta := body[strings.Index(body, "<h2>Metadata</h2>"):]
	meta = meta[:strings.Index(meta, "</section>")]
	if strings.Contains(meta, "gen_ai.system") || strings.Contains(meta, "langfuse-sdk-go") {
		t.Errorf("OpenTelemetry attributes mixed into the caller's metadata: %s", meta)
	}
	mustContain(t, body, "<summary>OpenTelemetry attributes, resource and scope</summary>", "gen_ai.system")
	order := []string{"You are a travel agent.", "Weather in Paris?", "get_weather", "18°C, sunny", "The tool said 18°C.", "It is 18°C and sunny"}
	chat := body[strings.Index(body, `<section class="chat">`):]
	last := -1
	for _, s := range order {
		i := strings.Index(chat, s)
		if i < last || i < 0 {
			t.Errorf("%q missing from the chat or out of order", s)
		}
		last = i
	}
}

func TestUsageBucketsInReadingOrder(t *testing.T) {
	fs := newFakeStore()
	tr, obs, _ := chatTrace()
	obs[1].UsageDetails["audio_input"] = 7
	fs.add(tr, obs)
	_, body := get(t, New(fs), "/traces/"+tr.ID+"/observations/aaaaaaaaaaaaaaa2")
	last := -1
	for _, k := range []string{">input<", ">cached input<", ">output<", ">reasoning output<", ">total<", ">audio_input<"} {
		i := strings.Index(body, k)
		if i < last || i < 0 {
			t.Errorf("usage bucket %s missing or out of order", k)
		}
		last = i
	}
}

func TestChoicesAndPlainOutputs(t *testing.T) {
	fs := newFakeStore()
	tr := store.Trace{ID: "t1", StartTime: t0, EndTime: t0}
	fs.add(tr, []store.Observation{
		{ID: "n2", TraceID: "t1", Type: "GENERATION", StartTime: t0, EndTime: t0,
			Input:  []any{map[string]any{"role": "user", "content": "two answers"}},
			Output: []any{map[string]any{"role": "assistant", "content": "answer one"}, map[string]any{"role": "assistant", "content": "answer two"}}},
		{ID: "completion", TraceID: "t1", Type: "GENERATION", StartTime: t0, EndTime: t0, Input: "Say hi", Output: "hi"},
		{ID: "span", TraceID: "t1", Type: "SPAN", Name: "retrieve", StartTime: t0, EndTime: t0,
			Input: map[string]any{"query": "litefuse"}, Output: []any{"doc1", "doc2"}},
	})
	h := New(fs)
	_, body := get(t, h, "/traces/t1/observations/n2")
	mustContain(t, body, "choice 1", "answer one", "choice 2", "answer two")
	_, body = get(t, h, "/traces/t1/observations/completion")
	mustContain(t, body, "<pre class=\"json\">Say hi</pre>", `class="msg role-assistant"`, "hi")
	_, body = get(t, h, "/traces/t1/observations/span")
	mustContain(t, body, "<pre class=\"json\">{\n  &#34;query&#34;: &#34;litefuse&#34;\n}</pre>", "&#34;doc1&#34;")
	if strings.Contains(body, `class="msg`) {
		t.Error("a span's input shown as chat")
	}
}
