package wire

import "strings"

// match recognises a recorded route by method and path suffix, with or
// without a trailing slash. It does not allocate.
func match(method, path string) Route {
	if method != "POST" && !strings.EqualFold(method, "POST") {
		return None
	}
	if len(path) > 1 && path[len(path)-1] == '/' {
		path = path[:len(path)-1]
	}
	switch {
	case endsWithSegments(path, "chat/completions"):
		return Chat
	case endsWithSegments(path, "completions"):
		return Completion
	case endsWithSegments(path, "embeddings"):
		return Embedding
	case endsWithSegments(path, "responses"):
		return Responses
	}
	return None
}

// endsWithSegments reports whether path ends with the whole segments seg:
// "/v1/embeddings" ends with "embeddings", "/v1/myembeddings" does not.
func endsWithSegments(path, seg string) bool {
	if !strings.HasSuffix(path, seg) {
		return false
	}
	n := len(path) - len(seg)
	return n == 0 || path[n-1] == '/'
}

// String names the route as the GenAI conventions name the operation.
func (r Route) String() string {
	switch r {
	case Chat:
		return "chat"
	case Completion:
		return "text_completion"
	case Embedding:
		return "embeddings"
	case Responses:
		return "responses"
	}
	return "none"
}
