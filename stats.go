package litefuse

// Stats counts the sampled spans of every pipeline of the process since
// it started: the default one and those of clients given their own
// settings (see [Option]). Spans given to a TracerProvider of the
// application's own ([WithTracerProvider]) are its own to count.
//
// Every sampled span ends up exactly one of Exported, Failed or Dropped;
// until then it is Queued. So at every instant
//
//	Ended == Exported + Failed + Dropped + Queued
//
// and once the pipeline is idle (after a successful Flush, or Shutdown)
// Queued is 0.
type Stats struct {
	// Ended is the number of sampled spans ended. A call's span ends when
	// its recording is finished, which may be shortly after the call
	// returned (its answer read beside the caller): the counts are final
	// for what came before a Flush once it returns.
	Ended int64
	// Exported is the number of spans Litefuse accepted.
	Exported int64
	// Failed is the number of spans sent and not accepted after retries:
	// Litefuse down or throttling, bad keys, timeout, a span too large
	// (413) alone, or rejected in a partial-success answer.
	Failed int64
	// Dropped is the number of spans never sent: the queue was full in
	// spans ([WithMaxQueueSize]) or bytes ([WithMaxQueueBytes]), or they
	// were still queued (or their call still being recorded) at
	// Shutdown's deadline.
	Dropped int64
	// Queued is the number of spans waiting for export or in flight now.
	Queued int64

	// Scores ([CreateScore]) are counted the same way: every score ends up
	// ScoresSent, ScoresFailed (refused, or retries ran out) or
	// ScoresDropped (queue full, or still queued at Shutdown's deadline);
	// until then it is ScoresQueued.
	ScoresSent, ScoresFailed, ScoresDropped, ScoresQueued int64

	// Media uploads (image and audio data URIs in recorded inputs and
	// outputs, see docs/platform.md) are counted the same way: every
	// upload ends up MediaUploaded (Litefuse has the media: uploaded now,
	// or already stored), MediaFailed (refused, or retries ran out) or
	// MediaDropped (queue full in uploads or bytes, or still queued at
	// Shutdown's deadline); until then it is MediaQueued. A payload seen
	// again while uploaded or uploading recently is not uploaded again and
	// not counted again.
	MediaUploaded, MediaFailed, MediaDropped, MediaQueued int64
}

// ReadStats returns the counters of every pipeline, summed; all zero when
// tracing is off.
func ReadStats() Stats {
	var st Stats
	_, insts := pipelines()
	for _, inst := range insts {
		if inst == nil || inst.proc == nil {
			continue
		}
		s := inst.stats()
		st.Ended += s.Ended
		st.Exported += s.Exported
		st.Failed += s.Failed
		st.Dropped += s.Dropped
		st.Queued += s.Queued
	}
	st.ScoresSent, st.ScoresFailed, st.ScoresDropped, st.ScoresQueued = platformStats()
	m := mediaStats()
	st.MediaUploaded, st.MediaFailed, st.MediaDropped, st.MediaQueued = m.Sent, m.Failed, m.Dropped, m.Queued
	return st
}

func (inst *instance) stats() Stats {
	c := inst.proc.Counts()
	// Calls Shutdown gave up on while they were being recorded (beside the
	// caller) never reach the processor: they count here.
	lost := inst.renders.dropped()
	return Stats{Ended: c.Ended + lost, Exported: c.Exported, Failed: c.Failed, Dropped: c.Dropped + lost, Queued: c.Queued}
}
