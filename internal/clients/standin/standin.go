// Package standin starts, on 127.0.0.1, what the examples need when no
// ARK_API_KEY is set: a stand-in for Ark's chat API (Ark's JSON and SSE,
// with reasoning and cached/reasoning token usage) and one for Litefuse's
// OTLP endpoint, which decodes the spans it receives so the example can
// print them. Copying an example into your program? Drop the stand-in
// branch and this import: set ARK_API_KEY and the LANGFUSE_* variables.
package standin

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/litefuse/litefuse-go"
	"github.com/litefuse/litefuse-go/internal/fakeark"
	"github.com/litefuse/litefuse-go/internal/otlpreceiver"
)

// Local is a running pair of stand-ins.
type Local struct {
	ark      *fakeark.Server
	litefuse *otlpreceiver.Receiver
}

// Start starts both stand-ins. The Ark one answers after a short delay
// and streams chunk by chunk, so latency and time to first token show.
func Start() *Local {
	l := &Local{ark: fakeark.New(), litefuse: otlpreceiver.New()}
	reply := fakeark.DefaultReply()
	reply.FirstDelay, reply.ChunkDelay = 40*time.Millisecond, 5*time.Millisecond
	l.ark.SetReply(reply)
	return l
}

// ArkBaseURL is the Ark stand-in's base URL (like …/api/v3).
func (l *Local) ArkBaseURL() string { return l.ark.BaseURL() }

// APIKey is any key: the stand-in takes every key.
func (l *Local) APIKey() string { return "ark-api-key-not-needed-here" }

// Model is the model the stand-in answers as.
func (l *Local) Model() string { return fakeark.Model }

// Options point the library at the Litefuse stand-in (a real program sets
// LANGFUSE_PUBLIC_KEY, LANGFUSE_SECRET_KEY and LANGFUSE_BASE_URL instead).
func (l *Local) Options() []litefuse.Option {
	return []litefuse.Option{
		litefuse.WithCredentials("pk-lf-example", "sk-lf-example"),
		litefuse.WithBaseURL(l.litefuse.BaseURL()),
		litefuse.WithEnvironment("example"),
	}
}

// Report prints the generations the Litefuse stand-in received, and
// returns an error unless there are exactly want of them.
func (l *Local) Report(w io.Writer, want int) error {
	spans := l.litefuse.Spans()
	fmt.Fprintf(w, "\nLitefuse stand-in received %d generations:\n", len(spans))
	for _, s := range spans {
		var usage map[string]int
		_ = json.Unmarshal([]byte(s.Str("langfuse.observation.usage_details")), &usage)
		var out struct {
			Content   string `json:"content"`
			Reasoning string `json:"reasoning_content"`
		}
		_ = json.Unmarshal([]byte(s.Str("langfuse.observation.output")), &out)
		line := fmt.Sprintf("  %-24s model=%s tokens in=%d cached=%d out=%d reasoning=%d total=%d latency=%s",
			s.Name, s.Str("langfuse.observation.model.name"), usage["input"], usage["input_cached_tokens"],
			usage["output"], usage["output_reasoning_tokens"], usage["total"], s.End.Sub(s.Start).Round(time.Millisecond))
		if ttft := s.Str("langfuse.observation.completion_start_time"); ttft != "" {
			if t, err := time.Parse(time.RFC3339Nano, ttft); err == nil {
				line += " ttft=" + t.Sub(s.Start).Round(time.Millisecond).String()
			}
		}
		fmt.Fprintln(w, line)
		fmt.Fprintf(w, "    output: %q (reasoning: %d chars)\n", out.Content, len(out.Reasoning))
	}
	if len(spans) != want {
		return fmt.Errorf("the Litefuse stand-in received %d generations, want %d", len(spans), want)
	}
	return nil
}

// Close stops both stand-ins.
func (l *Local) Close() {
	l.ark.Close()
	l.litefuse.Close()
}
