package repl

import (
	"context"
	"errors"
	"fmt"
	"go/ast"
	"go/scanner"
	"go/token"
	"io"
	"os"
	"reflect"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/traefik/yaegi/interp"
	"github.com/traefik/yaegi/stdlib"

	"github.com/marill-go/marill/repl/symbols"
)

// Options configure a Session. The zero value captures output into each
// Result only.
type Options struct {
	// Stdout and Stderr receive evaluated code's output as it is written
	// (besides the copy kept in each Result), and output written while no
	// evaluation runs (by goroutines a cell started). Nil keeps such idle
	// output for the next Result.
	Stdout, Stderr io.Writer
	// Stdin is what fmt.Scan and friends read (default: nothing).
	Stdin io.Reader
	// Args is os.Args as evaluated code sees it (default: ["marill-repl"]).
	Args []string
	// Env is the environment evaluated code sees through os.Getenv
	// (default: the process's).
	Env []string
	// PlotDir is where displayed plots are written (default: a
	// "marill-repl" directory in os.TempDir()).
	PlotDir string
	// OutputLimit bounds the output a Result keeps per stream (default 16
	// MiB); live writers still get everything.
	OutputLimit int
}

// Result is what one evaluation produced.
type Result struct {
	// Stdout and Stderr are the output written during the evaluation.
	Stdout, Stderr string
	// Values are the values of the input's final expression statement
	// (none when it ends with anything else, or calls a function without
	// results). A front end can check them for rich forms (HTML, PNG, SVG
	// methods) — on compiled types: interpreted types do not show their
	// methods to the host, except String through a fmt.Stringer wrapper.
	Values []any
	// Text renders Values as fmt.Println would (without the newline), or
	// names the file a plot was written to.
	Text string
	// Files are files written to display Values (plots).
	Files []string
	// Duration is the wall time of the evaluation.
	Duration time.Duration
}

// Value returns the displayed value when there is exactly one.
func (r *Result) Value() (any, bool) {
	if r == nil || len(r.Values) != 1 {
		return nil, false
	}
	return r.Values[0], true
}

// Session is an interpreter with marill's packages compiled in, and the
// state of one line of work: globals, imports, inputs. It is safe for use
// by several goroutines; evaluations run one at a time.
type Session struct {
	opts      Options
	evalMu    sync.Mutex // one evaluation (or Reset, Close) at a time
	out, errs *stream

	mu       sync.RWMutex // guards the fields below
	in       *interp.Interpreter
	imports  map[string]string // visible name -> import path
	declared map[string]bool   // names declared by inputs
	inputs   []input
	count    int // inputs evaluated, for labels
	gensyms  int
	cur      *evaluation // the running evaluation, or nil
	base     context.Context
	stop     context.CancelFunc
	idleOut  *capture
	idleErr  *capture
	closed   bool

	// funcResults and methodResults count the results of functions and
	// methods declared by inputs (-1: methods of that name differ).
	funcResults, methodResults map[string]int

	// owners maps running goroutines started by evaluated code to the
	// evaluation that started them; cells holds the evaluations that
	// started goroutines, by id (see goroutines.go). nOwners is
	// len(owners), read without the lock.
	owners  map[int64]*evaluation
	cells   map[int]*evaluation
	nOwners atomic.Int64
}

// input is an evaluated input, kept for Inputs and Program.
type input struct {
	src   string
	preps []*prepared
	main  string // the renamed main function to call, if any
}

// evaluation is the state of an evaluation that the hooks (display,
// goroutines, Context) reach, while it runs and, through the goroutines
// it started, after.
type evaluation struct {
	id       int // the input's number
	ctx      context.Context
	cancel   context.CancelFunc
	shown    []any
	didShow  bool
	goPanics []error
	exit     *int // set by os.Exit and log.Fatal
	// stdout and stderr are the live writers when the evaluation started;
	// errCapture is its Result.Stderr while it runs.
	stdout, stderr io.Writer
	errCapture     *capture
	// trace holds the interpreter's lines for the frames a panic unwound.
	trace []string
	done  bool
	// goroutines counts the running goroutines it started.
	goroutines int
}

