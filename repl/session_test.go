package repl

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func newSession(t *testing.T, opts Options) *Session {
	t.Helper()
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// eval evaluates src and fails the test on error.
func eval(t *testing.T, s *Session, src string) *Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r, err := s.Eval(ctx, src)
	if err != nil {
		t.Fatalf("Eval(%q): %v", src, err)
	}
	return r
}

// evalErr evaluates src, which must fail, and returns the error.
func evalErr(t *testing.T, s *Session, src string) (*Result, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r, err := s.Eval(ctx, src)
	if err == nil {
		t.Fatalf("Eval(%q) succeeded", src)
	}
	return r, err
}

// alive checks that the session still evaluates.
func alive(t *testing.T, s *Session) {
	t.Helper()
	if r := eval(t, s, "1+1"); r.Text != "2" {
		t.Fatalf("after the failure 1+1 shows %q", r.Text)
	}
}

func TestDisplay(t *testing.T) {
	s := newSession(t, Options{})
	for _, tc := range []struct{ src, want string }{
		{"1+1", "2"},
		{"x := 21\nx * 2", "42"},     // statements, then an expression
		{"var y int; y = 3; y", "3"}, // a declaration before statements
		{"cfg := marill.BERTBase()\ncfg.SeqLen = 64\ncfg.SeqLen", "64"}, // our packages, no imports
		{`strings.Repeat("ab", 2)`, "abab"},                             // the standard library on first use
		{`fmt.Println("hi")`, ""},                                       // (n, nil) of a write is not shown
		{`marill.Preset("tiny-bert")`, "tiny-bert (bert: L=2 d=16 h=4 d_ff=32 V=64 n=8) <nil>"},
		{"func f() {}\nf()", ""},                                                             // a call without results
		{"type P struct{ A int }\nfunc (p P) String() string { return \"P!\" }\nP{3}", "P!"}, // an interpreted Stringer
		{"study.PlanEvaluator().Name()", "plan"},
	} {
		r := eval(t, s, tc.src)
		if r.Text != tc.want {
			t.Errorf("%q shows %q, want %q", tc.src, r.Text, tc.want)
		}
	}
	r := eval(t, s, "pre, _ := marill.NewPretrained(marill.Tiny(marill.GPT2), 1)\npre.Plan()")
	if v, ok := r.Value(); !ok || !strings.Contains(r.Text, "softmax elems (MPC)") || !strings.Contains(r.Text, "block1") {
		t.Errorf("a Plan shows as %q (value %T)", r.Text, v)
	}
}

func TestOutputCapture(t *testing.T) {
	var live bytes.Buffer
	var mu sync.Mutex
	s := newSession(t, Options{Stdout: lockedWriter{&mu, &live}})
	r := eval(t, s, `fmt.Println("a")
fmt.Fprintln(os.Stdout, "b")
fmt.Fprintln(os.Stderr, "c")
log.SetFlags(0)
log.Println("d")`)
	if r.Stdout != "a\nb\n" || r.Stderr != "c\nd\n" {
		t.Errorf("stdout %q, stderr %q", r.Stdout, r.Stderr)
	}
	mu.Lock()
	if live.String() != "a\nb\n" {
		t.Errorf("live writer got %q", live.String())
	}
	mu.Unlock()

	// Output written by a goroutine after its input finished is not lost:
	// with no live writer it lands in the next Result.
	q := newSession(t, Options{})
	eval(t, q, `done := make(chan bool)
go func() { time.Sleep(50 * time.Millisecond); fmt.Println("late"); done <- true }()`)
	time.Sleep(200 * time.Millisecond)
	if r := eval(t, q, "<-done"); r.Stdout != "late\n" {
		t.Errorf("late goroutine output: %q", r.Stdout)
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

func TestPanics(t *testing.T) {
	s := newSession(t, Options{})
	var pe *PanicError

	_, err := evalErr(t, s, `panic("boom")`)
	if !errors.As(err, &pe) || pe.Value != "boom" {
		t.Errorf("panic in interpreted code: %v", err)
	}
	alive(t, s)

	_, err = evalErr(t, s, "mpc.Zeros(-1)")
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), "non-positive dimension") || !strings.Contains(pe.Stack, "mpc.Zeros") {
		t.Errorf("panic in compiled code: %v", err)
	}
	alive(t, s)

	// A panic in a goroutine would end the process; the session recovers it
	// and reports where the goroutine was started.
	var gp *GoroutinePanicError
	r, err := evalErr(t, s, "go func() {\n\tpanic(\"in goroutine\")\n}()\ntime.Sleep(100 * time.Millisecond)")
	if !errors.As(err, &gp) || gp.Value != "in goroutine" || gp.Site != "line 1 of input 5" || !strings.Contains(r.Stderr, "panic in goroutine") {
		t.Errorf("goroutine panic: %v (stderr %q)", err, r.Stderr)
	}
	alive(t, s)

	// A go statement calling a named function, and compiled code panicking
	// inside the goroutine.
	_, err = evalErr(t, s, "func bad(n int) { mpc.Zeros(n) }\ngo bad(-2)\ntime.Sleep(100 * time.Millisecond)")
	if !errors.As(err, &gp) || !strings.Contains(err.Error(), "non-positive dimension") {
		t.Errorf("compiled panic in a goroutine: %v", err)
	}
	alive(t, s)

	// The arguments of go f(x) are evaluated at the go statement, as in Go.
	r = eval(t, s, `func show(i int, ch chan int) { ch <- i }
ch := make(chan int, 3)
for i := 0; i < 3; i++ { go show(i, ch) }
sum := <-ch + <-ch + <-ch
sum`)
	if r.Text != "3" {
		t.Errorf("go show(i) saw the loop variable late: sum %q, want 3", r.Text)
	}
}

