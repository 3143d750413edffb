package export

import (
	"errors"
	"io"
	"sync"
)

// errBodyGone is a request body's Read after its Close, and a GetBody
// after the export returned: neither happens with net/http's transport.
var errBodyGone = errors.New("litefuse: the export request's body was already released")

// reqBody is one export's request payload in a pooled buffer. net/http
// may still read a request body after the answer came (the transport
// writes it on its own goroutine and closes it when done, possibly after
// Client.Do returned), so the buffer goes back to its pool only once
// the export is over (done) and every reader handed out has been closed;
// a reader reads the buffer under mu, and not at all once closed. A
// transport that never closes a body (against http.RoundTripper's
// contract) only costs the reuse: the buffer is left to the garbage
// collector.
type reqBody struct {
	mu   sync.Mutex
	data []byte
	open int       // readers handed out and not closed
	done bool      // the export returned: no more readers
	raw  *[]byte   // the pooled protobuf buffer data is in, or nil
	gz   *gzBuffer // the pooled compressed buffer data is in, or nil
}

// reader is a new reader of the whole payload: the first request's body
// and http.Request.GetBody's for a retried one.
func (b *reqBody) reader() (io.ReadCloser, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.done {
		return nil, errBodyGone
	}
	b.open++
	return &bodyReader{b: b}, nil
}

// finish tells that the export is over: the buffer goes back to its pool
// now if no reader is open, else when the last one is closed.
func (b *reqBody) finish() {
	b.mu.Lock()
	b.done = true
	release := b.open == 0
	b.mu.Unlock()
	if release {
		b.release()
	}
}

func (b *reqBody) release() {
	b.data = nil
	if b.raw != nil {
		putBody(b.raw)
		b.raw = nil
	}
	if b.gz != nil {
		putGzBuffer(b.gz)
		b.gz = nil
	}
}

type bodyReader struct {
	b      *reqBody
	off    int
	closed bool
}

func (r *bodyReader) Read(p []byte) (int, error) {
	r.b.mu.Lock()
	defer r.b.mu.Unlock()
	if r.closed {
		return 0, errBodyGone
	}
	if r.off >= len(r.b.data) {
		return 0, io.EOF
	}
	n := copy(p, r.b.data[r.off:])
	r.off += n
	return n, nil
}

func (r *bodyReader) Close() error {
	b := r.b
	b.mu.Lock()
	if r.closed {
		b.mu.Unlock()
		return nil
	}
	r.closed = true
	b.open--
	release := b.done && b.open == 0
	b.mu.Unlock()
	if release {
		b.release()
	}
	return nil
}

// keptOne keeps one buffer for good: a batch of 512 generations is about
// 600 KB, encoded once per export, and exports are too far apart for a
// sync.Pool (emptied by the garbage collector) to keep one.
type keptOne[T any] chan *T

// get returns the kept buffer, or a new one.
func (k keptOne[T]) get() *T {
	select {
	case p := <-k:
		return p
	default:
		return new(T)
	}
}

// put keeps p, emptied by the caller, unless one is kept already.
func (k keptOne[T]) put(p *T) {
	select {
	case k <- p:
	default:
	}
}

// bodies keeps one protobuf request buffer.
var bodies = make(keptOne[[]byte], 1)

// maxKeptBody bounds a buffer kept between exports.
const maxKeptBody = 4 << 20

func getBody() *[]byte { return bodies.get() }

func putBody(p *[]byte) {
	if cap(*p) > maxKeptBody {
		return
	}
	*p = (*p)[:0]
	bodies.put(p)
}