// Import paths of the per-session packages.
const (
	replPath = "github.com/marill-go/marill/repl"
	// hookPath is not a real package: the session provides it.
	hookPath = "github.com/marill-go/marill/repl/internal/hook"
)

// New starts a session with marill's packages (symbols.Paths) and repl
// imported; the standard library is imported on first use.
func New(opts Options) (*Session, error) {
	if opts.Args == nil {
		opts.Args = []string{"marill-repl"}
	}
	if opts.Env == nil {
		opts.Env = os.Environ()
	}
	if opts.OutputLimit <= 0 {
		opts.OutputLimit = 16 << 20
	}
	if opts.PlotDir == "" {
		opts.PlotDir = PlotDir()
	}
	s := &Session{opts: opts}
	var err error
	if s.out, err = newStream(); err != nil {
		return nil, fmt.Errorf("repl: %w", err)
	}
	if s.errs, err = newStream(); err != nil {
		s.out.close()
		return nil, fmt.Errorf("repl: %w", err)
	}
	s.errs.setPanicLines(s.panicLine)
	s.idleOut = &capture{limit: 1 << 20}
	s.idleErr = &capture{limit: 1 << 20}
	s.setIdleSinks()
	if err := s.start(); err != nil {
		s.out.close()
		s.errs.close()
		return nil, err
	}
	return s, nil
}

// PlotDir is the default directory for displayed plots.
func PlotDir() string { return os.TempDir() + string(os.PathSeparator) + "marill-repl" }

// start makes a fresh interpreter and imports our packages into it.
func (s *Session) start() error {
	stdin := s.opts.Stdin
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	in := interp.New(interp.Options{
		Stdin:  stdin,
		Stdout: s.out.w,
		Stderr: s.errs.w,
		Args:   s.opts.Args,
		Env:    s.opts.Env,
	})
	if err := in.Use(stdlib.Symbols); err != nil {
		return fmt.Errorf("repl: %w", err)
	}
	if err := in.Use(symbols.Symbols); err != nil {
		return fmt.Errorf("repl: %w", err)
	}
	if err := in.Use(s.hooks()); err != nil {
		return fmt.Errorf("repl: %w", err)
	}
	if err := in.Use(s.exits(in)); err != nil {
		return fmt.Errorf("repl: %w", err)
	}
	if err := in.Use(s.printers()); err != nil {
		return fmt.Errorf("repl: %w", err)
	}
	base, stop := context.WithCancel(context.Background())
	s.mu.Lock()
	s.in, s.base, s.stop = in, base, stop
	s.imports = map[string]string{}
	s.declared = map[string]bool{}
	s.funcResults, s.methodResults = map[string]int{}, map[string]int{}
	s.inputs = nil
	s.owners, s.cells = map[int64]*evaluation{}, map[int]*evaluation{}
	s.nOwners.Store(0)
	s.mu.Unlock()
	specs := []importSpec{{name: hookName, path: hookPath}, {path: replPath}}
	for _, p := range symbols.Paths() {
		specs = append(specs, importSpec{path: p})
	}
	if _, err := s.importPackages(context.Background(), specs); err != nil {
		return err
	}
	if _, err := in.Eval(displayDecl); err != nil {
		return fmt.Errorf("repl: %w", err)
	}
	return nil
}

// displayDecl predeclares display, the short name of repl.Display (a
// variable, so that an input may declare its own display function).
const displayDecl = "var display = repl.Display"

