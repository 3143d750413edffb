package litefuse_test

import (
	"context"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/litefuse/litefuse-go"
	"github.com/litefuse/litefuse-go/internal/fakeark"
	openai "github.com/sashabaranov/go-openai"
)

// Review 30, F1: a huge WithMaxAttributeLength overflowed the stream
// framer's bound (2*limit + 1 MiB): the caller's Read panicked with the
// body's lock held, and a later Close (go-openai's deferred stream.Close)
// blocked for ever. Now the length is capped at 1 TiB with a warning, and
// the stream reads as bare go-openai's, recorded whole.
func TestHugeMaxAttributeLengthStreams(t *testing.T) {
	for _, n := range []int{math.MaxInt, math.MaxInt / 2, 1 << 62, math.MaxInt - 1<<20} {
		logs := &logBuffer{}
		e := newEnv(t, litefuse.WithMaxAttributeLength(n), litefuse.WithLogger(logs.logger()))
		e.ark.SetReply(fakeark.DefaultReply())
		bare, err := e.bare.CreateChatCompletionStream(context.Background(), seedRequest())
		if err != nil {
			t.Fatal(err)
		}
		want, wantErr := drain(bare)
		bare.Close()
		var got []openai.ChatCompletionStreamResponse
		var gotErr error
		done := make(chan any, 1)
		go func() {
			defer func() { done <- recover() }()
			s, err := e.client.CreateChatCompletionStream(context.Background(), seedRequest())
			if err != nil {
				gotErr = err
				return
			}
			got, gotErr = drain(s)
			s.Close()
		}()
		select {
		case p := <-done:
			if p != nil {
				t.Fatalf("WithMaxAttributeLength(%d): the stream panicked: %v", n, p)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("WithMaxAttributeLength(%d): reading and closing the stream blocks", n)
		}
		if gotErr != wantErr || !reflect.DeepEqual(got, want) {
			t.Errorf("WithMaxAttributeLength(%d): %d chunks, %v; bare: %d chunks, %v", n, len(got), gotErr, len(want), wantErr)
		}
		s := e.one(t)
		if out, _ := s.Attrs["langfuse.observation.output"].(string); !strings.Contains(out, fakeark.DefaultReply().Content) {
			t.Errorf("WithMaxAttributeLength(%d): recorded output %q", n, out)
		}
		if !strings.Contains(logs.String(), "WithMaxAttributeLength") || !strings.Contains(logs.String(), "1 TiB") {
			t.Errorf("WithMaxAttributeLength(%d): no warning naming the option and its cap: %s", n, logs.String())
		}
	}
}