func TestCancel(t *testing.T) {
	s := newSession(t, Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := s.Eval(ctx, "n := 0\nfor { n++ }")
	if !errors.Is(err, ErrInterrupted) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("endless loop: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("cancellation took %v", d)
	}
	alive(t, s)
	// repl.Context is the evaluation's context: compiled calls see the
	// cancellation.
	ctx, cancel = context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err = s.Eval(ctx, "<-repl.Context().Done()\nfmt.Println(\"unreachable?\")")
	if !errors.Is(err, ErrInterrupted) {
		t.Fatalf("waiting on repl.Context: %v", err)
	}
	alive(t, s)
}

func TestInterpreterGaps(t *testing.T) {
	s := newSession(t, Options{})
	for _, tc := range []struct{ src, want string }{
		{"for i := range 10 { _ = i }", "1:16: range over an integer (Go 1.22) is not supported"},
		{"n := 3\nfor i := range n { _ = i }", "2:16: range over an integer"},
		{"for i := range len(\"abc\") { _ = i }", "range over an integer"},
		{"for x := range func(yield func(int) bool) {} { _ = x }", "range over a function (Go 1.23 iterators)"},
		{"a := min(1, 2)", "1:6: min is a Go 1.21 builtin the interpreter (yaegi v0.16.1) does not have: use math.Min"},
		{"max(1.0, 2.0)", "max is a Go 1.21 builtin"},
		{"m := map[int]int{}\nclear(m)", "clear is a Go 1.21 builtin"},
		{"slices.Sort([]int{2, 1})", "generic"},
		{"rand.Intn(3)", `several packages are named rand: import one of "crypto/rand", "math/rand", "math/rand/v2"`},
		{"x := undefinedThing", "undefined: undefinedThing"},
		{`import "github.com/nowhere/pkg"`, `package "github.com/nowhere/pkg" is not available`},
	} {
		_, err := evalErr(t, s, tc.src)
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %q, want it to contain %q", tc.src, err, tc.want)
		}
		alive(t, s)
	}
	// Range over a function value the analysis cannot see: the interpreter's
	// own "nil type" panic is caught and explained.
	eval(t, s, "type seq func(func(int) bool)\nvar it seq = func(yield func(int) bool) { yield(1) }")
	_, err := evalErr(t, s, "func use(s seq) { for x := range s { _ = x } }\nuse(it)")
	if !strings.Contains(err.Error(), "not supported by the interpreter") {
		t.Errorf("range over a typed function: %v", err)
	}
	alive(t, s)
	// A user-defined min is fine.
	if r := eval(t, s, "func min(a, b int) int { if a < b { return a }; return b }\nmin(3, 2)"); r.Text != "2" {
		t.Errorf("user min: %q", r.Text)
	}
}