// hooks are the per-session packages: repl (Context, Display, NewDisplay,
// Progress and the display types), and the hook package the rewritten
// input calls (Show displays a value; Cell, Enter and GoEnd register a
// started goroutine and report its panic).
func (s *Session) hooks() interp.Exports {
	show := reflect.ValueOf(func(vs ...any) {
		s.mu.Lock()
		if s.cur != nil {
			s.cur.shown, s.cur.didShow = vs, true
		}
		s.mu.Unlock()
	})
	stringer := []reflect.Type{
		reflect.TypeOf((*fmt.Formatter)(nil)).Elem(),
		reflect.TypeOf((*fmt.Stringer)(nil)).Elem(),
	}
	return interp.Exports{
		hookPath + "/hook": {
			"Show":  show,
			"Cell":  reflect.ValueOf(s.cellHook),
			"Enter": reflect.ValueOf(s.enterHook),
			"GoEnd": reflect.ValueOf(s.goEndHook),
		},
		replPath + "/repl": {
			"Context":       reflect.ValueOf(s.context),
			"Display":       reflect.ValueOf(s.displayHook),
			"NewDisplay":    reflect.ValueOf(s.newDisplayHook),
			"Progress":      reflect.ValueOf(s.progressHook),
			"DisplayHandle": reflect.ValueOf((*DisplayHandle)(nil)),
			"Displayer":     reflect.ValueOf((*Displayer)(nil)),
			"HTML":          reflect.ValueOf((*HTML)(nil)),
			"Markdown":      reflect.ValueOf((*Markdown)(nil)),
			"SVG":           reflect.ValueOf((*SVG)(nil)),
			"PNG":           reflect.ValueOf((*PNG)(nil)),
		},
		// Values of interpreted types reach Show wrapped as fmt.Stringer
		// when they have a String method. (Not Display: the interpreter's
		// wrapping panics for some calls through variadic parameters.)
		".": {"MapTypes": reflect.ValueOf(map[reflect.Value][]reflect.Type{show: stringer})},
	}
}

// exits replaces os.Exit and log.Fatal*, which the interpreter turns into
// panics, by functions that end the evaluation: the calling goroutine stops
// (the code after the call does not run), and the evaluation returns an
// ExitError with the code.
func (s *Session) exits(in *interp.Interpreter) interp.Exports {
	exit := func(code int) {
		s.mu.Lock()
		cur := s.cur
		if cur != nil && cur.exit == nil {
			cur.exit = &code
		}
		s.mu.Unlock()
		if cur != nil {
			cur.cancel()
		} else {
			fmt.Fprintf(s.errs.w, "repl: os.Exit(%d) called while no input runs: ignored\n", code)
		}
		runtime.Goexit()
	}
	logOutput := func(calldepth int, msg string) error {
		_, err := fmt.Fprintln(s.errs.w, msg)
		return err
	}
	if out, ok := in.Symbols("log")["log"]["Output"]; ok {
		if f, ok := out.Interface().(func(int, string) error); ok {
			logOutput = f // the interpreter's logger: its flags and prefix
		}
	}
	fatal := func(msg string) {
		logOutput(3, msg)
		exit(1)
	}
	return interp.Exports{
		"os/os": {"Exit": reflect.ValueOf(exit)},
		"log/log": {
			"Fatal":   reflect.ValueOf(func(v ...any) { fatal(fmt.Sprint(v...)) }),
			"Fatalf":  reflect.ValueOf(func(format string, v ...any) { fatal(fmt.Sprintf(format, v...)) }),
			"Fatalln": reflect.ValueOf(func(v ...any) { fatal(fmt.Sprintln(v...)) }),
		},
	}
}

// context is repl.Context inside the interpreter.
func (s *Session) context() context.Context {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.cur != nil {
		return s.cur.ctx
	}
	return s.base
}

// unwrapValue turns the reflect.Value the interpreter hands to recover for
// an interpreted panic into the value itself.
func unwrapValue(r any) any {
	if v, ok := r.(reflect.Value); ok {
		if !v.IsValid() {
			return nil
		}
		if v.CanInterface() {
			return v.Interface()
		}
	}
	return r
}

// Close stops the session: interpreted goroutines stop at their next step,
// and output streams are closed. A closed session returns errors.
func (s *Session) Close() error {
	s.evalMu.Lock()
	defer s.evalMu.Unlock()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	in, stop := s.in, s.stop
	s.mu.Unlock()
	halt(in, stop)
	s.out.close()
	s.errs.close()
	return nil
}

