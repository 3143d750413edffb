package wire

import "github.com/litefuse/litefuse-go/internal/jsonw"

// responseAgg is a Responses API answer: the final response object (whole
// body, or the response.completed, .incomplete or .failed event), and the
// text deltas of a stream in case no final response comes.
type responseAgg struct {
	id, model, tier, status string
	output                  []byte // raw output items, when they fit
	outputOmitted           int64
	outputText              value
	text                    value // streamed output_text deltas
	usage                   Usage
	err                     apiError
	hasErr                  bool
	incomplete              string
	final                   bool // a final response was read
}

// readResponse reads a response object (a whole body, or an event's
// "response").
func (r *responseAgg) readResponse(b []byte, bud *budget) {
	s := scanner{b: b}
	if !s.open('{') {
		return
	}
	for n := 0; s.next('}', &n); {
		k, esc := s.key()
		switch string(unescapedKey(k, esc)) {
		case "id":
			if v := s.jstr(); v.set {
				r.id = cleanString(v.raw, v.esc, 1<<10)
			}
		case "model":
			if v := s.jstr(); v.set && len(v.raw) > 0 {
				r.model = cleanString(v.raw, v.esc, 1<<10)
			}
		case "service_tier":
			if v := s.jstr(); v.set {
				r.tier = cleanString(v.raw, v.esc, 1<<10)
			}
		case "status":
			if v := s.jstr(); v.set {
				r.status = cleanString(v.raw, v.esc, 1<<10)
			}
		case "output":
			v := s.value()
			if len(v) > 0 && v[0] == '[' && string(v) != "[]" {
				r.setOutput(v, bud)
			}
		case "output_text":
			if v := s.jstr(); v.set {
				r.outputText = value{}
				r.outputText.add(bud, v, new([]byte))
			}
		case "error":
			if s.null() {
				continue
			}
			if e, ok := parseErrorValue(s.value()); ok {
				r.err, r.hasErr = e, true
			}
		case "incomplete_details":
			if s.null() {
				continue
			}
			if s.peek() != '{' {
				s.skip()
				continue
			}
			s.open('{')
			for m := 0; s.next('}', &m); {
				k, esc := s.key()
				if keyIs(k, esc, "reason") {
					if v := s.jstr(); v.set {
						r.incomplete = cleanString(v.raw, v.esc, 1<<10)
					}
					continue
				}
				s.skip()
			}
		case "usage":
			if s.peek() == '{' {
				r.usage = parseUsage(s.value())
			} else {
				s.skip()
			}
		default:
			s.skip()
		}
	}
}

// setOutput keeps the raw output items when they fit in the budget; else
// the output becomes a JSON string holding their cut JSON.
func (r *responseAgg) setOutput(v []byte, bud *budget) {
	bud.left += len(r.output) // a later final response replaces an earlier one
	r.output = nil
	if len(v) <= bud.left {
		r.output = append([]byte(nil), v...)
		bud.left -= len(v)
		return
	}
	var kept value
	kept.addBytes(bud, v)
	r.output = jsonw.String(nil, string(kept.b))
}

// event folds in one Responses stream event. It reports whether the event
// carried a token, whether it ended the answer, and whether it could be
// read (false: data that is not a JSON object as the client reads one).
func (r *responseAgg) event(name, data []byte, bud *budget, scratch *[]byte) (token, end, read bool) {
	s := scanner{b: data}
	if !s.open('{') {
		return false, false, false
	}
	var typ, delta, msg jstr
	var resp, errv, code []byte
	for n := 0; s.next('}', &n); {
		k, esc := s.key()
		switch string(unescapedKey(k, esc)) {
		case "type":
			typ = s.jstr()
		case "delta":
			delta = s.jstr()
		case "response":
			resp = s.value()
		case "error":
			if !s.null() {
				errv = s.value()
			}
		case "code":
			code = s.value()
		case "message":
			msg = s.jstr()
		default:
			s.skip()
		}
	}
	if s.bad {
		return false, false, false
	}
	token, end = r.fold(name, typ, delta, msg, resp, errv, code, bud, scratch)
	return token, end, true
}

// fold applies one read Responses stream event.
func (r *responseAgg) fold(name []byte, typ, delta, msg jstr, resp, errv, code []byte, bud *budget, scratch *[]byte) (token, end bool) {
	t := string(typ.raw)
	if t == "" {
		t = string(name)
	}
	switch t {
	case "response.output_text.delta":
		r.text.add(bud, delta, scratch)
		return len(delta.raw) > 0, false
	case "response.reasoning_text.delta", "response.reasoning_summary_text.delta",
		"response.function_call_arguments.delta", "response.refusal.delta":
		return len(delta.raw) > 0, false
	case "response.completed", "response.incomplete", "response.failed":
		if resp != nil {
			r.readResponse(resp, bud)
		}
		r.final = true
		return false, true
	case "response.created", "response.in_progress", "response.queued":
		if resp != nil {
			var early responseAgg
			early.readResponse(resp, &budget{}) // id and model only
			r.id, r.model = early.id, early.model
		}
	case "error":
		r.hasErr = true
		if e, ok := parseErrorValue(errv); ok {
			r.err = e
		}
		if msg.set && r.err.message == "" {
			r.err.message = cleanString(msg.raw, msg.esc, maxErrorText)
		}
		if c := errorCode(code); c != "" && r.err.code == "" {
			r.err.code = c
		}
		return false, true
	}
	return false, false
}

// result sets the Result's fields from the response.
func (r *responseAgg) result(res *Result) {
	res.ID, res.Model, res.ServiceTier = r.id, r.model, r.tier
	res.Usage = r.usage
	switch {
	case len(r.output) > 0:
		res.Output = r.output
	case len(r.outputText.b) > 0:
		res.Output = appendValue(nil, r.outputText.b)
	case len(r.text.b) > 0:
		res.Output = appendValue(nil, r.text.b)
	}
	if r.status != "" {
		res.FinishReasons = []string{r.status}
	}
	switch {
	case r.hasErr || r.status == "failed":
		res.ErrMessage, res.ErrType, res.ErrCode = r.err.message, r.err.typ, r.err.code
		if res.ErrMessage == "" {
			res.ErrMessage = "response failed"
		}
	case r.status == "incomplete":
		res.Warning = "incomplete"
		if r.incomplete != "" {
			res.Warning = "incomplete: " + r.incomplete
		}
	}
}
