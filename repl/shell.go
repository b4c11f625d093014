package repl

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/ergochat/readline"
)

// ShellOptions configure a Shell.
type ShellOptions struct {
	// Stdin, Stdout and Stderr default to the process's.
	Stdin          io.ReadCloser
	Stdout, Stderr io.Writer
	// HistoryFile keeps inputs across runs (default ~/.marill_history;
	// the MARILL_HISTORY environment variable overrides the default; "-",
	// in either, keeps no history file).
	HistoryFile string
	// Session configures the shell's session; its Stdout and Stderr are
	// replaced by the terminal's.
	Session Options
}

// Shell is marill-repl's interactive loop: line editing, history, Tab
// completion, multi-line input, Ctrl-C to cancel an evaluation, and the
// :commands.
type Shell struct {
	opts    ShellOptions
	rl      *readline.Instance
	session *Session
	out     *lineTracker
	errw    io.Writer
	history string

	mu     sync.Mutex
	cancel context.CancelFunc // of the running evaluation
}

const (
	prompt     = "marill> "
	contPrompt = "   ...  "
)

// DefaultHistoryFile is the history file used when ShellOptions.HistoryFile
// is empty.
func DefaultHistoryFile() string {
	if f := os.Getenv("MARILL_HISTORY"); f != "" {
		return f
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return ""
	}
	return filepath.Join(home, ".marill_history")
}

// NewShell starts a session and the line editor.
func NewShell(opts ShellOptions) (*Shell, error) {
	if opts.Stdin == nil {
		opts.Stdin = os.Stdin
	}
	if opts.Stdout == nil {
		opts.Stdout = os.Stdout
	}
	if opts.Stderr == nil {
		opts.Stderr = os.Stderr
	}
	sh := &Shell{opts: opts}
	sh.history = opts.HistoryFile
	if sh.history == "" {
		sh.history = DefaultHistoryFile()
	}
	if sh.history == "-" {
		sh.history = ""
	}
	rl, err := readline.NewFromConfig(&readline.Config{
		Prompt: prompt,
		// Readline's own file stores each line of a multi-line entry as an
		// entry; the shell keeps the file itself, one entry per line.
		DisableAutoSaveHistory: true,
		HistoryLimit:           1000,
		HistorySearchFold:      true,
		AutoComplete:           completer{sh},
		Stdin:                  opts.Stdin,
		Stdout:                 opts.Stdout,
		Stderr:                 opts.Stderr,
	})
	if err != nil {
		return nil, fmt.Errorf("repl: %w", err)
	}
	sh.rl = rl
	sh.out = &lineTracker{w: rl.Stdout(), atStart: true}
	sh.errw = &lineTrackerAlias{sh.out, rl.Stderr()}
	sopts := opts.Session
	sopts.Stdout, sopts.Stderr = sh.out, sh.errw
	if sh.session, err = New(sopts); err != nil {
		rl.Close()
		return nil, err
	}
	sh.loadHistory()
	return sh, nil
}

// Session is the shell's session.
func (sh *Shell) Session() *Session { return sh.session }

// Close ends the session and restores the terminal.
func (sh *Shell) Close() error {
	sh.session.Close()
	return sh.rl.Close()
}

// Run reads and evaluates inputs until end of input (Ctrl-D) or :quit.
func (sh *Shell) Run() error {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt)
	defer signal.Stop(sigs)
	go func() {
		for range sigs {
			sh.mu.Lock()
			if sh.cancel != nil {
				sh.cancel()
			}
			sh.mu.Unlock()
		}
	}()

	fmt.Fprintln(sh.out, "marill-repl: Go with marill's packages imported; :help lists commands, Ctrl-D exits.")
	var lines []string
	for {
		if len(lines) == 0 {
			sh.rl.SetPrompt(prompt)
		} else {
			sh.rl.SetPrompt(contPrompt)
		}
		sh.out.newline()
		line, err := sh.rl.ReadLine()
		switch {
		case errors.Is(err, readline.ErrInterrupt):
			if len(lines) == 0 {
				fmt.Fprintln(sh.out, "(Ctrl-D or :quit exits)")
			}
			lines = nil
			continue
		case errors.Is(err, io.EOF):
			return nil
		case err != nil:
			return fmt.Errorf("repl: %w", err)
		}
		lines = append(lines, line)
		src := strings.Join(lines, "\n")
		if strings.TrimSpace(src) == "" {
			lines = nil
			continue
		}
		if len(lines) == 1 && strings.HasPrefix(strings.TrimSpace(line), ":") {
			lines = nil
			sh.remember(src)
			if quit := sh.command(strings.TrimSpace(line)); quit {
				return nil
			}
			continue
		}
		if sh.session.IsComplete(src) == Incomplete {
			continue
		}
		lines = nil
		sh.remember(src)
		sh.eval(src, false)
	}
}

