package repl

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"reflect"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/traefik/yaegi/interp"
	"github.com/traefik/yaegi/stdlib"

	"github.com/marill-go/marill/marill/study"
)

// Goroutines started by evaluated code belong to the evaluation that ran
// the go statement (Eval rewrites go statements to register them, see
// rewriteGo): what such a goroutine prints with fmt.Print*, displays or
// panics with goes to that evaluation's live writers, also after the
// evaluation has finished and another one runs. A notebook thus shows a
// background goroutine's output in the cell that started it.

// goid returns the calling goroutine's id, read from the first line of its
// stack trace ("goroutine 42 [running]:"). It costs about a microsecond, so
// the session only asks while registered goroutines exist.
func goid() int64 {
	var buf [64]byte
	b := buf[:runtime.Stack(buf[:], false)]
	b = bytes.TrimPrefix(b, []byte("goroutine "))
	if i := bytes.IndexByte(b, ' '); i > 0 {
		b = b[:i]
	}
	id, _ := strconv.ParseInt(string(b), 10, 64)
	return id
}

// cellHook is _marill.Cell, called by a go statement before it starts the
// goroutine: the id of the evaluation the statement runs in (the calling
// goroutine's owner, or the running evaluation), 0 if none. The evaluation
// counts the goroutine from here, so that it is still known when the
// goroutine gets to run after the evaluation has finished.
func (s *Session) cellHook() int {
	ev := s.owner()
	s.mu.Lock()
	defer s.mu.Unlock()
	if ev == nil {
		ev = s.cur
	}
	if ev == nil {
		return 0
	}
	s.cells[ev.id] = ev
	ev.goroutines++
	return ev.id
}

// enterHook is _marill.Enter, the first statement of a started goroutine:
// it records the goroutine's owner.
func (s *Session) enterHook(cell int) {
	id := goid()
	s.mu.Lock()
	defer s.mu.Unlock()
	if ev := s.cells[cell]; ev != nil {
		s.owners[id] = ev
		s.nOwners.Store(int64(len(s.owners)))
	}
}

// goEndHook is _marill.GoEnd, deferred by every started goroutine: it
// forgets the goroutine and reports its panic, if any. A panic is returned
// by the evaluation that started the goroutine if it still runs (and kept
// in its Result.Stderr, not sent to the live writer: a front end shows the
// returned error); otherwise it is printed on that evaluation's error
// writer.
func (s *Session) goEndHook(site string, r any) {
	id := goid()
	s.mu.Lock()
	ev := s.owners[id]
	if ev != nil {
		delete(s.owners, id)
		s.nOwners.Store(int64(len(s.owners)))
		if ev.goroutines--; ev.goroutines == 0 && ev.done {
			delete(s.cells, ev.id)
		}
	}
	if ev == nil {
		ev = s.cur
	}
	if r == nil {
		s.mu.Unlock()
		return
	}
	err := &GoroutinePanicError{Site: site, Value: unwrapValue(r)}
	msg := "repl: " + err.Error() + "\n"
	if ev != nil && !ev.done {
		// Under s.mu: evalInput reads the capture after marking ev done.
		ev.goPanics = append(ev.goPanics, err)
		s.errs.keep(ev.errCapture, msg)
		s.mu.Unlock()
		return
	}
	var w io.Writer = s.errs.w
	if ev != nil && ev.stderr != nil {
		w = ev.stderr
	}
	s.mu.Unlock()
	io.WriteString(w, msg)
}

// owner returns the evaluation that started the calling goroutine, or nil.
func (s *Session) owner() *evaluation {
	if s.nOwners.Load() == 0 {
		return nil
	}
	id := goid()
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.owners[id]
}

// target is where output and displays of the calling goroutine go: the
// evaluation that started it, or the running one; running tells whether
// that evaluation still runs (its output then flows through the session's
// streams, in order, into its Result). With no evaluation, the live
// writer of the session.
func (s *Session) target() (ev *evaluation, stdout io.Writer, running bool) {
	ev = s.owner()
	s.mu.RLock()
	defer s.mu.RUnlock()
	if ev == nil {
		ev = s.cur
	}
	if ev == nil {
		return nil, s.opts.Stdout, false
	}
	return ev, ev.stdout, !ev.done
}

