package wire

import (
	"bytes"
	"math"
)

// framer splits a server-sent event stream into events as bytes arrive:
// lines end in \n, \r\n or a lone \r (a \r\n cut between two feeds is one
// line end); "data:" lines join with \n; "event:" names the event;
// comments (":…") and other fields are ignored; a blank line ends the
// event. An event whose first data line is whole on its own (a JSON object
// on one line, or [DONE]) is dispatched at the end of that line, without
// waiting for the blank line: some servers never send one, ending each
// event with a single \n as go-openai's line reader allows. Memory is
// bounded: a line or an event past max is not kept whole: the event is
// then reported as overflowed, with the first max bytes of its line when
// that was its first (a data line's value, or the raw line when it was
// carried over feeds), and the count of its bytes not read whole in lost.
//
// When filter is set, framer also holds the bytes of the current event
// until it is dispatched, then releases them to out, or drops them if
// dispatch asks to: the only way the caller's bytes ever differ from the
// server's. An event dropped at its data line takes the blank line that
// directly follows it (if one does) with it.
type framer struct {
	line     []byte // a line carried over from an earlier feed
	lineOver bool   // the carried line passed max
	cr       bool   // the last feed ended in a \r line end: a \n next is part of it
	lost     uint32 // bytes of the current event not kept because it passed max (saturating; in padding)
	data     []byte // the current event's data
	borrow   []byte // or its one data line, still in the bytes being fed
	hasData  bool
	raw      bool   // the event is a bare JSON body, not "data:" lines
	over     bool   // the current event passed max
	name     []byte // the current event's "event:" field
	max      int
	dispatch func(name, data []byte, over bool) (drop bool)

	filter    bool
	held      []byte // the current event's bytes from earlier feeds or spans (filter)
	cur       []byte // the bytes being fed (filter)
	ps, pe    int    // cur[ps:pe]: the current event's bytes after held, not copied yet (filter)
	passing   bool   // the current event is too big to hold: its bytes pass on
	out       []byte // bytes released for the caller (filter)
	last      uint8  // where the last line's bytes went: toHeld, toOut or toDrop (filter)
	dropBlank bool   // an event was dropped at its data line: a blank line next goes too
}

// Where a line's bytes went (framer.last), and so where the \n of a \r\n
// cut between feeds goes.
const (
	toHeld uint8 = iota + 1
	toOut
	toDrop
)

// maxHeld bounds the bytes held back while filtering: an event bigger than
// this is not the small usage event, so it passes on unheld.
const maxHeld = 64 << 10

// feed takes the next bytes of the stream.
func (f *framer) feed(p []byte) {
	if f.filter {
		f.cur = p
	}
	f.split(p)
	if f.filter {
		f.flushHeld() // p is the caller's: what the event holds of it is copied now
		f.cur = nil
	}
	if f.borrow != nil { // the event goes on in a later feed: keep its data
		f.data = append(f.data[:0], f.borrow...)
		f.borrow = nil
	}
}

// split cuts p into lines and processes each; a line without its end is
// carried to the next feed.
func (f *framer) split(p []byte) {
	if f.cr && len(p) > 0 {
		f.cr = false
		if p[0] == '\n' { // the rest of a \r\n line end: it goes with its line
			f.tail(p)
			p = p[1:]
			if f.filter { // held spans are in cur: it now starts at p
				f.flushHeld()
				f.cur = p
			}
		}
	}
	// nl and cr are the next \n and \r at or after i (len(p): none), each
	// searched for once, so that a feed of many short lines stays linear.
	nl, cr := -1, -1
	for i := 0; i < len(p); {
		if f.dropBlank {
			f.dropBlank = false
			if c := p[i]; c == '\n' || c == '\r' {
				i += f.lineEnd(p, i)
				f.last = toDrop
				continue
			}
		}
		if nl < i {
			nl = indexFrom(p, i, '\n')
		}
		if cr < i {
			cr = indexFrom(p, i, '\r')
		}
		j := min(nl, cr)
		if j == len(p) {
			f.hold(i, len(p))
			f.carry(p[i:])
			return
		}
		line, start := p[i:j], i
		i = j + f.lineEnd(p, j)
		f.hold(start, i)
		if len(f.line) > 0 || f.lineOver {
			f.carry(line)
			if f.lineOver {
				f.over = true // a field we could not read: do not record the event
				if !f.hasData {
					// Most likely the event's one data line: end the event
					// here, as a whole line would, so that a server sending
					// no blank lines does not have the next events swallowed.
					f.dropBlank = f.end()
				}
			} else {
				f.process(nil, true)
			}
			f.line, f.lineOver = f.line[:0], false
			continue
		}
		f.process(line, false)
	}
}

