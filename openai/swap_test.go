package openai_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/litefuse/litefuse-go/internal/fakeark"
	"github.com/litefuse/litefuse-go/internal/otlpreceiver"
	openai "github.com/litefuse/litefuse-go/openai"
	upstream "github.com/sashabaranov/go-openai"
)

// Values flow freely between code that swapped the import and code that did
// not: the types are aliases.
var (
	_ upstream.ChatCompletionRequest = openai.ChatCompletionRequest{}
	_ *upstream.APIError             = (*openai.APIError)(nil)
	_ upstream.ClientConfig          = openai.DefaultConfig("key")
	_ *upstream.Client               = openai.NewClient("key") // go-openai's own type
	_ *upstream.ChatCompletionStream = (*openai.ChatCompletionStream)(nil)
	_ string                         = openai.ChatMessageRoleUser
	_ error                          = openai.ErrChatCompletionInvalidModel
)

// takesUpstream is a library function written against go-openai: a client
// from the swapped import must be accepted as is.
func takesUpstream(c *upstream.Client) *upstream.Client { return c }

var _ = takesUpstream(openai.NewClientWithConfig(openai.DefaultConfig("key")))

// TestReadmeProgramsThroughTheSwappedImport builds go-openai's README
// programs (testdata/readme, import line changed) and runs each against a
// local Ark stand-in, with a local Litefuse stand-in configured through the
// LANGFUSE_* variables, as a user would.
func TestReadmeProgramsThroughTheSwappedImport(t *testing.T) {
	bin := t.TempDir()
	build := exec.Command("go", "build", "-o", bin+string(filepath.Separator), "./testdata/readme/...")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the README programs: %v\n%s", err, out)
	}
	for _, tc := range []struct {
		name   string
		spans  int
		output string
		check  func(t *testing.T, spans []otlpreceiver.Span)
	}{
		{"chat", 1, fakeark.DefaultReply().Content, func(t *testing.T, s []otlpreceiver.Span) {
			if s[0].Str("langfuse.observation.type") != "generation" || s[0].Str("langfuse.observation.model.name") != openai.GPT4oMini {
				t.Errorf("span = %v", s[0].Attrs)
			}
		}},
		{"stream", 1, "Stream finished", func(t *testing.T, s []otlpreceiver.Span) {
			if s[0].Str("langfuse.observation.completion_start_time") == "" || !strings.Contains(s[0].Str("langfuse.observation.output"), "open-source") {
				t.Errorf("stream span = %v", s[0].Attrs)
			}
		}},
		{"tools", 2, "OpenAI called us back wanting to invoke our function 'get_current_weather'", func(t *testing.T, s []otlpreceiver.Span) {
			if !strings.Contains(s[0].Str("langfuse.observation.output"), `"get_current_weather"`) ||
				!strings.Contains(s[1].Str("langfuse.observation.input"), `"role":"tool"`) {
				t.Errorf("tool round trip not recorded:\n%s\n%s", s[0].Str("langfuse.observation.output"), s[1].Str("langfuse.observation.input"))
			}
		}},
		{"embeddings", 2, "similarity score", func(t *testing.T, s []otlpreceiver.Span) {
			for _, sp := range s {
				if sp.Str("langfuse.observation.type") != "embedding" || !strings.Contains(sp.Str("langfuse.observation.input"), "woodchuck") {
					t.Errorf("embedding span = %v", sp.Attrs)
				}
			}
		}},
		{"responses", 2, "speaks the Langfuse protocol", func(t *testing.T, s []otlpreceiver.Span) {
			for _, sp := range s {
				if sp.Str("gen_ai.operation.name") != "responses" || sp.Str("langfuse.observation.usage_details") == "" {
					t.Errorf("responses span = %v", sp.Attrs)
				}
			}
			if s[1].Str("langfuse.observation.completion_start_time") == "" {
				t.Errorf("stream span lacks time to first token: %v", s[1].Attrs)
			}
		}},
		{"errors", 1, "status=404 code=InvalidEndpointOrModel.NotFound", func(t *testing.T, s []otlpreceiver.Span) {
			if s[0].Str("langfuse.observation.level") != "ERROR" {
				t.Errorf("error span = %v", s[0].Attrs)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ark, recv := fakeark.New(), otlpreceiver.New()
			defer ark.Close()
			defer recv.Close()
			cmd := exec.Command(filepath.Join(bin, tc.name))
			cmd.Env = append(os.Environ(),
				"OPENAI_API_KEY=sk-test", "OPENAI_BASE_URL="+ark.BaseURL(),
				"LANGFUSE_PUBLIC_KEY=pk-lf-test", "LANGFUSE_SECRET_KEY=sk-lf-test",
				"LANGFUSE_BASE_URL="+recv.BaseURL(), "LANGFUSE_TRACING_ENABLED=true", "LANGFUSE_SAMPLE_RATE=1")
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("%s: %v\n%s", tc.name, err, out)
			}
			if !strings.Contains(string(out), tc.output) {
				t.Errorf("output lacks %q:\n%s", tc.output, out)
			}
			spans, err := recv.WaitSpans(tc.spans, 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			if len(spans) != tc.spans {
				t.Fatalf("%d spans, want %d", len(spans), tc.spans)
			}
			// In the order the calls were made: spans are exported as they
			// end, and a call's end may be finished beside its caller.
			slices.SortFunc(spans, func(a, b otlpreceiver.Span) int { return a.Start.Compare(b.Start) })
			tc.check(t, spans)
		})
	}
}
