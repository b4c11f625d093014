package symbols

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/traefik/yaegi/extract"
)

// listedPaths reads the one list of exposed packages: the yaegi extract
// go:generate line of symbols.go.
func listedPaths(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("symbols.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "//go:generate go tool yaegi extract "); ok {
			return strings.Fields(rest)
		}
	}
	t.Fatal("symbols.go has no yaegi extract go:generate line")
	return nil
}

// TestGeneratedUpToDate regenerates every table (with the extractor `go
// tool yaegi extract` runs) and the docs (with gendoc) into a temporary
// directory and compares them with the committed files: it fails when a
// package changed without `go generate ./repl/symbols`.
func TestGeneratedUpToDate(t *testing.T) {
	if testing.Short() {
		t.Skip("regenerating the symbol tables type-checks every package from source")
	}
	paths := listedPaths(t)
	want := map[string][]byte{}
	// As cmd/yaegi's extract command: Dest is the directory's name, the
	// file is named after the import path.
	ext := extract.Extractor{Dest: "symbols"}
	name := strings.NewReplacer("/", "-", ".", "_", "~", "_")
	for _, p := range paths {
		var buf bytes.Buffer
		ipath, err := ext.Extract(p, "symbols", &buf)
		if err != nil {
			t.Fatalf("extract %s: %v", p, err)
		}
		want[name.Replace(ipath)+".go"] = buf.Bytes()
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to run gendoc")
	}
	tmp := filepath.Join(t.TempDir(), "docs.go")
	cmd := exec.Command(gobin, "run", "../internal/gendoc", "-o", tmp)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("gendoc: %v\n%s", err, out)
	}
	docs, err := os.ReadFile(tmp)
	if err != nil {
		t.Fatal(err)
	}
	want["docs.go"] = docs

	have, _ := filepath.Glob("*.go")
	for _, f := range have {
		if f == "symbols.go" || f == "doc.go" || strings.HasSuffix(f, "_test.go") {
			continue
		}
		if _, ok := want[f]; !ok {
			t.Errorf("%s is not generated from the list any more: delete it", f)
		}
	}
	for f, w := range want {
		got, err := os.ReadFile(f)
		if err != nil {
			t.Errorf("%s is missing: run go generate ./repl/symbols", f)
			continue
		}
		if !bytes.Equal(got, w) {
			t.Errorf("%s differs from what generation writes: run go generate ./repl/symbols", f)
		}
	}
}

func TestTables(t *testing.T) {
	paths := listedPaths(t)
	got := Paths()
	sort.Strings(paths)
	if !reflect.DeepEqual(got, paths) {
		t.Fatalf("Paths() = %v, the go:generate line lists %v", got, paths)
	}
	// Every exported name is in a table and has documentation; the tables
	// hold no generic function (yaegi would skip it silently).
	for key, syms := range Symbols {
		path := key[:strings.LastIndexByte(key, '/')]
		if _, ok := Doc(path, ""); !ok {
			t.Errorf("no package doc for %s", path)
		}
		for name := range syms {
			if strings.HasPrefix(name, "_") {
				continue // interface wrappers
			}
			if _, ok := Doc(path, name); !ok {
				t.Errorf("no doc for %s.%s", path, name)
			}
		}
	}
	// The reverse: every documented top-level name is in the table. yaegi
	// extract skips exported generic functions and types without a word,
	// so this is where one would show up.
	for key, syms := range Symbols {
		path := key[:strings.LastIndexByte(key, '/')]
		for _, name := range DocNames(path) {
			if strings.Contains(name, ".") {
				continue // methods and fields
			}
			if _, ok := syms[name]; !ok {
				t.Errorf("%s.%s is documented but not in the interpreter's table: is it generic? The REPL-visible API must not be", path, name)
			}
		}
	}
	if d, ok := Doc("github.com/marill-go/marill/marill", "Model.FineTune"); !ok || !strings.HasPrefix(d, "func (m *Model) FineTune(k Knobs) (*Model, error)\n") {
		t.Errorf("method doc: %q", d)
	}
	names := DocNames("github.com/marill-go/marill/marill/study")
	if len(names) == 0 || sort.SearchStrings(names, "Run") == len(names) {
		t.Errorf("DocNames(study) = %v", names)
	}
}
