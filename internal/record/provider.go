package record

import "strings"

// ProviderName maps an API host to gen_ai.provider.name. Ark is told by
// host, not path.
func ProviderName(host string) string {
	host = strings.ToLower(host)
	switch {
	case strings.HasPrefix(host, "ark.") && strings.HasSuffix(host, ".bytepluses.com"):
		return "byteplus"
	case strings.HasPrefix(host, "ark.") && strings.HasSuffix(host, ".volces.com"):
		return "volcengine"
	case host == "api.openai.com":
		return "openai"
	case strings.HasSuffix(host, ".openai.azure.com"):
		return "azure.ai.openai"
	case host == "api.deepseek.com":
		return "deepseek"
	case host == "api.anthropic.com":
		return "anthropic"
	case host == "api.mistral.ai":
		return "mistral_ai"
	case host == "api.groq.com":
		return "groq"
	case host == "api.x.ai":
		return "x_ai"
	case host == "api.moonshot.ai", host == "api.moonshot.cn":
		return "moonshot"
	case host == "openrouter.ai":
		return "openrouter"
	}
	return "openai"
}