// indexFrom is the index of c in p at or after i, or len(p).
func indexFrom(p []byte, i int, c byte) int {
	if k := bytes.IndexByte(p[i:], c); k >= 0 {
		return i + k
	}
	return len(p)
}

// lineEnd is the length of the line end at p[j] (\n, \r or \r\n). A \r
// that ends p may be the first half of a \r\n: f.cr notes it.
func (f *framer) lineEnd(p []byte, j int) int {
	switch {
	case p[j] == '\n':
		return 1
	case j+1 == len(p):
		f.cr = true
		return 1
	case p[j+1] == '\n':
		return 2
	}
	return 1
}

// tail takes the \n of a \r\n line end cut between feeds (p[0]): it goes
// where its line went.
func (f *framer) tail(p []byte) {
	if !f.filter {
		return
	}
	switch f.last {
	case toHeld:
		f.hold(0, 1)
	case toOut:
		f.out = append(f.out, p[0])
	}
}

// carry keeps part of a line that continues in a later feed.
func (f *framer) carry(p []byte) {
	if f.lineOver {
		f.lose(len(p))
		return
	}
	if len(f.line)+len(p) > f.max {
		f.lineOver = true
		f.lose(len(f.line) + len(p))
		if !f.hasData && !f.over {
			// The event's first line: its beginning goes to the dispatch
			// (the buffers swap; nothing is copied).
			f.data, f.line = f.line, f.data[:0]
		} else {
			f.line = f.line[:0]
		}
		return
	}
	if f.line == nil {
		f.line = make([]byte, 0, min(max(2*len(p), 512), f.max)) // a line cut between reads: room for its rest
	}
	f.line = append(f.line, p...)
}

// lose counts n bytes of the current event not kept.
func (f *framer) lose(n int) { f.lost = uint32(min(uint64(f.lost)+uint64(n), math.MaxUint32)) }

// hold keeps cur[a:e], bytes of the current event, when filtering. While
// the event grows line by line within one feed its bytes stay where they
// are (cur[ps:pe]): an event read whole in one feed is copied once, to out.
func (f *framer) hold(a, e int) {
	if !f.filter {
		return
	}
	if f.passing {
		f.out = append(f.out, f.cur[a:e]...)
		f.last = toOut
		return
	}
	if f.pe != a { // not next to the span (an empty span is 0, 0)
		f.flushHeld()
		f.ps = a
	}
	f.pe = e
	f.last = toHeld
	if len(f.held)+f.pe-f.ps > maxHeld {
		f.flushHeld()
		f.out = append(f.out, f.held...)
		f.held = f.held[:0]
		f.passing = true
		f.last = toOut
	}
}

// flushHeld copies the span of cur the event holds to held.
func (f *framer) flushHeld() {
	if f.pe > f.ps {
		f.held = append(f.held, f.cur[f.ps:f.pe]...)
	}
	f.ps, f.pe = 0, 0
}

