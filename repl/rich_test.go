package repl

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/marill-go/marill/marill/study"
)

// recorder is a rich front end's cell output: it records text and displays
// in the order they arrive.
type recorder struct {
	mu     sync.Mutex
	events []string
	values []any
}

func (r *recorder) Write(b []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if n := len(r.events); n > 0 && strings.HasPrefix(r.events[n-1], "text:") {
		r.events[n-1] += string(b) // coalesce, as a stream would
	} else {
		r.events = append(r.events, "text:"+string(b))
	}
	return len(b), nil
}

func (r *recorder) Display(v any, id string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, fmt.Sprintf("display[%v]:%v", id != "", v))
	r.values = append(r.values, v)
	return nil
}

func (r *recorder) Update(id string, v any) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, fmt.Sprintf("update:%v", v))
	r.values = append(r.values, v)
	return nil
}

func (r *recorder) snapshot() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.events...)
}

// waitFor polls until f holds (for output of goroutines).
func waitFor(t *testing.T, what string, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !f() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestDisplayer(t *testing.T) {
	rec := &recorder{}
	s := newSession(t, Options{Stdout: rec})
	r := eval(t, s, `fmt.Println("before")
display(42, "x")
fmt.Println("after")
plots.Pareto(nil, plots.Axis{}, plots.Axis{}, plots.LowerIsBetter, plots.Options{})`)
	want := []string{"text:before\n", "display[false]:42", "display[false]:x", "text:after\n"}
	if got := rec.snapshot(); !reflect.DeepEqual(got, want) {
		t.Errorf("events %q, want %q", got, want)
	}
	if r.Stdout != "before\nafter\n" {
		t.Errorf("Result.Stdout %q", r.Stdout)
	}
	// A final value is the front end's to render: no plot files.
	dir := t.TempDir()
	s2 := newSession(t, Options{Stdout: &recorder{}, PlotDir: dir})
	r = eval(t, s2, "repl.PNG([]byte(\"\\x89PNG\"))")
	if len(r.Files) != 0 || r.Text != "PNG image (4 bytes)" {
		t.Errorf("rich session rendered a plot: files %v, text %q", r.Files, r.Text)
	}
	if v, ok := r.Value(); !ok || reflect.TypeOf(v) != reflect.TypeOf(PNG(nil)) {
		t.Errorf("value %T", v)
	}
}

func TestDisplayHandleAndProgress(t *testing.T) {
	rec := &recorder{}
	s := newSession(t, Options{Stdout: rec})
	eval(t, s, "h := repl.NewDisplay(\"step 1\")\nh.Update(\"step 2\")")
	want := []string{"display[true]:step 1", "update:step 2"}
	if got := rec.snapshot(); !reflect.DeepEqual(got, want) {
		t.Errorf("events %q, want %q", got, want)
	}
	// A later input updates the same display.
	eval(t, s, `h.Update("step 3")`)
	if got := rec.snapshot(); got[len(got)-1] != "update:step 3" {
		t.Errorf("events %q", got)
	}

	rec2 := &recorder{}
	s.SetOutput(rec2, nil)
	eval(t, s, `g := study.Grid{Models: []string{"tiny-bert"}, SeqLens: []int{8}, LoRARanks: []int{0, 4, 8}}
res, err := study.Run(repl.Context(), g, study.PlanEvaluator(), study.Options{Progress: repl.Progress()})`)
	rec2.mu.Lock()
	defer rec2.mu.Unlock()
	if len(rec2.values) < 2 {
		t.Fatalf("progress showed %v", rec2.events)
	}
	first, ok1 := rec2.values[0].(study.Status)
	last, ok2 := rec2.values[len(rec2.values)-1].(study.Status)
	if !ok1 || !ok2 || !strings.HasPrefix(rec2.events[0], "display[true]") || first.Done != 0 ||
		!last.Finished || last.Done != 3 || !strings.HasPrefix(rec2.events[len(rec2.events)-1], "update:") {
		t.Errorf("progress events %q", rec2.events)
	}
}

func TestDisplayText(t *testing.T) {
	// Without a rich front end, display prints text and a plot goes to a file.
	dir := t.TempDir()
	s := newSession(t, Options{PlotDir: dir})
	r := eval(t, s, "display(repl.HTML(\"<b>b</b>\"), 7)\nh := repl.NewDisplay(1)\nh.Update(2)\ndisplay(repl.PNG([]byte(\"\\x89PNG\")))")
	lines := strings.Split(strings.TrimSpace(r.Stdout), "\n")
	if len(lines) != 5 || lines[0] != "<b>b</b>" || lines[1] != "7" || lines[2] != "1" || lines[3] != "2" ||
		!strings.HasPrefix(lines[4], "plot written to "+dir) {
		t.Errorf("text display: %q", r.Stdout)
	}
	// repl.Progress is a bar on the error stream.
	r = eval(t, s, `g := study.Grid{Models: []string{"tiny-bert"}, SeqLens: []int{8}}
study.Run(repl.Context(), g, study.PlanEvaluator(), study.Options{Progress: repl.Progress()})`)
	if !strings.Contains(r.Stderr, "1/1 (100%)") {
		t.Errorf("progress bar: %q", r.Stderr)
	}
}

// TestGoroutineOutput checks that what a goroutine prints or displays goes
// to the input that started it, also while a later input runs.
func TestGoroutineOutput(t *testing.T) {
	first, second := &recorder{}, &recorder{}
	s := newSession(t, Options{Stdout: first})
	eval(t, s, `start := make(chan bool)
done := make(chan bool)
go func() {
	<-start
	fmt.Println("from the goroutine")
	display(7)
	go func() { fmt.Printf("nested %d\n", 2); done <- true }()
}()
fmt.Println("first input")`)
	s.SetOutput(second, nil)
	r := eval(t, s, "start <- true\n<-done\nfmt.Println(\"second input\")")
	if r.Stdout != "second input\n" {
		t.Errorf("second input's output: %q", r.Stdout)
	}
	waitFor(t, "the goroutine's output", func() bool { return len(first.snapshot()) >= 3 })
	want := []string{"text:first input\nfrom the goroutine\n", "display[false]:7", "text:nested 2\n"}
	if got := first.snapshot(); !reflect.DeepEqual(got, want) {
		t.Errorf("first input's writer got %q, want %q", got, want)
	}
	if got := second.snapshot(); !reflect.DeepEqual(got, []string{"text:second input\n"}) {
		t.Errorf("second input's writer got %q", got)
	}
	// Goroutines that ended are forgotten.
	waitFor(t, "goroutines to end", func() bool { return s.nOwners.Load() == 0 })
	s.mu.RLock()
	n := len(s.cells)
	s.mu.RUnlock()
	if n != 0 {
		t.Errorf("%d evaluations still held after their goroutines ended", n)
	}
}

// TestGoroutinePanicLater checks that a goroutine of a finished input that
// panics reports to that input's error writer and leaves the running input
// alone.
func TestGoroutinePanicLater(t *testing.T) {
	var errs1 bytes.Buffer
	var mu sync.Mutex
	s := newSession(t, Options{Stdout: &recorder{}, Stderr: lockedWriter{&mu, &errs1}})
	eval(t, s, "trigger := make(chan bool)\ngo func() { <-trigger; panic(\"late\") }()")
	s.SetOutput(&recorder{}, &bytes.Buffer{})
	r := eval(t, s, "trigger <- true\ntime.Sleep(50 * time.Millisecond)\n1")
	if r.Text != "1" {
		t.Errorf("the running input: %q", r.Text)
	}
	waitFor(t, "the panic report", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return strings.Contains(errs1.String(), "panic in goroutine started at line 2 of input 1: late")
	})
}

