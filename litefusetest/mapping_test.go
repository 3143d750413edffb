package litefusetest_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/litefuse/litefuse-go"
	"github.com/litefuse/litefuse-go/litefusetest"
	openai "github.com/sashabaranov/go-openai"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

type world struct {
	srv    *litefusetest.Server
	model  *litefusetest.ModelServer
	tp     *sdktrace.TracerProvider
	client *litefuse.Client
}

func newWorld(t *testing.T, opts ...litefuse.Option) *world {
	t.Helper()
	w := &world{srv: litefusetest.NewServer(), model: litefusetest.NewModelServer()}
	t.Cleanup(w.srv.Close)
	t.Cleanup(w.model.Close)
	all := append(w.srv.Options(), litefuse.WithFlushInterval(time.Hour))
	tp, err := litefuse.NewTracerProvider(append(all, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	w.tp = tp
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	cfg := openai.DefaultConfig("not-a-real-key")
	cfg.BaseURL = w.model.BaseURL()
	w.client = litefuse.NewClientWithConfig(cfg, append([]litefuse.Option{litefuse.WithTracerProvider(tp)}, opts...)...)
	return w
}

func (w *world) flush(t *testing.T, n int) []litefusetest.Observation {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := w.tp.ForceFlush(ctx); err != nil {
		t.Fatal(err)
	}
	obs, err := w.srv.WaitObservations(ctx, n)
	if err != nil {
		t.Fatal(err)
	}
	return obs
}

func byName(t *testing.T, obs []litefusetest.Observation, name string) litefusetest.Observation {
	t.Helper()
	for _, o := range obs {
		if o.Name == name {
			return o
		}
	}
	t.Fatalf("no observation named %q among %d", name, len(obs))
	return litefusetest.Observation{}
}

func messages() []openai.ChatCompletionMessage {
	return []openai.ChatCompletionMessage{
		{Role: openai.ChatMessageRoleSystem, Content: "You're an AI assistant"},
		{Role: openai.ChatMessageRoleUser, Content: "What is Litefuse?"},
	}
}

// TestMappingEveryRow drives the library's own exports (a recording go-openai
// client against the model server, an Observe tree, PropagateAttributes, a
// prompt link, prices, an error call, a stream) and checks every DESIGN §5
// row as the local Litefuse stores it.
func TestMappingEveryRow(t *testing.T) {
	w := newWorld(t,
		litefuse.WithEnvironment("staging"), litefuse.WithRelease("rel-7"),
		litefuse.WithPrices(map[string]litefuse.Price{"kimi-*": {Input: 1, CachedInput: 0.5, Output: 2, ReasoningOutput: 3}}))
	reply := litefusetest.DefaultModelReply()
	reply.FirstDelay = 30 * time.Millisecond
	w.model.SetReply(reply)

	ctx := litefuse.PropagateAttributes(context.Background(), litefuse.Attributes{
		UserID: "user-1", SessionID: "sess-1", TraceName: "support-chat", Version: "v3",
		Tags: []string{"beta", "go"}, Metadata: map[string]string{"tenant": "acme"},
	})
	_, err := litefuse.Observe(ctx, "agent-run", func(ctx context.Context) (string, error) {
		gctx := litefuse.WithGeneration(ctx, litefuse.Generation{
			Name: "answer", Metadata: map[string]any{"ticket": "T-1", "attempt_no": 2},
			Prompt: &litefuse.PromptRef{Name: "qa", Version: 3},
		})
		temp := float32(0.2)
		req := openai.ChatCompletionRequest{Model: litefusetest.Model, Messages: messages(), Temperature: temp, MaxTokens: 99}
		if _, err := w.client.CreateChatCompletion(gctx, req); err != nil {
			return "", err
		}
		sctx := litefuse.WithGeneration(ctx, litefuse.Generation{Name: "streamed"})
		stream, err := w.client.CreateChatCompletionStream(sctx, openai.ChatCompletionRequest{Model: litefusetest.Model, Messages: messages()})
		if err != nil {
			return "", err
		}
		for {
			if _, err := stream.Recv(); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				return "", err
			}
		}
		stream.Close()
		ectx := litefuse.WithGeneration(ctx, litefuse.Generation{Name: "broken"})
		if _, err := w.client.CreateChatCompletion(ectx, openai.ChatCompletionRequest{Model: "nonexistent-model", Messages: messages()}); err == nil {
			return "", errors.New("the unknown model answered")
		}
		return "done", nil
	}, litefuse.WithType(litefuse.TypeAgent), litefuse.WithInput(map[string]any{"question": "What is Litefuse?"}),
		litefuse.WithObserveOptions(litefuse.WithTracerProvider(w.tp)))
	if err != nil {
		t.Fatal(err)
	}
	obs := w.flush(t, 4)
	if len(obs) != 4 {
		t.Fatalf("%d observations, want 4", len(obs))
	}

	root := byName(t, obs, "agent-run")
	if root.Type != "AGENT" || root.ParentObservationID != "" || root.Output != "done" ||
		!reflect.DeepEqual(root.Input, map[string]any{"question": "What is Litefuse?"}) {
		t.Errorf("root: type %q parent %q input %v output %v", root.Type, root.ParentObservationID, root.Input, root.Output)
	}
	for _, o := range obs { // trace-level rows, on every span
		if o.TraceID != root.TraceID || o.UserID != "user-1" || o.SessionID != "sess-1" || o.TraceName != "support-chat" ||
			o.Version != "v3" || o.Release != "rel-7" || o.Environment != "staging" ||
			!reflect.DeepEqual(o.Tags, []string{"beta", "go"}) || o.TraceMetadata["tenant"] != "acme" {
			t.Errorf("%s: trace-level values %q %q %q %q %q %q %q %v %v", o.Name, o.TraceID, o.UserID, o.SessionID, o.TraceName,
				o.Version, o.Release, o.Environment, o.Tags, o.TraceMetadata)
		}
		if o.Name != "agent-run" && o.ParentObservationID != root.ID {
			t.Errorf("%s: parent %q, want the agent %q", o.Name, o.ParentObservationID, root.ID)
		}
	}

	g := byName(t, obs, "answer")
	if g.Type != "GENERATION" || g.ProvidedModelName != litefusetest.Model || g.Level != "DEFAULT" {
		t.Errorf("generation: type %q model %q level %q", g.Type, g.ProvidedModelName, g.Level)
	}
	if g.ModelParameters["temperature"] != 0.2 && g.ModelParameters["temperature"] != float64(float32(0.2)) || g.ModelParameters["max_tokens"] != float64(99) {
		t.Errorf("model parameters: %v", g.ModelParameters)
	}
	in, _ := g.Input.([]any)
	if len(in) != 2 || in[1].(map[string]any)["content"] != "What is Litefuse?" {
		t.Errorf("input: %#v", g.Input)
	}
	out, _ := g.Output.(map[string]any)
	if out["role"] != "assistant" || out["content"] != reply.Content || out["reasoning_content"] != reply.Reasoning {
		t.Errorf("output: %#v", g.Output)
	}
	wantUsage := map[string]int64{"input": 16, "input_cached_tokens": 4, "output": 38, "output_reasoning_tokens": 12, "total": 70}
	if !reflect.DeepEqual(g.UsageDetails, wantUsage) {
		t.Errorf("usage: %v, want %v", g.UsageDetails, wantUsage)
	}
	if g.CostDetails["total"] <= 0 {
		t.Errorf("cost: %v", g.CostDetails)
	}
	if g.PromptName != "qa" || g.PromptVersion != 3 {
		t.Errorf("prompt link: %q %d", g.PromptName, g.PromptVersion)
	}
	if g.Metadata["ticket"] != "T-1" || g.Metadata["attempt_no"] != float64(2) {
		t.Errorf("metadata: %v", g.Metadata)
	}
	if g.CompletionStartTime != nil {
		t.Errorf("a plain call has no completion start: %v", g.CompletionStartTime)
	}

	s := byName(t, obs, "streamed")
	if s.CompletionStartTime == nil || s.CompletionStartTime.Before(s.StartTime) || s.CompletionStartTime.After(s.EndTime) ||
		s.CompletionStartTime.Sub(s.StartTime) < 25*time.Millisecond {
		t.Errorf("completion start %v not between start %v and end %v after the first delay", s.CompletionStartTime, s.StartTime, s.EndTime)
	}
	if s.Output.(map[string]any)["content"] != reply.Content {
		t.Errorf("streamed output: %v", s.Output)
	}

	e := byName(t, obs, "broken")
	if e.Level != "ERROR" || e.StatusMessage == "" {
		t.Errorf("error call: level %q status %q", e.Level, e.StatusMessage)
	}

	// The trace list agrees.
	tr := w.srv.Traces()
	if len(tr) != 1 || tr[0].Name != "support-chat" || tr[0].Generations != 3 || tr[0].Errors != 1 || tr[0].UserID != "user-1" ||
		tr[0].Usage["total"] != 140 || tr[0].TotalCost <= 0 {
		t.Errorf("trace: %+v", tr)
	}

	// The read API agrees field by field with Observations.
	checkReadAPI(t, w.srv, obs)
}

// TestToolCallsAndEmbeddings: tool calls and their arguments, and an
// embedding's type, as stored.
func TestToolCallsAndEmbeddings(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	tools := []openai.Tool{{Type: openai.ToolTypeFunction, Function: &openai.FunctionDefinition{Name: "get_weather", Parameters: json.RawMessage(`{"type":"object"}`)}}}
	if _, err := w.client.CreateChatCompletion(ctx, openai.ChatCompletionRequest{Model: litefusetest.Model, Messages: messages(), Tools: tools}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.client.CreateEmbeddings(ctx, openai.EmbeddingRequest{Model: "text-embedding-3-small", Input: []string{"hello"}}); err != nil {
		t.Fatal(err)
	}
	obs := w.flush(t, 2)
	var chat, emb litefusetest.Observation
	for _, o := range obs {
		if o.Type == "EMBEDDING" {
			emb = o
		} else {
			chat = o
		}
	}
	in, _ := chat.Input.(map[string]any)
	if in == nil || in["tools"] == nil || in["messages"] == nil {
		t.Errorf("input with tools: %#v", chat.Input)
	}
	out, _ := chat.Output.(map[string]any)
	calls, _ := out["tool_calls"].([]any)
	if len(calls) != 1 || calls[0].(map[string]any)["function"].(map[string]any)["name"] != "get_weather" {
		t.Errorf("tool calls: %#v", chat.Output)
	}
	if chat.TraceName != chat.Name || emb.TraceName != emb.Name {
		t.Errorf("a trace without langfuse.trace.name is named after its root: %q %q", chat.TraceName, emb.TraceName)
	}
	if emb.Type != "EMBEDDING" || emb.ProvidedModelName != "text-embedding-3-small" {
		t.Errorf("embedding: %q %q", emb.Type, emb.ProvidedModelName)
	}
	checkReadAPI(t, w.srv, obs)
}

// checkReadAPI reads every observation through GET /api/public/v2/observations
// with every field group, in pages, and compares it with Observations.
func checkReadAPI(t *testing.T, srv *litefusetest.Server, obs []litefusetest.Observation) {
	t.Helper()
	got := map[string]map[string]any{}
	cursor := ""
	for pages := 0; ; pages++ {
		q := url.Values{"fields": {"core,basic,time,io,metadata,model,usage,prompt,metrics,trace_context"}, "limit": {"2"}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		req, _ := http.NewRequest("GET", srv.URL+"/api/public/v2/observations?"+q.Encode(), nil)
		req.SetBasicAuth(litefusetest.PublicKey, litefusetest.SecretKey)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var page struct {
			Data []map[string]any
			Meta struct{ Cursor *string }
		}
		err = json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("read API: %d %v", resp.StatusCode, err)
		}
		for _, d := range page.Data {
			got[d["id"].(string)] = d
		}
		if page.Meta.Cursor == nil {
			break
		}
		if _, err := base64.StdEncoding.DecodeString(*page.Meta.Cursor); err != nil {
			t.Errorf("cursor %q is not base64", *page.Meta.Cursor)
		}
		cursor = *page.Meta.Cursor
	}
	if len(got) != len(obs) {
		t.Fatalf("read API returned %d observations, Observations %d", len(got), len(obs))
	}
	ts := func(tm time.Time) string { return tm.UTC().Format("2006-01-02T15:04:05.000Z07:00") }
	raw := func(v any) any {
		if v == nil {
			return nil
		}
		if s, ok := v.(string); ok {
			return s
		}
		b, _ := json.Marshal(v)
		return string(b)
	}
	null := func(s string) any {
		if s == "" {
			return nil
		}
		return s
	}
	for _, o := range obs {
		d := got[o.ID]
		want := map[string]any{
			"traceId": o.TraceID, "type": o.Type, "name": o.Name, "level": o.Level, "statusMessage": null(o.StatusMessage),
			"environment": o.Environment, "userId": null(o.UserID), "sessionId": null(o.SessionID), "version": null(o.Version),
			"parentObservationId": null(o.ParentObservationID), "startTime": ts(o.StartTime), "endTime": ts(o.EndTime),
			"providedModelName": null(o.ProvidedModelName), "promptName": null(o.PromptName), "traceName": null(o.TraceName),
			"release": null(o.Release), "input": raw(o.Input), "output": raw(o.Output),
		}
		if o.PromptName != "" {
			want["promptVersion"] = float64(o.PromptVersion)
		} else {
			want["promptVersion"] = nil
		}
		if o.CompletionStartTime != nil {
			want["completionStartTime"] = ts(*o.CompletionStartTime)
		} else {
			want["completionStartTime"] = nil
		}
		for k, v := range want {
			if !reflect.DeepEqual(d[k], v) {
				t.Errorf("%s: read API %s = %#v, Observations %#v", o.Name, k, d[k], v)
			}
		}
		for k, v := range o.UsageDetails {
			if d["usageDetails"].(map[string]any)[k] != float64(v) {
				t.Errorf("%s: usageDetails[%s] = %v, want %d", o.Name, k, d["usageDetails"], v)
			}
		}
		for k, v := range o.CostDetails {
			if d["costDetails"].(map[string]any)[k] != v {
				t.Errorf("%s: costDetails[%s] = %v, want %v", o.Name, k, d["costDetails"], v)
			}
		}
		if mustJSON(d["modelParameters"]) != mustJSON(orEmpty(o.ModelParameters)) || mustJSON(d["metadata"]) != mustJSON(orEmpty(o.Metadata)) {
			t.Errorf("%s: parameters/metadata differ: %v %v", o.Name, d["modelParameters"], d["metadata"])
		}
		if mustJSON(d["tags"]) != mustJSON(orEmptyS(o.Tags)) {
			t.Errorf("%s: tags %v, want %v", o.Name, d["tags"], o.Tags)
		}
	}
}

func orEmpty(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

func orEmptyS(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

var _ = strconv.Itoa