// process handles one line (without its line end). carried is true when
// line is f.line's content, which process reads from f.line itself.
func (f *framer) process(line []byte, carried bool) {
	if carried {
		line = f.line
	}
	if len(line) == 0 {
		f.end()
		return
	}
	if line[0] == ':' {
		return // comment
	}
	if line[0] == '{' && !f.hasData || f.raw {
		// Not SSE: a JSON body (an error sent as an event stream), maybe
		// on several lines. Read as data, as go-openai reads it as the
		// error.
		f.raw = true
		f.dataLine(line, carried)
		return
	}
	field, val := line, line[:0]
	if i := bytes.IndexByte(line, ':'); i >= 0 {
		field, val = line[:i], line[i+1:]
		if len(val) > 0 && val[0] == ' ' {
			val = val[1:]
		}
	}
	switch string(field) {
	case "data":
		f.dataLine(val, carried)
	case "event":
		f.name = append(f.name[:0], val[:min(len(val), 128)]...)
	}
}

// dataLine adds a data line to the current event. The event's first data
// line, when whole on its own, ends the event at once.
func (f *framer) dataLine(val []byte, carried bool) {
	if f.over {
		f.lose(len(val))
		return
	}
	first := !f.hasData
	if first && !carried && len(val) < f.max {
		f.borrow, f.hasData = val, true // the common case: no copy
	} else {
		f.add(val)
	}
	if first && whole(val) {
		f.dropBlank = f.end()
	}
}

// add appends a data line to the event's data, bounded by max.
func (f *framer) add(val []byte) {
	if f.borrow != nil {
		f.data = append(f.data[:0], f.borrow...)
		f.borrow = nil
	}
	if len(f.data)+len(val)+1 > f.max {
		f.over = true
		f.lose(len(f.data) + len(val))
		f.data = f.data[:0]
		if !f.hasData { // the event's first line: its beginning goes to the dispatch
			f.data = append(f.data, val[:f.max]...)
		}
		return
	}
	if f.hasData {
		f.data = append(f.data, '\n')
	}
	f.data = append(f.data, val...)
	f.hasData = true
}

// whole reports whether a first data line looks like a whole value on its
// own: a JSON object on one line (trailing spaces aside; a line holds no
// \r, which ends lines), or [DONE]. A cheap look at its ends, not a
// validation: a line that only looks whole is dispatched as it is.
func whole(v []byte) bool {
	n := len(v)
	for n > 1 && v[n-1] == ' ' {
		n--
	}
	if n > 1 && v[0] == '{' {
		return v[n-1] == '}'
	}
	return string(v) == "[DONE]"
}

// end dispatches the current event (at a blank line, at a data line that
// is whole, or at the end of the stream) and releases or drops its held
// bytes. It reports whether they were dropped.
func (f *framer) end() (dropped bool) {
	drop := false
	if f.hasData || f.over {
		data := f.data
		if f.borrow != nil {
			data = f.borrow
		}
		drop = f.dispatch(f.name, data, f.over)
	}
	if f.filter {
		switch {
		case f.passing: // already released
			f.held = f.held[:0]
		case drop:
			f.held = f.held[:0]
			f.last, dropped = toDrop, true
		default: // copied, so both buffers keep their size and are reused
			if len(f.held) > 0 {
				f.out = append(f.out, f.held...)
				f.held = f.held[:0]
			}
			f.out = append(f.out, f.cur[f.ps:f.pe]...)
			f.last = toOut
		}
		f.ps, f.pe = 0, 0
		f.passing = false
	}
	// One field at a time, and pointers only when they change: the framer
	// lives on the heap, and a slice reset to itself or a nil stored over nil
	// then costs no write barrier.
	f.data = f.data[:0]
	f.name = f.name[:0]
	if f.borrow != nil {
		f.borrow = nil
	}
	f.hasData, f.over, f.raw = false, false, false
	f.lost = 0
	return dropped
}

// close ends the stream: a last line without a line end is read, a last
// event without a blank line is dispatched, held bytes are released.
func (f *framer) close() {
	if f.lineOver {
		f.over = true
	} else if len(f.line) > 0 {
		f.process(nil, true)
	}
	f.line, f.lineOver = f.line[:0], false
	if f.hasData || f.over {
		f.end()
	}
	if f.filter {
		f.flushHeld()
		f.out = append(f.out, f.held...)
		f.held = f.held[:0]
	}
}
