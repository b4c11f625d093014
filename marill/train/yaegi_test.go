package train_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/marill-go/marill/repl"
)

// TestStudyScriptInYaegi runs studies/accuracy.go in a marill-repl session
// (as marill-repl run does), on a tiny setup: the script compiles against
// the symbol tables and drives a whole (small) sweep.
func TestStudyScriptInYaegi(t *testing.T) {
	dir := t.TempDir()
	s, err := repl.New(repl.Options{Args: []string{"accuracy",
		"-dir", filepath.Join(dir, "cache"), "-out", filepath.Join(dir, "acc"), "-tasks", "subject",
		"-examples", "16", "-test-examples", "8", "-sentences", "16", "-hidden", "16", "-epochs", "0.5", "-quiet"}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r, err := s.EvalFile(context.Background(), filepath.Join("studies", "accuracy.go"))
	if err != nil {
		if r != nil {
			t.Fatalf("%v\n%s%s", err, r.Stdout, r.Stderr)
		}
		t.Fatal(err)
	}
	out := r.Stdout
	for _, want := range []string{"subject", "standard", "freeze 0.5 · r8 · m2 · gelu quad · 2quad · KD", "wrote"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	for _, f := range []string{"acc.csv", "acc.md", "acc-subject.jsonl", "acc-subject-distill.jsonl"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
}
