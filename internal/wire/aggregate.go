package wire

import (
	"slices"
	"time"
	"unicode/utf8"
)

// choiceAgg is one choice as aggregated so far. Choices and tool calls are
// held by pointer: growing the list never copies a half-built value.
type choiceAgg struct {
	index                       int
	role, finish                string
	content, reasoning, refusal value
	fnName, fnArgs              value
	hasFn                       bool
	tools                       []*toolAgg
	toolAt                      map[int]*toolAgg // by index, once there are many
}

type toolAgg struct {
	index     int
	id, typ   string
	name, arg value
}

// manyEntries is the count past which lookups go through a map.
const manyEntries = 8

// aggregate folds chat or completion chunks (or one whole response) into
// the answer.
type aggregate struct {
	bud      budget
	choices  []*choiceAgg
	choiceAt map[int]*choiceAgg
	last     *choiceAgg
	scratch  []byte
	c0       choiceAgg     // the first choice: most answers have one, kept without an allocation
	c0s      [1]*choiceAgg // choices' first backing array
	reqModel string        // the model asked for: an answer naming it shares its string
	arena    []byte        // a whole answer's values, one after the other (arenaFor)

	id, model, tier string
	// idRaw is a whole answer's id, clean as sent, until aggResult copies
	// it into the output's buffer (one allocation for both); a view of
	// the answer's bytes, nil once copied.
	idRaw  []byte
	usage  Usage
	errRaw []byte
	first  time.Time
}

func (a *aggregate) choice(index int) *choiceAgg {
	if a.last != nil && a.last.index == index {
		return a.last
	}
	var c *choiceAgg
	if a.choiceAt != nil {
		c = a.choiceAt[index]
	} else {
		for _, x := range a.choices {
			if x.index == index {
				c = x
				break
			}
		}
	}
	if c == nil {
		if !a.bud.entry() {
			return nil
		}
		if len(a.choices) == 0 && a.choiceAt == nil {
			a.c0 = choiceAgg{index: index}
			c, a.choices = &a.c0, a.c0s[:0]
		} else {
			c = &choiceAgg{index: index}
		}
		a.choices = append(a.choices, c)
		if a.choiceAt != nil {
			a.choiceAt[index] = c
		} else if len(a.choices) > manyEntries {
			a.choiceAt = make(map[int]*choiceAgg, len(a.choices)*2)
			for _, x := range a.choices {
				a.choiceAt[x.index] = x
			}
		}
	}
	a.last = c
	return c
}

func (a *aggregate) tool(c *choiceAgg, index int) *toolAgg {
	if n := len(c.tools); n > 0 && c.tools[n-1].index == index {
		return c.tools[n-1]
	}
	var t *toolAgg
	if c.toolAt != nil {
		t = c.toolAt[index]
	} else {
		for _, x := range c.tools {
			if x.index == index {
				t = x
				break
			}
		}
	}
	if t == nil {
		if !a.bud.entry() {
			return nil
		}
		t = &toolAgg{index: index}
		c.tools = append(c.tools, t)
		if c.toolAt != nil {
			c.toolAt[index] = t
		} else if len(c.tools) > manyEntries {
			c.toolAt = make(map[int]*toolAgg, len(c.tools)*2)
			for _, x := range c.tools {
				c.toolAt[x.index] = x
			}
		}
	}
	return t
}

// add folds a parsed chunk in. whole is true for a non-streamed response,
// whose tool calls carry no index: their position is their index. It
// reports whether the chunk carried a token (content, reasoning or a tool
// call), for the time to first token.
func (a *aggregate) add(ch *chunk, whole bool) (token bool) {
	if ch.id.set && a.id == "" && a.idRaw == nil {
		id := ch.get(ch.id)
		if whole && !id.esc && len(id.raw) > 0 && len(id.raw) <= 1<<10 && utf8.Valid(id.raw) {
			a.idRaw = id.raw // clean already: copied with the output (aggResult)
		} else {
			a.id = cleanString(id.raw, id.esc, 1<<10)
		}
	}
	if m := ch.get(ch.model); len(m.raw) > 0 && string(m.raw) != a.model {
		if !m.esc && len(m.raw) <= 1<<10 && string(m.raw) == a.reqModel {
			a.model = a.reqModel // valid UTF-8 and bounded already: the request's model was cleaned
		} else {
			a.model = cleanString(m.raw, m.esc, 1<<10)
		}
	}
	if tier := ch.get(ch.tier); len(tier.raw) > 0 && string(tier.raw) != a.tier {
		a.tier = cleanString(tier.raw, tier.esc, 1<<10)
	}
	if ch.usage != nil {
		a.usage = parseUsage(ch.usage)
	}
	if ch.err != nil && a.errRaw == nil {
		a.errRaw = append([]byte(nil), ch.err[:min(len(ch.err), 64<<10)]...)
	}
	if whole {
		a.arenaFor(ch)
	}
	t := 0
	for i := range ch.choices {
		d := &ch.choices[i]
		tools := ch.tools[t : t+d.tools]
		t += d.tools
		c := a.choice(d.index)
		if c == nil {
			a.bud.omitted += int64(d.content.n) + int64(d.reasoning.n) + int64(d.text.n)
			continue
		}
		token = token || d.content.n > 0 || d.reasoning.n > 0 || d.text.n > 0 || len(tools) > 0 || d.fnArgs.n > 0
		if c.role == "" {
			setOnce(&c.role, ch.get(d.role))
		}
		// Most deltas carry one of these: an empty one is not looked at.
		if d.content.n > 0 {
			a.addValue(&c.content, ch.get(d.content))
		}
		if d.text.n > 0 {
			a.addValue(&c.content, ch.get(d.text))
		}
		if d.reasoning.n > 0 {
			a.addValue(&c.reasoning, ch.get(d.reasoning))
		}
		if d.refusal.n > 0 {
			a.addValue(&c.refusal, ch.get(d.refusal))
		}
		if c.finish == "" && d.finish.n > 0 {
			setOnce(&c.finish, ch.get(d.finish))
		}
		if d.hasFn {
			c.hasFn = true
			a.addValue(&c.fnName, ch.get(d.fnName))
			a.addValue(&c.fnArgs, ch.get(d.fnArgs))
		}
		for j := range tools {
			a.addTool(ch, c, &tools[j], whole, j)
		}
	}
	return token
}