// halt stops every frame of an interpreter, its goroutines included (they
// check at each step; one blocked in a channel operation of an earlier
// evaluation stays blocked).
func halt(in *interp.Interpreter, stop context.CancelFunc) {
	stop()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	in.EvalWithContext(ctx, "select {}")
}

// Reset forgets every global, import and input, and stops the goroutines
// evaluated code started.
func (s *Session) Reset() error {
	s.evalMu.Lock()
	defer s.evalMu.Unlock()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return errors.New("repl: session closed")
	}
	in, stop := s.in, s.stop
	s.count = 0
	s.mu.Unlock()
	halt(in, stop)
	s.out.sync(time.Second)
	s.errs.sync(time.Second)
	return s.start()
}

// SetOutput changes the live writers (a notebook kernel points them at the
// cell that runs next). Nil writers keep idle output for the next Result.
func (s *Session) SetOutput(stdout, stderr io.Writer) {
	s.evalMu.Lock()
	defer s.evalMu.Unlock()
	s.mu.Lock()
	s.opts.Stdout, s.opts.Stderr = stdout, stderr
	s.mu.Unlock()
	s.setIdleSinks()
}

func (s *Session) setIdleSinks() {
	s.mu.RLock()
	out, errw := s.opts.Stdout, s.opts.Stderr
	s.mu.RUnlock()
	if out != nil {
		s.out.setSink(out)
	} else {
		s.out.setSink(s.idleOut)
	}
	if errw != nil {
		s.errs.setSink(errw)
	} else {
		s.errs.setSink(s.idleErr)
	}
}

// Inputs returns the inputs evaluated without error since the session
// started (or was reset), in order.
func (s *Session) Inputs() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]string, len(s.inputs))
	for i, in := range s.inputs {
		out[i] = in.src
	}
	return out
}

// IsComplete says whether src can be evaluated as it is: Complete,
// Incomplete (it ends inside a block, call or string: read more lines) or
// Invalid (a syntax error more lines cannot fix).
func (s *Session) IsComplete(src string) Completeness { return completeness(src) }

// Eval evaluates one input: any mix of imports, declarations and
// statements, in order. If the input ends with an expression statement, its
// values are displayed in the Result. It returns when the input has run, or
// soon after ctx is cancelled (compiled functions called by the input keep
// running until they return; pass them repl.Context()).
func (s *Session) Eval(ctx context.Context, src string) (*Result, error) {
	return s.evalInput(ctx, src, "")
}

// EvalFile evaluates a Go file in the session, as :load and run do: its
// package clause is dropped, its imports are added, and a main function is
// run once (under another name, so it does not run after every input).
// Positions in messages name the file.
func (s *Session) EvalFile(ctx context.Context, path string) (*Result, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("repl: %w", err)
	}
	name := path
	if wd, err := os.Getwd(); err == nil && strings.HasPrefix(path, wd+string(os.PathSeparator)) {
		name = path[len(wd)+1:]
	}
	return s.evalInput(ctx, string(b), name)
}

func (s *Session) evalInput(ctx context.Context, src, file string) (*Result, error) {
	s.evalMu.Lock()
	defer s.evalMu.Unlock()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, errors.New("repl: session closed")
	}
	s.count++
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	live, liveErr := s.opts.Stdout, s.opts.Stderr
	stdout := &capture{live: live, limit: s.opts.OutputLimit}
	stderr := &capture{live: liveErr, limit: s.opts.OutputLimit}
	ev := &evaluation{id: s.count, ctx: ctx, cancel: cancel, stdout: live, stderr: liveErr, errCapture: stderr}
	s.cur = ev
	s.mu.Unlock()

	start := time.Now()
	s.takeIdle(stdout, stderr)

	res := &Result{}
	in, err := s.run(ctx, src, file)

	s.out.sync(2 * time.Second)
	s.errs.sync(2 * time.Second)
	s.setIdleSinks()
	s.mu.Lock()
	s.cur = nil
	ev.done, ev.errCapture = true, nil
	if ev.goroutines == 0 {
		delete(s.cells, ev.id)
	}
	if err == nil && len(ev.goPanics) == 0 && ev.exit == nil && in != nil {
		s.inputs = append(s.inputs, *in)
	}
	goPanics, trace := ev.goPanics, ev.trace
	s.mu.Unlock()

	if ev.exit != nil {
		err = &ExitError{Code: *ev.exit}
	}
	var pe *PanicError
	if errors.As(err, &pe) {
		pe.Trace = panicFrames(trace)
	}
	res.Stdout, res.Stderr = stdout.String(), stderr.String()
	res.Duration = time.Since(start)
	if err == nil && ev.didShow && shouldDisplay(ev.shown) {
		last := in.preps[len(in.preps)-1]
		last.displayed = true
		res.Values = ev.shown
		if _, rich := live.(Displayer); rich {
			res.Text = displayText(ev.shown)
		} else {
			res.Text, res.Files, err = s.display(ev.shown)
		}
	}
	if len(goPanics) > 0 {
		err = errors.Join(append([]error{err}, goPanics...)...)
	}
	return res, err
}