func TestPanicTrace(t *testing.T) {
	var live bytes.Buffer
	var mu sync.Mutex
	s := newSession(t, Options{Stderr: lockedWriter{&mu, &live}})
	r, err := evalErr(t, s, "func f() { panic(\"in f\") }\nfunc g() { f() }\ng()")
	var pe *PanicError
	if !errors.As(err, &pe) || !reflect.DeepEqual(pe.Trace, []string{"f at 1:12", "g at 2:12", "input at 3:1"}) {
		t.Fatalf("panic: %#v", err)
	}
	if !strings.Contains(err.Error(), "panic: in f\n  f at 1:12\n  g at 2:12\n  input at 3:1") {
		t.Errorf("message %q", err)
	}
	mu.Lock()
	if r.Stderr != "" || live.Len() != 0 {
		t.Errorf("the interpreter's panic lines reached the error stream: %q, live %q", r.Stderr, live.String())
	}
	mu.Unlock()
	// Output that only looks like the start of a panic line is not held
	// back.
	r = eval(t, s, "fmt.Fprint(os.Stderr, \"12\")\nfmt.Fprintln(os.Stderr, \":3: panic: not(...) really\")")
	if r.Stderr != "12:3: panic: not(...) really\n" {
		t.Errorf("stderr %q", r.Stderr)
	}
}

// TestGoroutinePanicOnce checks that a goroutine's panic in the running
// input is reported once: as the error, and in Result.Stderr, not on the
// live error writer (a front end shows the error).
func TestGoroutinePanicOnce(t *testing.T) {
	var live bytes.Buffer
	var mu sync.Mutex
	s := newSession(t, Options{Stderr: lockedWriter{&mu, &live}})
	r, err := evalErr(t, s, "go func() { panic(\"g\") }()\ntime.Sleep(100 * time.Millisecond)")
	var gp *GoroutinePanicError
	if !errors.As(err, &gp) || !strings.Contains(r.Stderr, "panic in goroutine") {
		t.Fatalf("goroutine panic: %v, stderr %q", err, r.Stderr)
	}
	mu.Lock()
	defer mu.Unlock()
	if live.Len() != 0 {
		t.Errorf("live error writer got %q", live.String())
	}
}

