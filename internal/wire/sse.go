package wire

import "bytes"

// framer splits a server-sent event stream into events as bytes arrive:
// lines end in \n or \r\n; "data:" lines join with \n; "event:" names the
// event; comments (":…") and other fields are ignored; a blank line ends
// the event. Memory is bounded: a line or an event past max is not kept
// (the event is then reported as overflowed, and not recorded).
//
// When filter is set, framer also holds the bytes of the current event
// until it ends, then releases them to out, or drops them if dispatch asks
// to: the only way the caller's bytes ever differ from the server's.
type framer struct {
	line     []byte // a line carried over from an earlier feed
	lineOver bool   // the carried line passed max
	data     []byte // the current event's data
	borrow   []byte // or its one data line, still in the bytes being fed
	hasData  bool
	raw      bool   // the event is a bare JSON body, not "data:" lines
	over     bool   // the current event passed max
	name     []byte // the current event's "event:" field
	max      int
	dispatch func(name, data []byte, over bool) (drop bool)

	filter  bool
	held    []byte // the current event's bytes (filter)
	passing bool   // the current event is too big to hold: its bytes pass on
	out     []byte // bytes released for the caller (filter)
}

// maxHeld bounds the bytes held back while filtering: an event bigger than
// this is not the small usage event, so it passes on unheld.
const maxHeld = 64 << 10

// feed takes the next bytes of the stream.
func (f *framer) feed(p []byte) {
	f.split(p)
	if f.borrow != nil { // the event goes on in a later feed: keep its data
		f.data = append(f.data[:0], f.borrow...)
		f.borrow = nil
	}
}

func (f *framer) split(p []byte) {
	for len(p) > 0 {
		j := bytes.IndexByte(p, '\n')
		if j < 0 {
			f.hold(p)
			f.carry(p)
			return
		}
		seg := p[:j+1]
		p = p[j+1:]
		f.hold(seg)
		if len(f.line) > 0 || f.lineOver {
			f.carry(seg[:j])
			if f.lineOver {
				f.over = true // a field we could not read: do not record the event
			} else {
				f.process(nil, true)
			}
			f.line, f.lineOver = f.line[:0], false
			continue
		}
		f.process(seg[:j], false)
	}
}

// carry keeps part of a line that continues in a later feed.
func (f *framer) carry(p []byte) {
	if f.lineOver {
		return
	}
	if len(f.line)+len(p) > f.max {
		f.lineOver = true
		f.line = f.line[:0]
		return
	}
	f.line = append(f.line, p...)
}

// hold keeps the bytes of the current event when filtering.
func (f *framer) hold(p []byte) {
	if !f.filter {
		return
	}
	if f.passing {
		f.out = append(f.out, p...)
		return
	}
	f.held = append(f.held, p...)
	if len(f.held) > maxHeld {
		f.out = append(f.out, f.held...)
		f.held = f.held[:0]
		f.passing = true
	}
}

// process handles one line (without its \n). carried is true when line is
// f.line's content, which process reads from f.line itself.
func (f *framer) process(line []byte, carried bool) {
	if carried {
		line = f.line
	}
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
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

// dataLine adds a data line to the current event.
func (f *framer) dataLine(val []byte, carried bool) {
	if f.over {
		return
	}
	if !f.hasData && !carried && len(val) < f.max {
		f.borrow, f.hasData = val, true // the common case: no copy
		return
	}
	if f.borrow != nil {
		f.data = append(f.data[:0], f.borrow...)
		f.borrow = nil
	}
	if len(f.data)+len(val)+1 > f.max {
		f.over = true
		f.data = f.data[:0]
		return
	}
	if f.hasData {
		f.data = append(f.data, '\n')
	}
	f.data = append(f.data, val...)
	f.hasData = true
}

// end dispatches the current event at a blank line (or at the end of the
// stream) and releases or drops its held bytes.
func (f *framer) end() {
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
		case drop || f.passing:
			f.held = f.held[:0]
		case len(f.out) == 0: // hand the held bytes over without a copy
			f.out, f.held = f.held, f.out[:0]
		default:
			f.out = append(f.out, f.held...)
			f.held = f.held[:0]
		}
		f.passing = false
	}
	f.data, f.borrow, f.hasData, f.over, f.name, f.raw = f.data[:0], nil, false, false, f.name[:0], false
}

// close ends the stream: a last line without \n is read, a last event
// without a blank line is dispatched, held bytes are released.
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
		f.out = append(f.out, f.held...)
		f.held = f.held[:0]
	}
}