// panicLine receives a line the interpreter wrote on the error stream for
// a frame a panic unwound.
func (s *Session) panicLine(line string) {
	s.mu.Lock()
	if s.cur != nil {
		s.cur.trace = append(s.cur.trace, line)
	}
	s.mu.Unlock()
}

// takeIdle moves output written while no evaluation ran into this one's,
// and makes the evaluation's captures the streams' sinks.
func (s *Session) takeIdle(stdout, stderr *capture) {
	s.out.sync(time.Second)
	s.errs.sync(time.Second)
	s.out.switchTo(stdout, func() { moveCapture(s.idleOut, stdout) })
	s.errs.switchTo(stderr, func() { moveCapture(s.idleErr, stderr) })
}

func moveCapture(from, to *capture) {
	if from.buf.Len() > 0 {
		to.buf.WriteString(from.String())
		from.buf.Reset()
		from.truncated = false
	}
}

// run splits, checks, rewrites and evaluates an input, chunk by chunk. A
// panic of the session's own code or of the interpreter outside an
// evaluation is an error too, so that no input ends the process.
func (s *Session) run(ctx context.Context, src, file string) (res *input, err error) {
	defer func() {
		if r := recover(); r != nil {
			res, err = nil, fmt.Errorf("repl: internal error (the interpreter failed outside the evaluated code): %v", r)
		}
	}()
	src = dropPackageClause(src)
	chunks, c, err := split(src)
	if err != nil {
		return nil, positionErr(err, file, 1)
	}
	if c == Incomplete {
		return nil, &SyntaxError{Msg: "incomplete input"}
	}
	in := &input{src: src}
	inCell := map[string]bool{}
	site := func(line int) string {
		if file != "" {
			return fmt.Sprintf("%s:%d", file, line)
		}
		return fmt.Sprintf("line %d of input %d", line, s.count)
	}
	e := env{
		declared: func(name string) bool {
			s.mu.RLock()
			defer s.mu.RUnlock()
			return inCell[name] || s.declared[name]
		},
		global: s.global,
		site:   site,
		gensym: s.gensym,
		results: func(fun ast.Expr) (int, bool) {
			return s.results(fun, in.preps)
		},
	}
	for i, ch := range chunks {
		p, err := prepare(ch, file, i == len(chunks)-1, e)
		if err != nil {
			return nil, err
		}
		if p.mainDecl {
			if in.main != "" {
				return nil, fmt.Errorf("repl: main is declared twice")
			}
			in.main = s.gensym() + "main"
			renameMain(p, in.main)
		}
		for _, n := range p.defined {
			inCell[n] = true
		}
		in.preps = append(in.preps, p)
	}
	for _, p := range in.preps {
		if err := s.evalChunk(ctx, p); err != nil {
			return nil, inFile(file, err)
		}
		s.mu.Lock()
		for _, n := range p.defined {
			s.declared[n] = true
		}
		for n, k := range p.funcResults {
			s.funcResults[n] = k
		}
		for n, k := range p.methodResults {
			if old, ok := s.methodResults[n]; ok && old != k {
				k = -1
			}
			s.methodResults[n] = k
		}
		s.mu.Unlock()
	}
	if in.main != "" {
		if _, err := s.in.EvalWithContext(ctx, in.main+"()"); err != nil {
			return nil, inFile(file, s.translate(ctx, err, nil))
		}
	}
	return in, nil
}

