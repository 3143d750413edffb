package lfserver

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/litefuse/litefuse-go/internal/store"
)

func str(k, v string) *commonpb.KeyValue {
	return &commonpb.KeyValue{Key: k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: v}}}
}

func num(k string, v int64) *commonpb.KeyValue {
	return &commonpb.KeyValue{Key: k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_IntValue{IntValue: v}}}
}

func id(n int, size int) []byte {
	b := make([]byte, size)
	copy(b, fmt.Sprintf("%0*d", size, n))
	return b
}

func span(trace, sp, parent int, name string, attrs ...*commonpb.KeyValue) *tracepb.Span {
	s := &tracepb.Span{
		TraceId: id(trace, 16), SpanId: id(sp, 8), Name: name, Attributes: attrs,
		StartTimeUnixNano: uint64(time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC).UnixNano()) + uint64(sp),
		EndTimeUnixNano:   uint64(time.Date(2026, 12, 3, 8, 0, 1, 0, time.UTC).UnixNano()),
	}
	if parent > 0 {
		s.ParentSpanId = id(parent, 8)
	}
	return s
}

func request(res []*commonpb.KeyValue, spans ...*tracepb.Span) *coltracepb.ExportTraceServiceRequest {
	return &coltracepb.ExportTraceServiceRequest{ResourceSpans: []*tracepb.ResourceSpans{{
		Resource:   &resourcepb.Resource{Attributes: res},
		ScopeSpans: []*tracepb.ScopeSpans{{Scope: &commonpb.InstrumentationScope{Name: "test"}, Spans: spans}},
	}}}
}

