package litefuse_test

import (
	"context"
	"testing"
	"time"

	"github.com/litefuse/litefuse-go"
	"github.com/litefuse/litefuse-go/internal/fakeark"
)

// TestCallerMetadataCannotOverwriteLibraryKeys: a caller's metadata key
// that names one of the library's own (stream_cut_short, attempt, …) is
// kept under caller_<key>; the library's value stands.
func TestCallerMetadataCannotOverwriteLibraryKeys(t *testing.T) {
	e := newEnv(t)
	reply := fakeark.DefaultReply()
	reply.Reasoning, reply.Pieces, reply.ChunkDelay = "", 8, 20*time.Millisecond
	e.ark.SetReply(reply)
	ctx := litefuse.WithGeneration(context.Background(), litefuse.Generation{Metadata: map[string]any{
		"stream_cut_short":               "false",
		"omitted_bytes":                  "0",
		"litefuse_dropped_metadata_keys": "7",
		"caller_attempt":                 "mine",
		"attempt":                        "9",
		"plain":                          "kept",
	}})
	st, err := e.client.CreateChatCompletionStream(ctx, seedRequest())
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := st.Recv(); err != nil {
			t.Fatal(err)
		}
	}
	_ = st.Close()
	s := e.one(t)
	const md = "langfuse.observation.metadata."
	for k, want := range map[string]string{
		"stream_cut_short":                      "true",
		"caller_stream_cut_short":               "false",
		"caller_omitted_bytes":                  "0",
		"caller_litefuse_dropped_metadata_keys": "7",
		"caller_attempt":                        "mine", // the caller's own key wins over a renamed one
		"plain":                                 "kept",
		"litefuse_dropped_metadata_keys":        "1", // "attempt" could not be kept under caller_attempt
	} {
		if got := s.Str(md + k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	for _, k := range []string{"omitted_bytes", "attempt"} {
		if v, ok := s.Attrs[md+k]; ok {
			t.Errorf("%s = %v: the caller's value took the library's key", k, v)
		}
	}
}

// TestObserveAndTraceMetadataCannotOverwriteLibraryKeys: the same holds
// for WithMetadata on Observe and PropagateAttributes metadata.
func TestObserveAndTraceMetadataCannotOverwriteLibraryKeys(t *testing.T) {
	e := newEnv(t)
	md := map[string]any{"litefuse_dropped_metadata_keys": "x"}
	tmd := map[string]string{"litefuse_dropped_metadata_keys": "y"}
	for i := range 70 {
		k := string(rune('a'+i%26)) + string(rune('a'+i/26))
		md[k] = "v"
		tmd[k] = "v"
	}
	ctx := litefuse.PropagateAttributes(context.Background(), litefuse.Attributes{Metadata: tmd})
	_, _ = litefuse.Observe(ctx, "step", func(context.Context) (int, error) { return 1, nil },
		litefuse.WithMetadata(md), litefuse.WithObserveOptions(litefuse.WithTracerProvider(e.tp)))
	s := e.one(t)
	if got := s.Str("langfuse.observation.metadata.litefuse_dropped_metadata_keys"); got != "7" {
		t.Errorf("observation dropped count = %q, want 7 (71 keys, 64 kept)", got)
	}
	if got := s.Str("langfuse.trace.metadata.litefuse_dropped_metadata_keys"); got != "7" {
		t.Errorf("trace dropped count = %q, want 7", got)
	}
	// The caller's values are kept, renamed, not lost under the count.
	if got := s.Str("langfuse.observation.metadata.caller_litefuse_dropped_metadata_keys"); got != "x" {
		t.Errorf("observation caller_litefuse_dropped_metadata_keys = %q, want x", got)
	}
	if got := s.Str("langfuse.trace.metadata.caller_litefuse_dropped_metadata_keys"); got != "y" {
		t.Errorf("trace caller_litefuse_dropped_metadata_keys = %q, want y", got)
	}
}