func TestExit(t *testing.T) {
	s := newSession(t, Options{})
	r, err := s.Eval(context.Background(), `fmt.Println("before")
os.Exit(3)
fmt.Println("after")`)
	var ee *ExitError
	if !errors.As(err, &ee) || ee.Code != 3 || r.Stdout != "before\n" {
		t.Fatalf("os.Exit: %v, stdout %q", err, r.Stdout)
	}
	_, err = s.Eval(context.Background(), `log.Fatal("fatal")`)
	if !errors.As(err, &ee) || ee.Code != 1 {
		t.Fatalf("log.Fatal: %v", err)
	}
	alive(t, s)
}

func TestImportsAndReset(t *testing.T) {
	s := newSession(t, Options{})
	eval(t, s, `import "fmt"`) // already imported by use: no error
	eval(t, s, `import mr "math/rand"`)
	if r := eval(t, s, "mr.New(mr.NewSource(1)).Intn(1000) >= 0"); r.Text != "true" {
		t.Errorf("aliased import: %q", r.Text)
	}
	_, err := evalErr(t, s, `import marill "fmt"`)
	if !strings.Contains(err.Error(), "marill is already the name of package") {
		t.Errorf("import name clash: %v", err)
	}
	eval(t, s, "kept := 7")
	// A goroutine that keeps printing stops at Reset.
	var live bytes.Buffer
	var mu sync.Mutex
	s.SetOutput(lockedWriter{&mu, &live}, nil)
	eval(t, s, `go func() { for { fmt.Println("tick"); time.Sleep(5 * time.Millisecond) } }()`)
	time.Sleep(30 * time.Millisecond)
	if err := s.Reset(); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	n := strings.Count(live.String(), "tick")
	mu.Unlock()
	time.Sleep(50 * time.Millisecond)
	mu.Lock()
	if n == 0 || strings.Count(live.String(), "tick") != n {
		t.Errorf("ticks before and after Reset: %d, %d", n, strings.Count(live.String(), "tick"))
	}
	mu.Unlock()
	_, err = evalErr(t, s, "kept")
	if !strings.Contains(err.Error(), "undefined: kept") {
		t.Errorf("after Reset: %v", err)
	}
	if len(s.Inputs()) != 0 {
		t.Errorf("inputs survive Reset: %q", s.Inputs())
	}
	alive(t, s)
}

func TestIsComplete(t *testing.T) {
	s := newSession(t, Options{})
	for src, want := range map[string]Completeness{
		"1+1":                         Complete,
		"func f() {":                  Incomplete,
		"func f() {\n\treturn\n}":     Complete,
		"x := []int{\n1,":             Incomplete,
		"fmt.Println(":                Incomplete,
		"s := `raw":                   Incomplete,
		"x :=":                        Incomplete,
		"a +":                         Incomplete,
		"x := )":                      Invalid,
		"func f() }":                  Invalid,
		":doc marill.Knobs":           Complete,
		"":                            Complete,
		"type T struct {\n\tA int\n}": Complete,
		"if true {\n\tfmt.Println(1)": Incomplete,
	} {
		if got := s.IsComplete(src); got != want {
			t.Errorf("IsComplete(%q) = %v, want %v", src, got, want)
		}
	}
}

func TestSplit(t *testing.T) {
	chunks, c, err := split("import \"fmt\"\nx := 1\nvar y = 2\nfunc f() int { return x }\nfunc (p P) M() {}\nfunc() { fmt.Println(y) }()\ny++")
	if err != nil || c != Complete {
		t.Fatal(c, err)
	}
	var kinds []chunkKind
	for _, ch := range chunks {
		kinds = append(kinds, ch.kind)
	}
	want := []chunkKind{importChunk, stmtChunk, declChunk, stmtChunk}
	if len(kinds) != len(want) {
		t.Fatalf("kinds %v, want %v", kinds, want)
	}
	for i := range want {
		if kinds[i] != want[i] {
			t.Fatalf("kinds %v, want %v", kinds, want)
		}
	}
	if chunks[2].text != "var y = 2\nfunc f() int { return x }\nfunc (p P) M() {}" || chunks[3].line != 6 {
		t.Errorf("chunk 2 %q, chunk 3 at line %d", chunks[2].text, chunks[3].line)
	}
}

