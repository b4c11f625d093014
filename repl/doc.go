// Package repl is the interactive Go of Marill-Go: a Session interprets Go
// (with yaegi v0.16.1) with marill's packages compiled in, keeps state
// between inputs, and hands back each input's output and value; Shell is
// the readline front end that marill-repl runs. The Jupyter kernel uses the
// same Session.
//
// # A session
//
//	s, _ := repl.New(repl.Options{})
//	defer s.Close()
//	s.Eval(ctx, "cfg := marill.BERTBase()\ncfg.SeqLen = 128")
//	r, err := s.Eval(ctx, "pre, _ := marill.NewPretrained(cfg, 42)\npre.Plan()")
//	fmt.Println(r.Text)   // the plan's table
//
// An input is any mix of imports, declarations and statements: Eval cuts it
// into runs of one kind (the interpreter tells declarations from
// statements by the first token only) and evaluates them in order. When the
// input ends with an expression statement its values are shown:
// Result.Values holds them and Result.Text prints them as fmt.Println would,
// so Reports, Plans and study Results appear as their tables. The (n, nil)
// that fmt.Println and other writes return is not shown. A value with a
// PNG or SVG method (a plot) is written to a file in Options.PlotDir, and
// Text names the file.
//
// marill's packages — mpc, plain, trace, secure, proto, transport, fn,
// fxp, sim, plots, marill, study, train, data — and repl itself are
// imported when the session starts; a standard-library package is
// imported the first time an input names it (strings.Repeat works with
// no import line), unless several share the name (rand: import the one you
// mean). Import lines are accepted, also for packages already imported.
// Only the standard library and marill's packages exist for the
// interpreter.
//
// # Output
//
// The interpreter writes to pipes the session reads, so everything
// evaluated code prints — fmt.Print*, log, and writes to os.Stdout and
// os.Stderr — lands in Result.Stdout and Result.Stderr, and, as it is
// written, in Options.Stdout and Options.Stderr (a terminal, or a notebook
// cell's stream; SetOutput changes them between inputs). Output written
// while no input runs, by goroutines an input started, goes to those
// writers too, or, when there are none, into the next Result. Compiled code
// that writes to the process's os.Stdout directly bypasses all this:
// compiled APIs meant for the REPL take an io.Writer (study.NewBar does).
//
// A goroutine belongs to the input that ran its go statement (Eval
// rewrites go statements to record it, also for goroutines started by
// such goroutines). What it prints with fmt.Print*, displays or panics
// with goes to the writers that input had, even after the input has
// finished and SetOutput has given later inputs other writers: a notebook
// shows it in the cell that started the goroutine. Its writes to os.Stdout
// and os.Stderr and its log output go to the current writers.
//
// # Display
//
// display(v) — short for repl.Display — shows values as outputs of the
// running input, anywhere in it; h := repl.NewDisplay(v) shows v and
// h.Update(w) replaces it; repl.Progress() is a study.Progress that does
// that for study.Run. repl.HTML, repl.Markdown, repl.SVG and repl.PNG wrap
// raw content. When the input's Stdout writer implements Displayer (the
// Jupyter kernel's cell output) these reach it, after the text printed
// before them, and the kernel renders tables and images; otherwise values
// print as text, plots go to files as final values do, and Progress draws
// study.NewBar on the error stream. A Displayer front end also renders
// Result.Values itself: the session then writes no plot files.
//
// # Interrupting
//
// Eval returns soon after its context is cancelled (Ctrl-C in the shell)
// with an error wrapping ErrInterrupted, and the session keeps its state.
// Interpreted code stops at its next step, goroutines included; a compiled
// function the input called keeps running until it returns, so long
// compiled calls take a context: pass repl.Context(), the running
// evaluation's context (study.Run(repl.Context(), ...)). In a compiled
// program repl.Context returns context.Background.
//
// # Failures
//
// Nothing an input does ends the process:
//
//   - a panic in interpreted or compiled code is a *PanicError, with the
//     interpreted functions (Trace: the interpreter's per-frame lines,
//     taken out of the error stream) and compiled functions (Stack) it
//     passed through;
//   - a panic in a goroutine the input started — which would end the
//     process — is recovered: Eval rewrites every go statement so the
//     goroutine's body runs under a deferred recover (the function and
//     arguments of go f(x) are still evaluated at the go statement). The
//     panic is returned as a *GoroutinePanicError naming where the
//     goroutine was started by the evaluation that started it, if it still
//     runs (and kept in its Result.Stderr, not sent to the live writer,
//     which would show it twice); otherwise it is printed on the error
//     writer that evaluation had. Goroutines started by compiled code are
//     that code's to protect (study.Run turns an evaluator's panic into
//     the point's error); a func given to time.AfterFunc is not protected;
//   - os.Exit and log.Fatal stop the input (code after them does not run)
//     and return an *ExitError; marill-repl's batch modes exit with its code;
//   - a syntax error is a *SyntaxError; positions are line:column of the
//     input, or file:line:column for EvalFile.
//
// # What the interpreter lacks
//
// yaegi v0.16.1 implements Go as of 1.21, with gaps the session explains
// rather than crashing on: range over an integer or a function (detected
// before evaluation where the syntax or the session's values tell, and the
// interpreter's own "nil type" failure otherwise), the min, max and clear
// builtins, and generic functions and types of compiled packages (slices,
// maps: yaegi extract skips them, which is why the API this session sees is
// compiled and non-generic). Functions and types declared in the session
// may be generic. Loop variables are shared between iterations, as before Go
// 1.22: a closure created in a loop sees the last value unless the loop
// body copies the variable. Programs run sandboxed: os/exec and similar are
// not available, and os.Getenv sees Options.Env.
//
// Two failures of the interpreter's top level are worked around or
// explained. A definition of several names inside a block of a top-level
// statement (for … { r, err := f() }) does not compile there, so Eval runs
// such a for, if, switch, select or block statement as a function literal
// (it defines no session names, so nothing else changes). A top-level
// variable initialised by indexing a compiled struct's slice field
// (b := m.Blocks[0]) fails with "constant definition loop"; the error says
// to give its type (var b *marill.Block = m.Blocks[0]).
//
// Inputs declaring func main (a pasted program, a file given to EvalFile)
// get it renamed and called once, since the interpreter would otherwise run
// main after every later input.
//
// # Front-end services
//
// IsComplete says whether an input parses (Complete), needs more lines
// (Incomplete) or cannot be fixed by more lines (Invalid). Complete lists
// completions at a rune offset: packages and their exported symbols,
// keywords, the session's names, and the fields and methods of a variable's
// type, also through calls, fields and indexing (pre.Fine → FineTune,
// ft.Plan().La → Layers). Doc returns the Go doc of marill's symbols,
// compiled in from the sources when repl/symbols is generated (so it works
// for an installed binary), and asks `go doc` for the standard library.
// Inputs lists the inputs that succeeded; Program and Save write them as a
// Go program that compiles and prints what the session showed (statements
// in main, declarations at top level, shown expressions as fmt.Println).
//
// Front ends that render rich output check Result.Values for methods such
// as HTML() string or PNG() ([]byte, error). They see those of compiled
// types only: values of types declared in the session reach the host
// without their methods (except String, through a fmt.Stringer wrapper, for
// final values; not for display). Doc also documents repl's own names as
// the interpreter sees them (generated into replsyms_docs.go by `go
// generate ./repl`).
//
// # The shell
//
// Shell is marill-repl's interactive mode: line editing (ergochat/readline),
// history kept in ~/.marill_history (or $MARILL_HISTORY, or
// ShellOptions.HistoryFile), one entry per input — a multi-line input is
// one entry, stored as a quoted Go string — Tab completion, inputs that
// continue until they parse, Ctrl-C to cancel an evaluation (or the input
// being typed), Ctrl-D to exit, and the commands :help, :doc NAME, :reset,
// :load FILE, :save FILE, :time EXPR and :quit.
//
// # Exposing packages
//
// The interpreter reaches compiled packages through the symbol tables of
// package repl/symbols, generated by `yaegi extract` from the one list in
// its go:generate line; adding a package is a line edit and
// `go generate ./repl/symbols`. TestGeneratedUpToDate in that package fails
// when the committed tables or docs differ from what generation writes.
//
// # Caveats
//
// yaegi is not free of data races when goroutines started by earlier inputs
// run while a new input is evaluated (the race detector reports them inside
// the interpreter). The interpreter's "nil type" failure also writes a line
// to the process's log. Each evaluation costs about 0.1 ms in a fresh
// session, more as the session grows, since yaegi copies its global frame
// on every evaluation.
package repl
