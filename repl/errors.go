package repl

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// ErrInterrupted is returned (wrapped, together with the context's error)
// by an evaluation whose context was cancelled: Ctrl-C in the shell, an
// interrupt request in a notebook.
var ErrInterrupted = errors.New("repl: interrupted")

// SyntaxError is input that does not parse. Positions are line:column of
// the input (file:line:column for a file).
type SyntaxError struct {
	Msg string
}

func (e *SyntaxError) Error() string { return e.Msg }

// PanicError is a panic in evaluated code, interpreted or compiled.
type PanicError struct {
	// Value is the value passed to panic.
	Value any
	// Stack lists the compiled functions the panic passed through (the
	// interpreter's own frames left out); empty for a panic in interpreted
	// code.
	Stack string
	// Trace lists the interpreted functions the panic passed through,
	// innermost first, as "f at line:column" ("input" for the input's top
	// level). The interpreter prints these on its error stream; the
	// session takes them out of the stream and puts them here.
	Trace []string
}

func (e *PanicError) Error() string {
	msg := fmt.Sprintf("panic: %v", e.Value)
	if e.Stack != "" {
		msg += "\n" + e.Stack
	}
	for _, f := range e.Trace {
		msg += "\n  " + f
	}
	return msg
}

// panicLineRE matches the line the interpreter writes for each interpreted
// frame a panic unwinds ("3:2: panic: f(...)"); the session's positions
// carry no file name (see lineDirective).
var panicLineRE = regexp.MustCompile(`^(\d+:\d+): panic: (.*)\(\.\.\.\)$`)

// panicPrefixRE matches what may be the start of such a line.
var panicPrefixRE = regexp.MustCompile(`^\d+(:(\d+(:( (p(a(n(i(c(:( .*)?)?)?)?)?)?)?)?)?)?)?$`)

// panicFrames turns the interpreter's panic lines into Trace entries.
func panicFrames(lines []string) []string {
	var out []string
	for _, l := range lines {
		m := panicLineRE.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		fn := strings.TrimPrefix(m[2], "main.")
		switch {
		case fn == "main": // the interpreter's wrapper of top-level statements
			fn = "input"
		case strings.HasPrefix(fn, "_marill") && strings.HasSuffix(fn, "_main"):
			fn = "main" // a declared main, renamed (see renameMain)
		}
		out = append(out, fn+" at "+m[1])
	}
	return out
}

// GoroutinePanicError is a panic in a goroutine started by evaluated code.
// The session recovers it (it would otherwise end the process), prints it
// on the error stream, and returns it from the evaluation that was running.
type GoroutinePanicError struct {
	// Site is where the go statement is ("line 3", "study.go:12").
	Site  string
	Value any
}

func (e *GoroutinePanicError) Error() string {
	return fmt.Sprintf("panic in goroutine started at %s: %v", e.Site, e.Value)
}

// ExitError is a call of os.Exit (or log.Fatal) by evaluated code. The
// session does not exit; marill-repl's run and -e modes exit with Code.
type ExitError struct {
	Code int
}

func (e *ExitError) Error() string { return fmt.Sprintf("os.Exit(%d)", e.Code) }

// compiledStack keeps the frames of a panic's stack that belong to compiled
// packages other than the interpreter, reflect and the runtime: where in
// our code a panic came from.
func compiledStack(stack []byte) string {
	lines := strings.Split(string(stack), "\n")
	var out []string
	for i := 0; i+1 < len(lines); i++ {
		fn := lines[i]
		if strings.HasPrefix(fn, "\t") || fn == "" || strings.HasPrefix(fn, "goroutine ") || strings.HasPrefix(fn, "created by ") {
			continue
		}
		loc := strings.TrimSpace(lines[i+1])
		skip := false
		for _, p := range []string{"github.com/traefik/yaegi", "reflect.", "runtime.", "runtime/debug.", "panic(",
			"github.com/marill-go/marill/repl.", "github.com/marill-go/marill/repl/"} {
			if strings.HasPrefix(fn, p) {
				skip = true
				break
			}
		}
		if !skip {
			if j := strings.LastIndex(loc, " +0x"); j >= 0 {
				loc = loc[:j]
			}
			out = append(out, "  "+fn+"\n      "+loc)
		}
		i++
	}
	return strings.Join(out, "\n")
}