func TestEvalFileAndArgs(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "script.go")
	os.WriteFile(file, []byte(`package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Println("args", os.Args[1:])
	fmt.Println(undefinedInScript)
}
`), 0o644)
	s := newSession(t, Options{Args: []string{"script.go", "-n", "3"}})
	_, err := s.EvalFile(context.Background(), file)
	if err == nil || !strings.Contains(err.Error(), "script.go:10:") || !strings.Contains(err.Error(), "undefined: undefinedInScript") {
		t.Fatalf("error in a file: %v", err)
	}
	os.WriteFile(file, []byte("package main\n\nimport \"fmt\"\n\nfunc main() {\n\tfmt.Println(\"args\", os.Args[1:])\n}\n"), 0o644)
	r, err := s.EvalFile(context.Background(), file)
	if err != nil || r.Stdout != "args [-n 3]\n" {
		t.Fatalf("EvalFile: %v, stdout %q", err, r.Stdout)
	}
	// main ran once, and does not run again after later inputs.
	if r := eval(t, s, "1"); r.Stdout != "" {
		t.Errorf("main ran again: %q", r.Stdout)
	}
}

func TestProgramCompilesAndReproduces(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	s := newSession(t, Options{})
	var want strings.Builder
	for _, src := range []string{
		"cfg := marill.Tiny(marill.BERT)",
		"cfg.SeqLen = 6",
		"pre, err := marill.NewPretrained(cfg, 3)",
		"err",
		"func describe(c marill.Config) string { return fmt.Sprintf(\"%s with %d layers\", c.Name, c.Layers) }",
		"describe(cfg)",
		"ft := pre.MustFineTune(marill.Knobs{FreezeLayers: 1, LoRARank: 2, MergeHeads: 2})",
		"ft.Plan()",
		"out, err := ft.Forward(repl.Context(), plain.New(), marill.RandomInput(cfg, 1))", // redefines err
		"fmt.Println(out.Shape())",
		"total := 0\nfor i := 0; i < 4; i++ { total += i }\ntotal",
		"scale := 10",
		"func scaled(x int) int { return x * scale }", // a declaration using a statement's variable
		"scaled(4)",
		"strings.ToUpper(\"done\")",
	} {
		r := eval(t, s, src)
		want.WriteString(r.Stdout)
		if r.Text != "" {
			want.WriteString(r.Text + "\n")
		}
	}
	evalErr(t, s, "thisFails()") // failed inputs are left out
	prog, err := s.Program()
	if err != nil {
		t.Fatalf("%v\n%s", err, prog)
	}
	if strings.Contains(prog, "thisFails") || !strings.Contains(prog, "var scale int") {
		t.Errorf("program:\n%s", prog)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "main.go")
	if err := s.Save(file); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(gobin, "run", file)
	cmd.Dir = ".." // the module, for marill's packages
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go run of the saved program: %v\n%s\n%s", err, out, prog)
	}
	if string(out) != want.String() {
		t.Errorf("saved program prints\n%s\nthe session showed\n%s", out, want.String())
	}
}

func TestClosed(t *testing.T) {
	s, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := s.Eval(context.Background(), "1"); err == nil {
		t.Error("a closed session evaluates")
	}
	if err := s.Close(); err != nil {
		t.Error("second Close:", err)
	}
}

// A function literal called as a statement runs once (yaegi alone would
// make it a main function and run it after every later input).
func TestFuncLiteralStatementRunsOnce(t *testing.T) {
	s := newSession(t, Options{})
	eval(t, s, "n := 0")
	eval(t, s, "func() { n++ }()")
	eval(t, s, "1")
	eval(t, s, "x := 2")
	if r := eval(t, s, "n"); r.Text != "1" {
		t.Errorf("n = %s, want 1", r.Text)
	}
	// Calls without results, of every kind, run once and show nothing.
	for _, src := range []string{
		"type counter struct{ k int }\nfunc (c *counter) Bump() { c.k++ }\nc := &counter{}",
		"c.Bump()",
		"func bump() { c.k++ }\nbump()",
		"f := func() { c.k++ }\nf()",
		"xs := []int{3, 1, 2}\nsort.Ints(xs)",
		"sb := &strings.Builder{}\nsb.Reset()",
	} {
		if r := eval(t, s, src); r.Text != "" {
			t.Errorf("%q shows %q", src, r.Text)
		}
	}
	if r := eval(t, s, "c.k"); r.Text != "3" {
		t.Errorf("c.k = %s, want 3", r.Text)
	}
}