// interruptible runs f with a context that Ctrl-C cancels.
func (sh *Shell) interruptible(f func(ctx context.Context) (*Result, error)) (*Result, error) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sh.mu.Lock()
	sh.cancel = cancel
	sh.mu.Unlock()
	defer func() {
		sh.mu.Lock()
		sh.cancel = nil
		sh.mu.Unlock()
	}()
	return f(ctx)
}

// eval evaluates src, cancellable with Ctrl-C, and prints its value or
// error.
func (sh *Shell) eval(src string, timed bool) {
	res, err := sh.interruptible(func(ctx context.Context) (*Result, error) { return sh.session.Eval(ctx, src) })
	sh.report(res, err)
	if timed && res != nil {
		sh.out.newline()
		fmt.Fprintf(sh.out, "took %s\n", res.Duration)
	}
}

func (sh *Shell) report(res *Result, err error) {
	if res != nil && res.Text != "" {
		sh.out.newline()
		fmt.Fprintln(sh.out, res.Text)
	}
	if err == nil {
		return
	}
	sh.out.newline()
	var exit *ExitError
	switch {
	case errors.Is(err, ErrInterrupted):
		fmt.Fprintln(sh.errw, "interrupted (compiled calls that ignore repl.Context() finish in the background)")
	case errors.As(err, &exit):
		fmt.Fprintf(sh.errw, "%v: the shell keeps running (Ctrl-D or :quit exits)\n", err)
	default:
		fmt.Fprintln(sh.errw, err)
	}
}

const shellHelp = `Type Go: declarations and statements, in any mix; an input continues
until it parses. marill's packages (marill, study, train, data, mpc,
plain, trace, secure, proto, transport, fn, fxp, sim, plots, repl) are
imported; the standard library is imported on first use.
An input ending in an expression shows its value. Tab completes, Ctrl-C
cancels an evaluation (pass repl.Context() to long calls such as
study.Run), Ctrl-D exits.

:help          this text
:doc NAME      Go doc of a package, symbol or variable member (marill.Knobs, pre.FineTune)
:reset         forget every variable, declaration and import
:load FILE     evaluate a Go file in the session (its main runs once)
:save FILE     write the session's inputs as a Go program
:time EXPR     evaluate and print how long it took
:quit          exit

The interpreter is yaegi v0.16.1: loop variables are shared between
iterations (Go before 1.22), and range over integers or functions,
min/max/clear and generic functions of compiled packages are not
available.`

// command runs a :command; it reports whether the shell should exit.
func (sh *Shell) command(line string) bool {
	name, arg, _ := strings.Cut(line, " ")
	arg = strings.TrimSpace(arg)
	switch name {
	case ":help", ":h", ":?":
		fmt.Fprintln(sh.out, shellHelp)
	case ":quit", ":q", ":exit":
		return true
	case ":doc":
		d, err := sh.session.Doc(arg)
		if err != nil {
			fmt.Fprintln(sh.errw, err)
			break
		}
		fmt.Fprint(sh.out, d)
	case ":reset":
		if err := sh.session.Reset(); err != nil {
			fmt.Fprintln(sh.errw, err)
			break
		}
		fmt.Fprintln(sh.out, "session reset")
	case ":load":
		if arg == "" {
			fmt.Fprintln(sh.errw, ":load needs a file")
			break
		}
		sh.report(sh.interruptible(func(ctx context.Context) (*Result, error) { return sh.session.EvalFile(ctx, arg) }))
	case ":save":
		if arg == "" {
			fmt.Fprintln(sh.errw, ":save needs a file")
			break
		}
		if err := sh.session.Save(arg); err != nil {
			fmt.Fprintln(sh.errw, err)
			break
		}
		fmt.Fprintf(sh.out, "saved %d inputs to %s\n", len(sh.session.Inputs()), arg)
	case ":time":
		if arg == "" {
			fmt.Fprintln(sh.errw, ":time needs an expression")
			break
		}
		sh.eval(arg, true)
	default:
		fmt.Fprintf(sh.errw, "unknown command %s (:help lists them)\n", name)
	}
	return false
}

