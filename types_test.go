package litefuse_test

import (
	"testing"

	"github.com/litefuse/litefuse-go"
)

// Score.DataType and Prompt.Type are typed like ObservationType, and
// the string constants users already write still compile.
func TestTypedKindsAcceptStrings(t *testing.T) {
	var dt litefuse.ScoreDataType = litefuse.ScoreBoolean
	s := litefuse.Score{Name: "ok", Value: 1, DataType: "boolean", TraceID: litefuse.NewTraceID("t")}
	s2 := litefuse.Score{Name: "ok", Value: 1, DataType: dt, TraceID: s.TraceID}
	p := litefuse.Prompt{Type: "chat"}
	var pt litefuse.PromptType = litefuse.PromptChat
	if p.Type != pt || s2.DataType != "BOOLEAN" || litefuse.PromptText != "text" {
		t.Errorf("types: %q %q", p.Type, s2.DataType)
	}
	_ = s
}
