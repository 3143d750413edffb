package wire

func (c *chunk) parseDelta(b []byte, i, at int) int {
	if i < len(b) && b[i] == 'n' {
		return literal(b, i, "null")
	}
	i, empty := openAt(b, i, '{', '}')
	if i < 0 || empty {
		return i
	}
	for {
		key, esc, v := memberKey(b, i)
		if v < 0 {
			return -1
		}
		ch := &c.choices[at]
		switch string(unescapedKey(key, esc)) {
		case "role":
			i, ch.role = refAt(b, v)
		case "content":
			i, ch.content = refAt(b, v)
		case "reasoning_content":
			i, ch.reasoning = refAt(b, v)
		case "refusal":
			i, ch.refusal = refAt(b, v)
		case "function_call":
			if b[v] == 'n' {
				i = literal(b, v, "null")
				break
			}
			ch.hasFn = true
			i, ch.fnName, ch.fnArgs = c.functionAt(b, v)
		case "tool_calls":
			i = c.parseTools(b, v, at)
		default:
			i = skipMember(b, v)
		}
		var more bool
		if i, more = nextMember(b, i, '}'); i < 0 || !more {
			return i
		}
	}
}

func (c *chunk) parseTools(b []byte, i, at int) int {
	if i < len(b) && b[i] == 'n' {
		return literal(b, i, "null")
	}
	i, empty := openAt(b, i, '[', ']')
	if i < 0 || empty {
		return i
	}
	for {
		c.tools = append(c.tools, toolDelta{choice: at})
		c.choices[at].tools++
		if i = c.parseTool(b, i, &c.tools[len(c.tools)-1]); i < 0 {
			return -1
		}
		var more bool
		if i, more = nextMember(b, i, ']'); i < 0 || !more {
			return i
		}
	}
}

func (c *chunk) parseTool(b []byte, i int, t *toolDelta) int {
	i, empty := openAt(b, i, '{', '}')
	if i < 0 || empty {
		return i
	}
	for {
		key, esc, v := memberKey(b, i)
		if v < 0 {
			return -1
		}
		switch string(unescapedKey(key, esc)) {
		case "index":
			i, t.index, t.hasIndex = indexAt(b, v)
		case "id":
			i, t.id = refAt(b, v)
		case "type":
			i, t.typ = refAt(b, v)
		case "function":
			if b[v] == 'n' {
				i = literal(b, v, "null")
				break
			}
			i, t.name, t.args = c.functionAt(b, v)
		default:
			i = skipMember(b, v)
		}
		var more bool
		if i, more = nextMember(b, i, '}'); i < 0 || !more {
			return i
		}
	}
}