func TestReplNames(t *testing.T) {
	s := newSession(t, Options{})
	var names []string
	for n := range s.hooks()[replPath+"/repl"] {
		names = append(names, n)
	}
	sort.Strings(names)
	if !reflect.DeepEqual(names, replNames) {
		t.Errorf("the session provides %v, replNames lists %v", names, replNames)
	}
	for _, n := range replNames {
		if _, err := s.Doc("repl." + n); err != nil {
			t.Errorf(":doc repl.%s: %v", n, err)
		}
	}
	if d, err := s.Doc("display"); err != nil || !strings.HasPrefix(d, "func Display(vs ...any)") {
		t.Errorf(":doc display: %q, %v", d, err)
	}
	if c := s.Complete("repl.Disp", 9); !reflect.DeepEqual(c.Matches, []string{"Display", "DisplayHandle", "Displayer"}) {
		t.Errorf("completion of repl.Disp: %v", c.Matches)
	}
	eval(t, s, "display(1)")
	prog, err := s.Program()
	if err != nil || !strings.Contains(prog, "var display = repl.Display") || !strings.Contains(prog, `"github.com/marill-go/marill/repl"`) {
		t.Errorf("program using display:\n%s\n%v", prog, err)
	}
}

// TestReplDocsUpToDate regenerates replsyms_docs.go and compares.
func TestReplDocsUpToDate(t *testing.T) {
	if testing.Short() {
		t.Skip("runs gendoc")
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	tmp := filepath.Join(t.TempDir(), "docs.go")
	cmd := exec.Command(gobin, "run", "./internal/gendoc", "-path", replPath, "-package", "repl", "-var", "replDocs", "-o", tmp)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("gendoc: %v\n%s", err, out)
	}
	want, _ := os.ReadFile(tmp)
	got, _ := os.ReadFile("replsyms_docs.go")
	if !bytes.Equal(got, want) {
		t.Error("replsyms_docs.go differs from what generation writes: run go generate ./repl")
	}
}

func TestTypeInferenceGap(t *testing.T) {
	s := newSession(t, Options{})
	eval(t, s, "pre, _ := marill.NewPretrained(marill.Tiny(marill.BERT), 1)")
	_, err := evalErr(t, s, "b := pre.Blocks[0]")
	if !strings.Contains(err.Error(), "declare it with its type") {
		t.Errorf("error %q", err)
	}
	if r := eval(t, s, "var b *marill.Block = pre.Blocks[0]\nb.Heads"); r.Text != "4" {
		t.Errorf("with the type: %q", r.Text)
	}
}

// TestNestedDefinitions checks the workaround for yaegi's failure on
// definitions of several names in blocks of top-level statements.
func TestNestedDefinitions(t *testing.T) {
	s := newSession(t, Options{})
	for _, tc := range []struct{ src, want string }{
		{"total := 0\nfor _, w := range []string{\"1\", \"2\"} {\n\tn, err := strconv.Atoi(w)\n\tif err != nil {\n\t\tpanic(err)\n\t}\n\ttotal += n\n}\ntotal", "3"},
		{"m := map[string]int{\"a\": 1}\nif true { v, ok := m[\"a\"]; fmt.Println(v, ok) }", ""},
		{"var a any = 2.5\n{ f, ok := a.(float64); fmt.Println(f, ok) }", ""},
		{"outer:\nfor i := 0; i < 3; i++ {\n\tfor j := 0; j < 3; j++ {\n\t\tq, r := i*j, i+j\n\t\tif q+r > 3 { fmt.Println(i, j); break outer }\n\t}\n}", ""},
	} {
		r := eval(t, s, tc.src)
		if r.Text != tc.want {
			t.Errorf("%q shows %q, want %q", tc.src, r.Text, tc.want)
		}
	}
	if r := eval(t, s, "total"); r.Text != "3" {
		t.Errorf("a global assigned in the loop: %q", r.Text)
	}
	// Positions after the rewritten statement are the input's.
	_, err := evalErr(t, s, "for i := 0; i < 1; i++ { a, b := 1, 2; _, _ = a, b }\nundefinedName")
	if !strings.Contains(err.Error(), "2:1: undefined: undefinedName") {
		t.Errorf("position after a wrapped statement: %v", err)
	}
	// A saved program keeps the statement as written.
	prog, _ := s.Program()
	if strings.Contains(prog, "func() {") {
		t.Errorf("the saved program has the wrapper:\n%s", prog)
	}
}