// stdoutFor is the writer of fmt.Print* for the calling goroutine: the
// session's stream, or, for a goroutine whose evaluation has finished, the
// live writer that evaluation had.
func (s *Session) stdoutFor() io.Writer {
	if ev, w, running := s.target(); ev != nil && !running && w != nil {
		return w
	}
	return s.out.w
}

// printers replace the interpreter's fmt.Print, Printf and Println (which
// write to the session's stream) by versions that route a finished
// evaluation's goroutines to its live writer. The key "fmt/./fmt" names
// package fmt without being "fmt/fmt", which would make the interpreter
// reinstall its own versions (interp.Use calls fixStdlib for that key).
func (s *Session) printers() interp.Exports {
	print := reflect.ValueOf(func(a ...any) (int, error) { return fmt.Fprint(s.stdoutFor(), a...) })
	printf := reflect.ValueOf(func(f string, a ...any) (int, error) { return fmt.Fprintf(s.stdoutFor(), f, a...) })
	println := reflect.ValueOf(func(a ...any) (int, error) { return fmt.Fprintln(s.stdoutFor(), a...) })
	return interp.Exports{
		"fmt/./fmt": {"Print": print, "Printf": printf, "Println": println},
		// Interpreted values keep their String and Error methods when
		// printed, as with the interpreter's own functions.
		".": {"MapTypes": reflect.ValueOf(map[reflect.Value][]reflect.Type{
			print:   stdlib.MapTypes[reflect.ValueOf(fmt.Print)],
			printf:  stdlib.MapTypes[reflect.ValueOf(fmt.Printf)],
			println: stdlib.MapTypes[reflect.ValueOf(fmt.Println)],
		})},
	}
}

// show displays v for the calling goroutine's evaluation: through its
// Displayer (after the text printed before it), or as text.
func (s *Session) show(v any, id string, update bool) {
	ev, w, running := s.target()
	if d, ok := w.(Displayer); ok {
		if running {
			s.out.sync(time.Second)
		}
		var err error
		if update {
			err = d.Update(id, v)
		} else {
			err = d.Display(v, id)
		}
		if err != nil {
			s.printErr(ev, running, err)
		}
		return
	}
	text, _, err := s.display([]any{v})
	if err != nil {
		s.printErr(ev, running, err)
		return
	}
	fmt.Fprintln(s.stdoutFor(), text)
}

func (s *Session) printErr(ev *evaluation, running bool, err error) {
	var w io.Writer = s.errs.w
	if ev != nil && !running && ev.stderr != nil {
		w = ev.stderr
	}
	fmt.Fprintf(w, "repl: display: %v\n", err)
}

// displayHook is repl.Display inside the session.
func (s *Session) displayHook(vs ...any) {
	for _, v := range vs {
		s.show(unwrapValue(v), "", false)
	}
}

// newDisplayHook is repl.NewDisplay inside the session.
func (s *Session) newDisplayHook(v any) *DisplayHandle {
	id := newDisplayID()
	s.show(unwrapValue(v), id, false)
	return &DisplayHandle{update: func(v any) { s.show(unwrapValue(v), id, true) }}
}

func newDisplayID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// progressHook is repl.Progress inside the session: with a rich front end
// a display updated in place (at most every progressEvery, and on the first
// and last update), otherwise a bar on the error stream.
func (s *Session) progressHook() study.Progress {
	if _, w, _ := s.target(); w != nil {
		if _, ok := w.(Displayer); ok {
			return &progressDisplay{s: s}
		}
	}
	return study.NewBar(s.errs.w)
}

const progressEvery = 100 * time.Millisecond

type progressDisplay struct {
	s *Session

	mu   sync.Mutex
	h    *DisplayHandle
	last time.Time
}

func (p *progressDisplay) Update(st study.Status) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	switch {
	case p.h == nil:
		p.h = p.s.newDisplayHook(st)
	case st.Finished || now.Sub(p.last) >= progressEvery:
		p.h.Update(st)
	default:
		return
	}
	p.last = now
}