var positionRE = regexp.MustCompile(`^\d+:\d+: `)

// inFile names the file in an interpreter message about a file's line.
func inFile(file string, err error) error {
	if file == "" || !positionRE.MatchString(err.Error()) {
		return err
	}
	var pe *PanicError
	if errors.As(err, &pe) {
		return err
	}
	return fmt.Errorf("%s:%w", file, err)
}

func (s *Session) evalChunk(ctx context.Context, p *prepared) error {
	if p.kind == importChunk {
		_, err := s.importPackages(ctx, p.imports)
		return err
	}
	if err := s.autoImport(ctx, p.uses); err != nil {
		return err
	}
	if p.show != "" {
		_, err := s.in.EvalWithContext(ctx, p.show)
		if err == nil || !strings.Contains(err.Error(), "as type ()") {
			return s.translate(ctx, err, p)
		}
		// The final call has no result: nothing ran (the error is from
		// compilation); evaluate it without the display hook.
	}
	_, err := s.in.EvalWithContext(ctx, p.eval)
	return s.translate(ctx, err, p)
}

var (
	noSymbolRE  = regexp.MustCompile(`package (\w+) "([^"]+)" has no symbol (\w+)`)
	undefinedRE = regexp.MustCompile(`undefined: (\w+)$`)

	undefinedSelectorRE = regexp.MustCompile(`undefined selector: (\w+)\.(\w+)`)
)

// translate turns interpreter errors into the session's error types and
// explains the interpreter's gaps.
func (s *Session) translate(ctx context.Context, err error, p *prepared) error {
	if err == nil {
		return nil
	}
	if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		return fmt.Errorf("%w: %w", ErrInterrupted, ctx.Err())
	}
	var pe interp.Panic
	if errors.As(err, &pe) {
		v := unwrapValue(pe.Value)
		if msg, ok := v.(string); ok {
			if code, ok := strings.CutPrefix(msg, "os.Exit("); ok {
				if n, err := strconv.Atoi(strings.TrimSuffix(code, ")")); err == nil {
					return &ExitError{Code: n}
				}
			}
			if msg == "nil type" && p != nil && p.ranges {
				return fmt.Errorf("repl: %s; or %s", rangeIntGap, rangeFuncGap)
			}
		}
		return &PanicError{Value: v, Stack: compiledStack(pe.Stack)}
	}
	msg := err.Error()
	if strings.Contains(msg, "constant definition loop") && p != nil {
		// yaegi's message for an undefined name on the right of := at top
		// level; say which name.
		if unknown := s.unknown(p.uses); len(unknown) > 0 {
			msg = strings.Replace(msg, "constant definition loop", "undefined: "+strings.Join(unknown, ", "), 1)
		} else {
			msg += ": " + typeInferenceGap
		}
	}
	if m := undefinedRE.FindStringSubmatch(msg); m != nil {
		switch name := m[1]; {
		case name == "min" || name == "max" || name == "clear":
			msg += ": " + builtinGap(name)
		default:
			if paths := packagesNamed(name); len(paths) > 1 {
				msg += fmt.Sprintf(" (several packages are named %s: import one of %s)", name, quoteAll(paths))
			}
		}
	}
	if m := noSymbolRE.FindStringSubmatch(msg); m != nil {
		msg += genericHint(m[1], m[3])
	} else if m := undefinedSelectorRE.FindStringSubmatch(msg); m != nil && len(packagesNamed(m[1])) > 0 {
		msg += genericHint(m[1], m[2])
	}
	return errors.New(msg)
}

func quoteAll(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = strconv.Quote(s)
	}
	return strings.Join(q, ", ")
}