// addValue adds s to v, from the arena when there is one and v is new.
func (a *aggregate) addValue(v *value, s jstr) {
	if v.b == nil && len(s.raw) > 0 && cap(a.arena)-len(a.arena) >= len(s.raw) {
		off, end := len(a.arena), len(a.arena)+len(s.raw)
		v.b = a.arena[off:off:end]
		v.add(&a.bud, s, &a.scratch)
		if len(v.b) > end-off {
			// Grown past its share (a cut character repaired to U+FFFD,
			// 3 bytes a byte): append moved it out of the arena.
			return
		}
		v.b = v.b[:len(v.b):len(v.b)] // unescaping may leave room the next value now uses: a later add moves out
		a.arena = a.arena[:off+len(v.b)]
		return
	}
	v.add(&a.bud, s, &a.scratch)
}

// arenaFor gives the values of a whole answer one shared buffer, sized
// from their raw (escaped, so never shorter) lengths within the budget:
// one allocation instead of one per value. Each value gets its own slice
// of it, capped, so that a value growing past its share moves out rather
// than into the next one's.
func (a *aggregate) arenaFor(ch *chunk) {
	n := 0
	for i := range ch.choices {
		d := &ch.choices[i]
		n += int(d.content.n + d.text.n + d.reasoning.n + d.refusal.n + d.fnName.n + d.fnArgs.n)
	}
	for i := range ch.tools {
		n += int(ch.tools[i].name.n + ch.tools[i].args.n)
	}
	if n = min(n, a.bud.left); n > cap(a.arena) {
		a.arena = make([]byte, 0, n)
	} else {
		a.arena = a.arena[:0] // a pooled reading's (putReading)
	}
}

func (a *aggregate) addTool(ch *chunk, c *choiceAgg, d *toolDelta, whole bool, pos int) {
	idx := d.index
	switch {
	case d.hasIndex:
	case whole:
		idx = pos
	case len(c.tools) == 0 || d.id.n > 0:
		idx = 0
		if n := len(c.tools); n > 0 {
			idx = c.tools[n-1].index + 1
		}
	default:
		idx = c.tools[len(c.tools)-1].index
	}
	tc := a.tool(c, idx)
	if tc == nil {
		a.bud.omitted += int64(d.name.n) + int64(d.args.n)
		return
	}
	setOnce(&tc.id, ch.get(d.id))
	setOnce(&tc.typ, ch.get(d.typ))
	a.addValue(&tc.name, ch.get(d.name))
	a.addValue(&tc.arg, ch.get(d.args))
}

// allFinished reports whether every choice has its finish reason: n
// choices (as asked), and every choice seen.
func (a *aggregate) allFinished(n int) bool {
	if len(a.choices) == 0 || len(a.choices) < n {
		return false
	}
	for _, c := range a.choices {
		if c.finish == "" {
			return false
		}
	}
	return true
}

func (a *aggregate) anyFinished() bool {
	for _, c := range a.choices {
		if c.finish != "" {
			return true
		}
	}
	return false
}

// sorted returns the choices by index.
func (a *aggregate) sorted() []*choiceAgg {
	if len(a.choices) < 2 {
		return a.choices
	}
	cs := slices.Clone(a.choices)
	slices.SortStableFunc(cs, func(x, y *choiceAgg) int { return x.index - y.index })
	return cs
}

// finishReasons appends the choices' finish reasons to out.
func (a *aggregate) finishReasons(out []string) []string {
	for _, c := range a.sorted() {
		if c.finish != "" {
			out = append(out, c.finish)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
