package repl

import (
	"bytes"
	"crypto/rand"
	"io"
	"os"
	"sync"
	"time"
)

// stream is one output stream of a session (stdout or stderr). The
// interpreter writes to the write end of a pipe, so interpreted code that
// writes to os.Stdout (not only fmt.Print and log) is captured too; a reader
// goroutine forwards what arrives to the current sink. To know when
// everything an evaluation wrote has been forwarded, sync writes a random
// marker through the pipe and waits for the reader to see it.
//
// On the error stream the reader also takes out the lines the interpreter
// writes for the frames a panic unwinds and hands them to panicLines: they
// become the PanicError's Trace rather than output of their own.
type stream struct {
	r, w       *os.File
	marker     []byte
	synced     chan struct{}
	done       chan struct{}
	syncMu     sync.Mutex // one sync at a time
	panicLines func(line string)

	mu   sync.Mutex
	sink io.Writer
}

// setPanicLines makes the reader take out the interpreter's panic lines
// and pass them to f. Call it before anything is written.
func (s *stream) setPanicLines(f func(line string)) { s.panicLines = f }

// keep adds text to a capture without passing it to the live writer (for
// what the session reports as an error instead of printing).
func (s *stream) keep(c *capture, text string) {
	if c == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	live := c.live
	c.live = nil
	c.Write([]byte(text))
	c.live = live
}

func newStream() (*stream, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	marker := make([]byte, 24)
	copy(marker, "\x00marill-sync\x00")
	rand.Read(marker[12:])
	s := &stream{r: r, w: w, marker: marker, synced: make(chan struct{}, 1), done: make(chan struct{})}
	go s.read()
	return s, nil
}

func (s *stream) setSink(w io.Writer) {
	s.mu.Lock()
	s.sink = w
	s.mu.Unlock()
}

// switchTo runs f and makes w the sink, with no output arriving in
// between (f moves what the old sink kept).
func (s *stream) switchTo(w io.Writer, f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f()
	s.sink = w
}

func (s *stream) emit(b []byte) {
	if len(b) == 0 {
		return
	}
	s.mu.Lock()
	if s.sink != nil {
		s.sink.Write(b)
	}
	s.mu.Unlock()
}

func (s *stream) read() {
	defer close(s.done)
	buf := make([]byte, 32<<10)
	var pending []byte
	for {
		n, err := s.r.Read(buf)
		pending = append(pending, buf[:n]...)
		for {
			i := bytes.Index(pending, s.marker)
			if i < 0 {
				break
			}
			s.emit(s.filter(pending[:i]))
			pending = pending[i+len(s.marker):]
			select {
			case s.synced <- struct{}{}:
			default:
			}
		}
		// Hold back a tail that may be the start of a marker, or of a
		// panic line.
		k := markerPrefix(pending, s.marker)
		if s.panicLines != nil {
			out := pending[:len(pending)-k]
			if tail := out[bytes.LastIndexByte(out, '\n')+1:]; len(tail) < 256 && panicPrefixRE.Match(tail) {
				k = len(pending) - (len(out) - len(tail))
			}
		}
		s.emit(s.filter(pending[:len(pending)-k]))
		pending = append([]byte(nil), pending[len(pending)-k:]...)
		if err != nil {
			s.emit(pending)
			return
		}
	}
}

// filter takes the interpreter's panic lines out of b (whole lines only).
func (s *stream) filter(b []byte) []byte {
	if s.panicLines == nil || !bytes.Contains(b, []byte(": panic: ")) {
		return b
	}
	var out []byte
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			out = append(out, b...)
			break
		}
		line := b[:i]
		if panicLineRE.Match(line) {
			s.panicLines(string(line))
		} else {
			out = append(out, b[:i+1]...)
		}
		b = b[i+1:]
	}
	return out
}

// markerPrefix is the length of the longest suffix of b that is a proper
// prefix of marker.
func markerPrefix(b, marker []byte) int {
	for k := min(len(b), len(marker)-1); k > 0; k-- {
		if bytes.Equal(b[len(b)-k:], marker[:k]) {
			return k
		}
	}
	return 0
}

// sync waits until everything written to the stream before the call has
// reached the sink (or the timeout passes: output then goes to the next
// sink rather than blocking the session).
func (s *stream) sync(timeout time.Duration) {
	s.syncMu.Lock()
	defer s.syncMu.Unlock()
	select {
	case <-s.synced: // a stale signal from an earlier timed-out sync
	default:
	}
	if _, err := s.w.Write(s.marker); err != nil {
		return
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-s.synced:
	case <-s.done:
	case <-t.C:
	}
}

func (s *stream) close() {
	s.w.Close()
	<-s.done
	s.r.Close()
}

// capture is the sink of one evaluation: it keeps a bounded copy of what
// arrives and passes everything on to an optional live writer.
type capture struct {
	buf       bytes.Buffer
	live      io.Writer
	limit     int
	truncated bool
}

func (c *capture) Write(b []byte) (int, error) {
	if c.live != nil {
		c.live.Write(b)
	}
	if room := c.limit - c.buf.Len(); room > 0 {
		c.buf.Write(b[:min(len(b), room)])
		if len(b) > room {
			c.truncated = true
		}
	} else if len(b) > 0 {
		c.truncated = true
	}
	return len(b), nil
}

func (c *capture) String() string {
	if c.truncated {
		return c.buf.String() + "\n[output truncated]\n"
	}
	return c.buf.String()
}
