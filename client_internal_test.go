package litefuse

import (
	"net/http"
	"testing"

	openai "github.com/sashabaranov/go-openai"
)

// Wrap reads go-openai's unexported client configuration. This pins the
// layout it relies on: should a go-openai release change it, this test
// fails here, and Wrap falls back loudly instead of guessing.
func TestConfigOfReadsGoOpenAIsConfig(t *testing.T) {
	hc := &http.Client{}
	cfg := openai.DefaultConfig("ark-key")
	cfg.BaseURL, cfg.OrgID, cfg.HTTPClient = "https://ark.example/api/v3", "org", hc
	c := openai.NewClientWithConfig(cfg)
	got, ok := configOf(c)
	if !ok {
		t.Fatal("configOf cannot read this go-openai version's config")
	}
	if got.BaseURL != cfg.BaseURL || got.OrgID != "org" || got.HTTPClient != hc || got.EmptyMessagesLimit != cfg.EmptyMessagesLimit {
		t.Errorf("configOf = %+v", got)
	}
	w := Wrap(c)
	if wc, _ := configOf(w); wc.HTTPClient == hc {
		t.Error("the wrapped client shares the original's HTTP client")
	}
	if oc, _ := configOf(c); oc.HTTPClient != hc {
		t.Error("Wrap changed the original client's config")
	}
}
