package record

import "testing"

func TestProviderName(t *testing.T) {
	for host, want := range map[string]string{
		"ark.ap-southeast.bytepluses.com": "byteplus",
		"ARK.cn-beijing.volces.com":       "volcengine",
		"api.openai.com":                  "openai",
		"myres.openai.azure.com":          "azure.ai.openai",
		"bytepluses.com":                  "openai",
		"127.0.0.1":                       "openai",
	} {
		if got := ProviderName(host); got != want {
			t.Errorf("%s: %q, want %q", host, got, want)
		}
	}
}
