package wire

// parseUsage reads a usage object of the chat, completion, embeddings or
// Responses API.
func parseUsage(raw []byte) (u Usage) {
	s := scanner{b: raw}
	if !s.open('{') {
		return u
	}
	u.Present = true
	for n := 0; s.next('}', &n); {
		k, esc := s.key()
		switch string(unescapedKey(k, esc)) {
		case "prompt_tokens", "input_tokens":
			u.Prompt = s.count()
		case "completion_tokens", "output_tokens":
			u.Completion = s.count()
		case "total_tokens":
			u.Total = s.count()
		case "prompt_tokens_details", "input_tokens_details":
			if v, ok := s.detail("cached_tokens"); ok {
				u.CachedPrompt = v
			}
		case "completion_tokens_details", "output_tokens_details":
			if v, ok := s.detail("reasoning_tokens"); ok {
				u.Reasoning = v
			}
		default:
			s.skip()
		}
	}
	return u
}

// count reads a token count; anything but a number is 0.
func (s *scanner) count() int64 {
	c := s.peek()
	if c != '-' && (c < '0' || c > '9') {
		s.skip()
		return 0
	}
	return satInt(s.num())
}

// detail reads one count out of a details object.
func (s *scanner) detail(name string) (v int64, ok bool) {
	if s.peek() != '{' {
		s.skip()
		return 0, false
	}
	s.open('{')
	for n := 0; s.next('}', &n); {
		k, esc := s.key()
		if keyIs(k, esc, name) {
			v, ok = s.count(), true
			continue
		}
		s.skip()
	}
	return v, ok
}