func genericHint(pkg, name string) string {
	return fmt.Sprintf(" (the interpreter sees only compiled, non-generic symbols: if %s.%s is generic, as most of slices and maps are, it is not available; write the loop, or use sort)", pkg, name)
}

// results tells how many results the function an input calls has: a
// function or method declared in the session or earlier in the input
// (methods by name, when all methods of that name agree), or a compiled
// function or method whose type the session can resolve.
func (s *Session) results(fun ast.Expr, earlier []*prepared) (int, bool) {
	switch f := fun.(type) {
	case *ast.Ident:
		for _, p := range earlier {
			if n, ok := p.funcResults[f.Name]; ok {
				return n, true
			}
		}
		s.mu.RLock()
		n, ok := s.funcResults[f.Name]
		s.mu.RUnlock()
		if ok {
			return n, true
		}
		if r := s.resolve(f); r.typ != nil && r.typ.Kind() == reflect.Func {
			return r.typ.NumOut(), true // a variable holding a function
		}
	case *ast.SelectorExpr:
		if r := s.resolve(f); r.typ != nil && r.typ.Kind() == reflect.Func && !r.isType {
			return r.typ.NumOut(), true
		}
		n, ok := -1, false
		for _, p := range earlier {
			if k, found := p.methodResults[f.Sel.Name]; found {
				n, ok = k, true
			}
		}
		if !ok {
			s.mu.RLock()
			n, ok = s.methodResults[f.Sel.Name]
			s.mu.RUnlock()
		}
		if ok && n >= 0 {
			return n, true
		}
	}
	return 0, false
}

// unknown lists the names that are neither predeclared nor known to the
// session.
func (s *Session) unknown(names []string) []string {
	var out []string
	globals := s.globals()
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, n := range names {
		if _, ok := s.imports[n]; ok || s.declared[n] || isPredeclared(n) || len(packagesNamed(n)) > 0 {
			continue
		}
		if _, ok := globals[n]; ok {
			continue
		}
		out = append(out, n)
	}
	return out
}

func isPredeclared(name string) bool {
	for _, p := range goPredeclared {
		if p == name {
			return true
		}
	}
	return builtinFuncs[name]
}

func (s *Session) gensym() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gensyms++
	return "_marill" + strconv.Itoa(s.gensyms) + "_"
}

// global returns the value of a session variable or constant.
func (s *Session) global(name string) (reflect.Value, bool) {
	v, ok := s.globals()[name]
	return v, ok
}

// globals returns the interpreter's globals, or none if the interpreter
// fails to list them (yaegi v0.16.1 panics on some states left by a failed
// compilation).
func (s *Session) globals() (g map[string]reflect.Value) {
	s.mu.RLock()
	in := s.in
	s.mu.RUnlock()
	defer func() {
		if recover() != nil {
			g = nil
		}
	}()
	return in.Globals()
}

// dropPackageClause blanks a leading package clause (keeping positions), so
// whole files can be pasted and loaded.
func dropPackageClause(src string) string {
	fset := token.NewFileSet()
	f := fset.AddFile("", -1, len(src))
	var sc scanner.Scanner
	sc.Init(f, []byte(src), nil, 0)
	pos, tok, _ := sc.Scan()
	if tok != token.PACKAGE {
		return src
	}
	start := f.Offset(pos)
	_, tok, _ = sc.Scan()
	if tok != token.IDENT {
		return src
	}
	pos, tok, _ = sc.Scan()
	if tok != token.SEMICOLON {
		return src
	}
	end := f.Offset(pos)
	if end < len(src) && src[end] == ';' {
		end++
	}
	return src[:start] + strings.Repeat(" ", end-start) + src[end:]
}

// renameMain renames a declared main function, which the interpreter would
// otherwise run after every later input.
func renameMain(p *prepared, name string) {
	re := regexp.MustCompile(`(?m)^(\s*func\s+)main(\s*\()`)
	p.eval = re.ReplaceAllString(p.eval, "${1}"+name+"${2}")
	p.saved = re.ReplaceAllString(p.saved, "${1}"+name+"${2}")
	if p.show != "" {
		p.show = re.ReplaceAllString(p.show, "${1}"+name+"${2}")
	}
	for i, d := range p.defined {
		if d == "main" {
			p.defined[i] = name
		}
	}
}