func marshal(t testing.TB, m proto.Message) []byte {
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func gz(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

type testServer struct {
	*Server
	url string
}

func start(t *testing.T) *testServer {
	s := New(store.New(0))
	hs := httptest.NewServer(s)
	t.Cleanup(hs.Close)
	return &testServer{s, hs.URL}
}

func (ts *testServer) do(t *testing.T, method, path string, body []byte, h map[string]string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(method, ts.url+path, bytes.NewReader(body))
	req.SetBasicAuth("pk", "sk")
	for k, v := range h {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for k := range resp.Header {
		if strings.HasPrefix(strings.ToLower(k), "access-control-") {
			t.Errorf("%s %s answered a CORS header %s", method, path, k)
		}
	}
	return resp, string(b)
}

var proto1 = map[string]string{"Content-Type": "application/x-protobuf"}

func TestIngestProtobufGzipAndJSON(t *testing.T) {
	ts := start(t)
	body := marshal(t, request([]*commonpb.KeyValue{str("langfuse.environment", "prod")},
		span(1, 1, 0, "root", str("langfuse.trace.name", "T")),
		span(1, 2, 1, "gen", str("langfuse.observation.type", "generation"), str("langfuse.observation.usage_details", `{"input":3,"output":4,"total":7}`))))
	if resp, b := ts.do(t, "POST", TracesPath, body, proto1); resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/x-protobuf" {
		t.Fatalf("protobuf: %d %s", resp.StatusCode, b)
	}
	body2 := marshal(t, request(nil, span(2, 3, 0, "zipped")))
	if resp, b := ts.do(t, "POST", TracesPath, gz(body2), map[string]string{"Content-Type": "application/x-protobuf", "Content-Encoding": "gzip"}); resp.StatusCode != 200 {
		t.Fatalf("gzip: %d %s", resp.StatusCode, b)
	}
	js := `{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"x"}}]},"scopeSpans":[{"scope":{"name":"s"},"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"from-json","kind":3,"startTimeUnixNano":"1544712660000000000","endTimeUnixNano":"1544712661000000000","attributes":[{"key":"langfuse.observation.type","value":{"stringValue":"tool"}},{"key":"langfuse.observation.prompt.version","value":{"intValue":"2"}},{"key":"langfuse.observation.prompt.name","value":{"stringValue":"p"}}],"status":{"code":2,"message":"boom"}}]}]}]}`
	if resp, b := ts.do(t, "POST", TracesPath, []byte(js), map[string]string{"Content-Type": "application/json"}); resp.StatusCode != 200 {
		t.Fatalf("json: %d %s", resp.StatusCode, b)
	}
	if resp, b := ts.do(t, "POST", TracesPath, gz([]byte(js)), map[string]string{"Content-Type": "application/json", "Content-Encoding": "gzip"}); resp.StatusCode != 200 {
		t.Fatalf("json gzip: %d %s", resp.StatusCode, b)
	}
	st := ts.Store.Stats()
	if st.Traces != 3 || st.Observations != 4 {
		t.Fatalf("stats: %+v", st)
	}
	obs, _ := ts.Store.Observations(store.ObservationFilter{TraceID: "5b8efff798038103d269b633813fc60c"})
	if len(obs) != 1 {
		t.Fatalf("json span: %+v", obs)
	}
	o := obs[0]
	if o.ID != "eee19b7ec3c1b174" || o.Type != "TOOL" || o.Level != "ERROR" || o.StatusMessage != "boom" ||
		o.PromptName != "p" || o.PromptVersion != 2 || !o.StartTime.Equal(time.Unix(0, 1544712660000000000)) {
		t.Errorf("json span mapped to %+v", o)
	}
	tr, _, _, _ := ts.Store.Trace(fmt.Sprintf("%x", id(1, 16)))
	if tr.Name != "T" || tr.Environment != "prod" || tr.Usage["total"] != 7 || tr.Generations != 1 {
		t.Errorf("trace: %+v", tr)
	}
}

func TestMappingRules(t *testing.T) {
	long := strings.Repeat("n", 1001)
	obs := Observations(request([]*commonpb.KeyValue{str("user.id", "res-user"), str("langfuse.trace.metadata.region", "eu")},
		span(1, 1, 9, "app-root", &commonpb.KeyValue{Key: "langfuse.internal.as_root", Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_BoolValue{BoolValue: true}}}),
		span(1, 2, 1, "guessed", str("gen_ai.request.model", "m-req"), str("gen_ai.response.model", "m-resp"), num("gen_ai.usage.input_tokens", 5), num("gen_ai.usage.output_tokens", 6)),
		span(1, 3, 1, "string-version", str("langfuse.observation.prompt.name", "p"), str("langfuse.observation.prompt.version", "2")),
		span(1, 4, 1, "zone-less", str("langfuse.observation.completion_start_time", "2026-12-03T08:00:00.5"), str("langfuse.observation.level", "WARNING"), str("langfuse.observation.status_message", "slow")),
		span(1, 5, 1, "span-user", str("user.id", "span-user"), str("langfuse.trace.tags", `["a","b"]`), str("langfuse.observation.input", "not json {")),
		span(2, 6, 0, long, str("user.id", "lost"), str("session.id", "lost")),
	))
	by := map[string]store.Observation{}
	for _, o := range obs {
		by[o.Name] = o
	}
	if o := by["app-root"]; !o.AsRoot || o.ParentObservationID == "" {
		t.Errorf("as_root: %+v", o)
	}
	if o := by["guessed"]; o.Type != "GENERATION" || o.ProvidedModelName != "m-resp" || o.UsageDetails["total"] != 11 {
		t.Errorf("generation detection: %+v", o)
	}
	if o := by["string-version"]; o.PromptName != "" {
		t.Errorf("a string prompt version links no prompt: %+v", o)
	}
	if o := by["zone-less"]; o.CompletionStartTime != nil || o.Level != "WARNING" || o.StatusMessage != "slow" {
		t.Errorf("zone-less completion start / level: %+v", o)
	}
	if o := by["span-user"]; o.UserID != "span-user" || strings.Join(o.Tags, ",") != "a,b" || o.Input != "not json {" || o.TraceMetadata["region"] != "eu" {
		t.Errorf("span over resource: %+v", o)
	}
	if o := by["app-root"]; o.UserID != "res-user" {
		t.Errorf("resource user: %q", o.UserID)
	}
	if o := by[long]; o.UserID != "" || o.SessionID != "" {
		t.Errorf("a trace name over 1000 characters keeps trace-level values: %+v", o.UserID)
	}
}

// TestBadInputLeavesStoreUnchanged: malformed, truncated, oversized and
// mislabelled bodies get a 4xx with a message and change nothing stored.
func TestBadInputLeavesStoreUnchanged(t *testing.T) {
	ts := start(t)
	ts.MaxBodyBytes = 64 << 10
	good := marshal(t, request(nil, span(1, 1, 0, "kept", str("langfuse.observation.output", `"ok"`))))
	if resp, _ := ts.do(t, "POST", TracesPath, good, proto1); resp.StatusCode != 200 {
		t.Fatal(resp.StatusCode)
	}
	before, _ := ts.Store.Observations(store.ObservationFilter{})
	big := marshal(t, request(nil, span(3, 1, 0, strings.Repeat("x", 70<<10))))
	many := request(nil)
	for i := range 50 {
		many.ResourceSpans[0].ScopeSpans[0].Spans = append(many.ResourceSpans[0].ScopeSpans[0].Spans, span(4, i+1, 0, strings.Repeat("y", 4<<10)))
	}
	zipBomb := gz(marshal(t, many)) // small on the wire, over the bound decompressed
	noIDs := marshal(t, request(nil, &tracepb.Span{Name: "no ids"}))
	cases := []struct {
		name   string
		body   []byte
		header map[string]string
		code   int
	}{
		{"malformed", []byte("this is not protobuf \xff\xff\xff"), proto1, 400},
		{"truncated", good[:len(good)-3], proto1, 400},
		{"oversized", big, proto1, 413},
		{"gzip bomb", zipBomb, map[string]string{"Content-Type": "application/x-protobuf", "Content-Encoding": "gzip"}, 413},
		{"not gzip", good, map[string]string{"Content-Type": "application/x-protobuf", "Content-Encoding": "gzip"}, 400},
		{"truncated gzip", gz(good)[:20], map[string]string{"Content-Type": "application/x-protobuf", "Content-Encoding": "gzip"}, 400},
		{"bad json", []byte(`{"resourceSpans":[{`), map[string]string{"Content-Type": "application/json"}, 400},
		{"json bad id", []byte(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"zz","spanId":"eee19b7ec3c1b174"}]}]}]}`), map[string]string{"Content-Type": "application/json"}, 400},
		{"no ids", noIDs, proto1, 400},
		{"wrong type", good, map[string]string{"Content-Type": "text/plain"}, 415},
		{"brotli", good, map[string]string{"Content-Type": "application/x-protobuf", "Content-Encoding": "br"}, 415},
	}
	for _, c := range cases {
		resp, b := ts.do(t, "POST", TracesPath, c.body, c.header)
		if resp.StatusCode != c.code || !strings.Contains(b, "nothing from this request was stored") {
			t.Errorf("%s: %d %s, want %d with a message", c.name, resp.StatusCode, b, c.code)
		}
	}
	after, _ := ts.Store.Observations(store.ObservationFilter{})
	if len(after) != len(before) || after[0].Output != "ok" || ts.Store.Stats().Traces != 1 {
		t.Errorf("store changed by bad input: %+v", after)
	}
}

func TestAuthHostAndCORS(t *testing.T) {
	ts := start(t)
	ts.PublicKey, ts.SecretKey = "pk", "sk"
	body := marshal(t, request(nil, span(1, 1, 0, "x")))
	if resp, _ := ts.do(t, "POST", TracesPath, body, proto1); resp.StatusCode != 200 {
		t.Errorf("right keys: %d", resp.StatusCode)
	}
	for _, path := range []string{TracesPath, ObservationsPath, ProjectsPath, "/api/public/v2/prompts/x"} {
		method := "GET"
		if path == TracesPath {
			method = "POST"
		}
		req, _ := http.NewRequest(method, ts.url+path, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/x-protobuf")
		req.SetBasicAuth("pk", "wrong")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 401 {
			t.Errorf("%s with wrong keys: %d", path, resp.StatusCode)
		}
	}
	port := ts.url[strings.LastIndex(ts.url, ":"):]
	for host, ok := range map[string]bool{"127.0.0.1" + port: true, "localhost" + port: true, "evil.example" + port: false, "127.0.0.1:1": false, "attacker.test": false} {
		resp, _ := ts.do(t, "GET", HealthPath, nil, map[string]string{"Host": host})
		if (resp.StatusCode == 200) != ok {
			t.Errorf("Host %s: %d", host, resp.StatusCode)
		}
	}
	// No CORS, even when asked (do checks every answer).
	ts.do(t, "OPTIONS", TracesPath, nil, map[string]string{"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"})
	ts.do(t, "GET", "/", nil, map[string]string{"Origin": "http://evil.example"})
	ts.do(t, "GET", ObservationsPath, nil, map[string]string{"Origin": "http://evil.example"})
	if st := ts.Store.Stats(); st.Observations != 1 {
		t.Errorf("stored %d", st.Observations)
	}
}

func TestPlatformEndpoints(t *testing.T) {
	ts := start(t)
	ts.AddPrompt(Prompt{Name: "a/b", Text: "one", Labels: []string{"production"}})
	ts.AddPrompt(Prompt{Name: "a/b", Messages: []PromptMessage{{Role: "user", Content: "hi"}}, Labels: []string{"staging"}})
	resp, b := ts.do(t, "GET", "/api/public/v2/prompts/a%2Fb", nil, nil)
	if resp.StatusCode != 200 || !strings.Contains(b, `"version":1`) {
		t.Errorf("prompt: %d %s", resp.StatusCode, b)
	}
	if resp, b := ts.do(t, "GET", "/api/public/v2/prompts/a%2Fb?label=staging", nil, nil); !strings.Contains(b, `"version":2`) || !strings.Contains(b, `"chatmessage"`) {
		t.Errorf("staging prompt: %d %s", resp.StatusCode, b)
	}
	if resp, _ := ts.do(t, "POST", ScoresPath, []byte(`{"name":"q","value":0.5,"traceId":"t1","id":"s1"}`), nil); resp.StatusCode != 200 {
		t.Errorf("score: %d", resp.StatusCode)
	}
	ts.do(t, "POST", ScoresPath, []byte(`{"name":"q","value":"good","traceId":"t1","id":"s1"}`), nil)
	if sc := ts.Store.Scores(); len(sc) != 1 || sc[0].StringValue != "good" || sc[0].DataType != "CATEGORICAL" {
		t.Errorf("scores: %+v", sc)
	}
	if resp, _ := ts.do(t, "POST", ScoresPath, []byte(`{"name":"q"}`), nil); resp.StatusCode != 400 {
		t.Errorf("bad score: %d", resp.StatusCode)
	}
	if resp, b := ts.do(t, "GET", ProjectsPath, nil, nil); resp.StatusCode != 200 || !strings.Contains(b, ProjectID) {
		t.Errorf("projects: %s", b)
	}
	// Media: announce, upload to the local URL, patch, read back.
	data := []byte("hello media")
	sum := sha256sum(data)
	post := fmt.Sprintf(`{"traceId":"t1","contentType":"text/plain","contentLength":%d,"sha256Hash":%q,"field":"input"}`, len(data), sum)
	_, b = ts.do(t, "POST", MediaPath, []byte(post), nil)
	var m struct{ MediaID, UploadURL string }
	json.Unmarshal([]byte(b), &m)
	if m.UploadURL == "" {
		t.Fatalf("media post: %s", b)
	}
	req, _ := http.NewRequest("PUT", m.UploadURL, bytes.NewReader(data))
	req.Header.Set("Content-Type", "text/plain")
	up, err := http.DefaultClient.Do(req)
	if err != nil || up.StatusCode != 200 {
		t.Fatalf("upload: %v %v", err, up)
	}
	up.Body.Close()
	if resp, _ := ts.do(t, "PATCH", MediaPath+"/"+m.MediaID, []byte(`{"uploadedAt":"2026-12-03T08:00:00Z","uploadHttpStatus":200}`), nil); resp.StatusCode != 200 {
		t.Errorf("patch: %d", resp.StatusCode)
	}
	if _, got, ok := ts.Store.Media(m.MediaID); !ok || string(got) != string(data) {
		t.Errorf("media stored: %q", got)
	}
	if resp, b := ts.do(t, "GET", UploadPrefix+m.MediaID, nil, nil); b != string(data) || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("media get: %q", b)
	}
	if _, b := ts.do(t, "GET", MediaPath+"/"+m.MediaID, nil, nil); !strings.Contains(b, UploadPrefix+m.MediaID) {
		t.Errorf("media metadata: %s", b)
	}
	if resp, _ := ts.do(t, "GET", "/api/public/nope", nil, nil); resp.StatusCode != 404 {
		t.Errorf("unknown: %d", resp.StatusCode)
	}
	if resp, b := ts.do(t, "GET", "/", nil, nil); resp.StatusCode != 200 || !strings.Contains(b, "no web UI") {
		t.Errorf("no UI: %d %s", resp.StatusCode, b)
	}
	ts.UI = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ui:"+r.URL.Path) })
	if _, b := ts.do(t, "GET", "/traces/x", nil, nil); b != "ui:/traces/x" {
		t.Errorf("UI: %s", b)
	}
}

func TestReadAPIParams(t *testing.T) {
	ts := start(t)
	var spans []*tracepb.Span
	for i := range 7 {
		spans = append(spans, span(1+i%2, i+1, 0, fmt.Sprint("s", i), str("langfuse.observation.type", []string{"span", "generation"}[i%2])))
	}
	ts.do(t, "POST", TracesPath, marshal(t, request(nil, spans...)), proto1)
	_, b := ts.do(t, "GET", ObservationsPath+"?type=GENERATION", nil, nil)
	var page struct {
		Data []map[string]any
		Meta map[string]any
	}
	json.Unmarshal([]byte(b), &page)
	if len(page.Data) != 3 || page.Meta["cursor"] != nil {
		t.Errorf("type filter: %s", b)
	}
	if _, ok := page.Data[0]["input"]; ok {
		t.Errorf("io group returned without being asked: %v", page.Data[0])
	}
	if page.Data[0]["name"] == nil || page.Data[0]["projectId"] != ProjectID {
		t.Errorf("core+basic by default: %v", page.Data[0])
	}
	from := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC).Add(4).Format(time.RFC3339Nano) // spans start at +1..+7 ns
	_, b = ts.do(t, "GET", ObservationsPath+"?environment=default&fromStartTime="+from, nil, nil)
	page.Data = nil
	json.Unmarshal([]byte(b), &page)
	if len(page.Data) != 4 {
		t.Errorf("fromStartTime: %d: %s", len(page.Data), b)
	}
	_, b = ts.do(t, "GET", ObservationsPath+"?toStartTime="+from+"&type=span", nil, nil)
	page.Data = nil
	json.Unmarshal([]byte(b), &page)
	if len(page.Data) != 2 {
		t.Errorf("toStartTime: %d: %s", len(page.Data), b)
	}
	if _, b := ts.do(t, "GET", ObservationsPath+"?environment=prod", nil, nil); !strings.Contains(b, `"data":[]`) {
		t.Errorf("environment: %s", b)
	}
	for _, q := range []string{"?fromStartTime=yesterday", "?limit=0", "?limit=1001", "?limit=x", "?fields=bogus", "?cursor=%25%25", "?parseIoAsJson=true"} {
		if resp, _ := ts.do(t, "GET", ObservationsPath+q, nil, nil); resp.StatusCode != 400 {
			t.Errorf("%s: %d", q, resp.StatusCode)
		}
	}
}
