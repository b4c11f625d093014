package repl

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type fakePlot struct{ png []byte }

func (p fakePlot) PNG() ([]byte, error) { return p.png, nil }

func TestDisplayPlot(t *testing.T) {
	dir := t.TempDir()
	s := newSession(t, Options{PlotDir: dir})
	text, files, err := s.display([]any{fakePlot{[]byte("\x89PNG fake")}})
	if err != nil || len(files) != 1 || text != "plot written to "+files[0] || filepath.Dir(files[0]) != dir {
		t.Fatalf("display of a plot: %q %v %v", text, files, err)
	}
	if b, _ := os.ReadFile(files[0]); string(b) != "\x89PNG fake" {
		t.Errorf("plot file holds %q", b)
	}
}

// TestShellCommands drives the shell through pipes (no terminal: readline
// reads lines as they come).
func TestShellCommands(t *testing.T) {
	dir := t.TempDir()
	saved := filepath.Join(dir, "saved.go")
	loadme := filepath.Join(dir, "loadme.go")
	os.WriteFile(loadme, []byte("package main\n\nfunc fromFile() int { return 41 }\n\nfunc main() { println(\"main ran\") }\n"), 0o644)
	history := filepath.Join(dir, "history")
	input := strings.Join([]string{
		"func twice(x int) int {",
		"  return 2 * x", // a tab would be a completion request
		"}",
		"twice(21)",
		":time twice(2)",
		":doc study.NewBar",
		":save " + saved,
		":load " + loadme,
		"fromFile() + 1",
		":reset",
		"twice(1)",
		":bogus",
		":quit",
		"never evaluated",
	}, "\n") + "\n"
	var out bytes.Buffer
	sh, err := NewShell(ShellOptions{Stdin: io.NopCloser(strings.NewReader(input)), Stdout: &out, Stderr: &out, HistoryFile: history})
	if err != nil {
		t.Fatal(err)
	}
	if err := sh.Run(); err != nil {
		t.Fatal(err)
	}
	sh.Close()
	text := out.String()
	for _, want := range []string{
		"\n42\n",                            // the multi-line function works
		"\n4\ntook ",                        // :time
		"func NewBar(w io.Writer) Progress", // :doc
		"saved 3 inputs to " + saved,        // :save (:time evaluated one)
		"\n42\n",                            // :load, then use
		"session reset",                     // :reset
		"undefined: twice",                  // ... forgot twice
		"unknown command :bogus",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("shell output lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "never evaluated") {
		t.Errorf("input after :quit was read")
	}
	prog, _ := os.ReadFile(saved)
	if !strings.Contains(string(prog), "func twice(x int) int {") || !strings.Contains(string(prog), "fmt.Println(twice(21))") {
		t.Errorf("saved program:\n%s", prog)
	}
	hist, _ := os.ReadFile(history)
	if !strings.HasPrefix(string(hist), `"func twice(x int) int {\n  return 2 * x\n}"`+"\ntwice(21)\n") {
		t.Errorf("history file:\n%s", hist)
	}
}

func TestHistoryEncoding(t *testing.T) {
	for _, e := range []string{"1+1", "func f() {\n}", `"quoted"`, "a\rb"} {
		enc := encodeHistory(e)
		if strings.ContainsAny(enc, "\n\r") || decodeHistory(enc) != e {
			t.Errorf("%q encodes as %q, decodes as %q", e, enc, decodeHistory(enc))
		}
	}
}

func TestDoc(t *testing.T) {
	s := newSession(t, Options{})
	eval(t, s, "pre, _ := marill.NewPretrained(marill.Tiny(marill.BERT), 1)\nn := 3")
	for name, want := range map[string]string{
		"marill.Knobs":         "type Knobs struct {",
		"marill":               "package marill // import \"github.com/marill-go/marill/marill\"",
		"study.Run":            "func Run(ctx context.Context, g Grid, ev Evaluator, opts Options) (*Results, error)",
		"pre.FineTune":         "func (m *Model) FineTune(k Knobs) (*Model, error)",
		"pre.Plan().MPCLayers": "func (p *Plan) MPCLayers() int",
		"marill.Model.Forward": "func (m *Model) Forward(",
		"n":                    "var n int",
		"repl.Context":         "func Context() context.Context",
		"pre.Config.SeqLen":    "SeqLen is the prompt length n",
	} {
		d, err := s.Doc(name)
		if err != nil || !strings.Contains(d, want) {
			t.Errorf("Doc(%q) = %q, %v; want it to contain %q", name, d, err, want)
		}
	}
	for name, want := range map[string]string{
		"":            "needs a name",
		"nope.X":      "nope is neither a package nor a session variable",
		"marill.Nope": "no documentation for marill.Nope",
		"1 +":         "is not a Go name",
	} {
		if _, err := s.Doc(name); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Doc(%q): error %v, want %q", name, err, want)
		}
	}
}

func TestComplete(t *testing.T) {
	s := newSession(t, Options{})
	eval(t, s, "cfg := marill.BERTBase()\nfunc twiceLength(x int) int { return 2 * x }\ntype widget struct{ size, Count int }\nw := widget{}")
	for src, want := range map[string][]string{
		"cfg.Se":                    {"SeqLen"},
		"x := cfg.Hid":              {"Hidden"},
		"twiceL":                    {"twiceLength"},
		"stu":                       {"study"},
		"strings.HasPre":            {"HasPrefix"},          // not imported yet
		"cfg.Validate().Err":        {"Error"},              // through a call
		"w.s":                       {"size"},               // a session type's fields
		"marill.BERTBase().":        nil,                    // every member: checked below
		"fmt.Println(\"é\", cfg.Na": {"Name", "NativeGeLU"}, // rune offsets
		"nothing.X":                 nil,
	} {
		c := s.Complete(src, len([]rune(src)))
		if src == "marill.BERTBase()." {
			if len(c.Matches) < 10 {
				t.Errorf("members of a Config: %v", c.Matches)
			}
			continue
		}
		if strings.Join(c.Matches, ",") != strings.Join(want, ",") {
			t.Errorf("Complete(%q) = %v, want %v", src, c.Matches, want)
		}
		prefix := string([]rune(src)[c.Start:c.End])
		for _, m := range c.Matches {
			if !strings.HasPrefix(m, prefix) {
				t.Errorf("Complete(%q): match %q does not extend %q", src, m, prefix)
			}
		}
	}
	// The shell's completer: suffixes and the length they replace.
	sh := &Shell{session: s}
	got, n := completer{sh}.Do([]rune("x := cfg.Se"), 11)
	if n != 2 || len(got) != 1 || string(got[0]) != "qLen" {
		t.Errorf("completer: %q, %d", got, n)
	}
	got, n = completer{sh}.Do([]rune(":doc study.Ru"), 13)
	if n != 2 || len(got) != 1 || string(got[0]) != "n" {
		t.Errorf("completer after :doc: %q, %d", got, n)
	}
	got, n = completer{sh}.Do([]rune(":re"), 3)
	if n != 3 || len(got) != 1 || string(got[0]) != "set" {
		t.Errorf("command completion: %q, %d", got, n)
	}
}