// importPackages imports the given packages, skipping those already
// imported under the same name.
func (s *Session) importPackages(ctx context.Context, specs []importSpec) ([]string, error) {
	var lines []string
	var added []string
	s.mu.Lock()
	for _, sp := range specs {
		if sp.name == "_" {
			continue
		}
		if sp.name == "." {
			s.mu.Unlock()
			return nil, fmt.Errorf("repl: dot imports are not supported (import %q)", sp.path)
		}
		pkg, ok := packageName(sp.path)
		if !ok {
			s.mu.Unlock()
			return nil, fmt.Errorf("repl: package %q is not available: the interpreter has the standard library and marill's packages (%s)", sp.path, strings.Join(symbols.Paths(), ", "))
		}
		name := sp.name
		if name == "" {
			name = pkg
		}
		if have, ok := s.imports[name]; ok {
			if have == sp.path {
				continue
			}
			s.mu.Unlock()
			return nil, fmt.Errorf("repl: %s is already the name of package %q: import %q under another name", name, have, sp.path)
		}
		if sp.name != "" {
			lines = append(lines, sp.name+" "+strconv.Quote(sp.path))
		} else {
			lines = append(lines, strconv.Quote(sp.path))
		}
		added = append(added, name)
		s.imports[name] = sp.path
	}
	s.mu.Unlock()
	if len(lines) == 0 {
		return nil, nil
	}
	if _, err := s.in.EvalWithContext(ctx, "import (\n"+strings.Join(lines, "\n")+"\n)"); err != nil {
		s.mu.Lock()
		for _, n := range added {
			delete(s.imports, n)
		}
		s.mu.Unlock()
		return nil, fmt.Errorf("repl: %w", err)
	}
	return added, nil
}

// autoImport imports the standard-library packages an input names without
// importing them, when the name is not taken and only one package has it.
func (s *Session) autoImport(ctx context.Context, uses []string) error {
	var specs []importSpec
	s.mu.RLock()
	for _, u := range uses {
		if _, ok := s.imports[u]; ok || s.declared[u] {
			continue
		}
		if paths := packagesNamed(u); len(paths) == 1 {
			specs = append(specs, importSpec{path: paths[0]})
		}
	}
	s.mu.RUnlock()
	if len(specs) == 0 {
		return nil
	}
	_, err := s.importPackages(ctx, specs)
	return err
}

// packageName is the package name of an import path the interpreter has.
func packageName(path string) (string, bool) {
	for _, tab := range []interp.Exports{stdlib.Symbols, symbols.Symbols} {
		for k := range tab {
			if i := strings.LastIndexByte(k, '/'); i > 0 && k[:i] == path {
				return k[i+1:], true
			}
		}
	}
	switch path {
	case replPath:
		return "repl", true
	case hookPath:
		return "hook", true
	}
	return "", false
}

// packagesNamed lists the import paths of packages with the given name,
// marill's first (when marill has one, only marill's).
func packagesNamed(name string) []string { return packageIndex()[name] }

// packageIndex maps package names to import paths; built once, read-only.
var packageIndex = sync.OnceValue(func() map[string][]string {
	idx := map[string][]string{}
	for _, k := range sortedKeys(symbols.Symbols) {
		if i := strings.LastIndexByte(k, '/'); i > 0 {
			idx[k[i+1:]] = append(idx[k[i+1:]], k[:i])
		}
	}
	for _, k := range sortedKeys(stdlib.Symbols) {
		i := strings.LastIndexByte(k, '/')
		if i <= 0 || strings.Contains(k[:i], "internal") {
			continue
		}
		name, path := k[i+1:], k[:i]
		if existing, ok := idx[name]; ok && isOurs(existing[0]) {
			continue
		}
		idx[name] = append(idx[name], path)
	}
	return idx
})

func sortedKeys(e interp.Exports) []string {
	ks := make([]string, 0, len(e))
	for k := range e {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