var shellCommands = []string{":doc ", ":help", ":load ", ":quit", ":reset", ":save ", ":time "}

// completer adapts Session.Complete (and command names) to readline.
type completer struct{ sh *Shell }

func (c completer) Do(line []rune, pos int) ([][]rune, int) {
	text := string(line[:pos])
	trimmed := strings.TrimLeft(text, " ")
	if strings.HasPrefix(trimmed, ":") {
		name, arg, hasArg := strings.Cut(trimmed, " ")
		if !hasArg {
			var out [][]rune
			for _, cmd := range shellCommands {
				if strings.HasPrefix(cmd, name) {
					out = append(out, []rune(cmd[len(name):]))
				}
			}
			return out, len([]rune(name))
		}
		switch name {
		case ":load", ":save":
			return completeFile(arg)
		case ":doc", ":time":
			comp := c.sh.session.Complete(arg, len([]rune(arg)))
			return suffixes(comp, []rune(arg)), comp.End - comp.Start
		}
		return nil, 0
	}
	comp := c.sh.session.Complete(string(line), pos)
	return suffixes(comp, line), comp.End - comp.Start
}

func suffixes(c Completion, line []rune) [][]rune {
	typed := len(string(line[c.Start:c.End]))
	var out [][]rune
	for _, m := range c.Matches {
		out = append(out, []rune(m[typed:]))
	}
	return out
}

func completeFile(prefix string) ([][]rune, int) {
	matches, _ := filepath.Glob(prefix + "*")
	var out [][]rune
	for _, m := range matches {
		if fi, err := os.Stat(m); err == nil && fi.IsDir() {
			m += string(os.PathSeparator)
		}
		out = append(out, []rune(m[len(prefix):]))
	}
	return out, len([]rune(prefix))
}

// History file: one entry per line; an entry with a newline (a multi-line
// function) or starting with a quote is written as a Go string literal.
func encodeHistory(entry string) string {
	if strings.ContainsAny(entry, "\n\r") || strings.HasPrefix(entry, `"`) {
		return strconv.Quote(entry)
	}
	return entry
}

func decodeHistory(line string) string {
	if strings.HasPrefix(line, `"`) {
		if s, err := strconv.Unquote(line); err == nil {
			return s
		}
	}
	return line
}

const historyKeep = 1000

func (sh *Shell) loadHistory() {
	if sh.history == "" {
		return
	}
	f, err := os.Open(sh.history)
	if err != nil {
		return
	}
	var entries []string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if sc.Text() != "" {
			entries = append(entries, decodeHistory(sc.Text()))
		}
	}
	f.Close()
	if len(entries) > 2*historyKeep {
		entries = entries[len(entries)-historyKeep:]
		var b strings.Builder
		for _, e := range entries {
			b.WriteString(encodeHistory(e) + "\n")
		}
		os.WriteFile(sh.history, []byte(b.String()), 0o600)
	}
	for _, e := range entries {
		sh.rl.SaveToHistory(e)
	}
}

// remember adds an entry to the line editor's history and the file.
func (sh *Shell) remember(entry string) {
	sh.rl.SaveToHistory(entry)
	if sh.history == "" {
		return
	}
	f, err := os.OpenFile(sh.history, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return
	}
	f.WriteString(encodeHistory(entry) + "\n")
	f.Close()
}

// lineTracker remembers whether the terminal is at the start of a line, so
// values, errors and the prompt begin on a fresh line after output that did
// not end with a newline.
type lineTracker struct {
	mu      sync.Mutex
	w       io.Writer
	atStart bool
}

func (t *lineTracker) Write(b []byte) (int, error) { return t.write(t.w, b) }

func (t *lineTracker) write(w io.Writer, b []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(b) > 0 {
		t.atStart = b[len(b)-1] == '\n'
	}
	return w.Write(b)
}

func (t *lineTracker) newline() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.atStart {
		t.w.Write([]byte("\n"))
		t.atStart = true
	}
}

// lineTrackerAlias writes to another stream (stderr) of the same terminal.
type lineTrackerAlias struct {
	t *lineTracker
	w io.Writer
}

func (a *lineTrackerAlias) Write(b []byte) (int, error) { return a.t.write(a.w, b) }
