package wire

// embedCounter counts the items of an embeddings answer's "data" array as
// the bytes pass, so that the summary stays exact for a body too big to
// keep (a batch of thousands of vectors). It tracks strings, nesting and
// the current key of the top-level object; nothing else is kept.
type embedCounter struct {
	inString, escape bool
	depth            int
	key              [8]byte // the top-level key being read (first bytes)
	keyLen           int
	lastKey          [8]byte
	lastKeyLen       int
	inData           bool // inside the top-level "data" array
	count            int
}

func (e *embedCounter) feed(p []byte) {
	for _, c := range p {
		if e.inString {
			switch {
			case e.escape:
				e.escape = false
			case c == '\\':
				e.escape = true
				e.keyLen = len(e.key) + 1 // a key with escapes is not "data"
			case c == '"':
				e.inString = false
				if e.depth == 1 {
					e.lastKey, e.lastKeyLen = e.key, min(e.keyLen, len(e.key)+1)
				}
			default:
				if e.depth == 1 && e.keyLen < len(e.key) {
					e.key[e.keyLen] = c
				}
				e.keyLen++ // past len(key): too long to be "data"
			}
			continue
		}
		switch c {
		case '"':
			e.inString, e.keyLen = true, 0
		case '{', '[':
			e.depth++
			if e.depth == 2 && c == '[' && e.lastKeyLen == 4 && string(e.lastKey[:4]) == "data" {
				e.inData = true
			} else if e.depth == 3 && e.inData && c == '{' {
				e.count++
			}
		case '}', ']':
			if e.depth == 2 {
				e.inData = false
			}
			e.depth--
		}
	}
}
