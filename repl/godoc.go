package repl

import (
	"context"
	"fmt"
	"go/parser"
	"os/exec"
	"reflect"
	"strings"
	"time"

	"github.com/marill-go/marill/repl/symbols"
)

// Doc returns the Go doc of name: a package ("marill"), a symbol
// ("marill.Knobs", "study.Run"), a method or field path
// ("marill.Model.FineTune"), or a member of a session variable's type
// ("pre.FineTune" for pre of type *marill.Model). Docs of marill's
// packages are compiled in (generated from their sources, so they also
// work for an installed binary); for the standard library Doc runs `go doc`
// when the go command is on PATH. A session variable without
// documentation is described by its type.
func (s *Session) Doc(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", fmt.Errorf("repl: :doc needs a name, e.g. :doc marill.Knobs")
	}
	if _, err := parser.ParseExpr(name); err != nil {
		return "", fmt.Errorf("repl: %q is not a Go name", name)
	}
	parts := strings.Split(name, ".")
	head := parts[0]
	// A package name, possibly followed by Symbol or Type.Method.
	s.mu.RLock()
	path, imported := s.imports[head]
	declared := s.declared[head]
	s.mu.RUnlock()
	if !imported {
		if paths := packagesNamed(head); len(paths) == 1 {
			path = paths[0]
		}
	}
	if _, isVar := s.global(head); !isVar && !declared && path != "" {
		if d, ok := symbols.Doc(path, strings.Join(parts[1:], ".")); ok {
			return d, nil
		}
		if path == replPath {
			return replDoc(name, parts[1:])
		}
		if isOurs(path) {
			return "", fmt.Errorf("repl: no documentation for %s (package %s has %s)", name, path, strings.Join(firstN(symbols.DocNames(path), 12), ", "))
		}
		return goDoc(path, parts[1:])
	}
	if name == "display" && !declared {
		return replDoc(name, []string{"Display"})
	}
	// A session variable, or a member of its type.
	if len(parts) == 1 {
		if v, ok := s.global(head); ok && v.IsValid() {
			return fmt.Sprintf("var %s %v", head, v.Type()), nil
		}
		if declared {
			return fmt.Sprintf("%s is declared in this session (no documentation)", head), nil
		}
		return "", fmt.Errorf("repl: %s is neither a package nor a session variable", head)
	}
	if _, isVar := s.global(head); !isVar && !declared {
		return "", fmt.Errorf("repl: %s is neither a package nor a session variable", head)
	}
	recv := strings.Join(parts[:len(parts)-1], ".")
	rx, _ := parser.ParseExpr(recv)
	r := s.resolve(rx)
	if r.typ == nil {
		return "", fmt.Errorf("repl: cannot tell the type of %s", recv)
	}
	t := r.typ
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	member := parts[len(parts)-1]
	if t.PkgPath() != "" && t.Name() != "" {
		if d, ok := symbols.Doc(t.PkgPath(), t.Name()+"."+member); ok {
			return d, nil
		}
		if d, ok := symbols.Doc(t.PkgPath(), t.Name()); ok && hasField(t, member) {
			return d, nil // fields are documented in the type's declaration
		}
		if !isOurs(t.PkgPath()) {
			return goDoc(t.PkgPath(), []string{t.Name(), member})
		}
	}
	return "", fmt.Errorf("repl: no documentation for %s (a %v)", name, r.typ)
}

//go:generate go run ./internal/gendoc -path github.com/marill-go/marill/repl -package repl -var replDocs -o replsyms_docs.go

// replNames are the names of package repl that the interpreter has (the
// session provides them: see Session.hooks).
var replNames = []string{"Context", "Display", "DisplayHandle", "Displayer", "HTML", "Markdown", "NewDisplay", "PNG", "Progress", "SVG"}

// replDoc documents package repl as the interpreter sees it (sym: "",
// "Display", "DisplayHandle.Update").
func replDoc(name string, sym []string) (string, error) {
	if len(sym) == 0 {
		return "package repl // import \"" + replPath + "\"\n\nThe session's own package: the evaluation's context, and rich display.\n\n" +
			strings.Join(replNames, ", ") + "\n", nil
	}
	for _, n := range replNames {
		if n == sym[0] {
			if d, ok := replDocs[replPath+"."+strings.Join(sym, ".")]; ok {
				return d, nil
			}
		}
	}
	return "", fmt.Errorf("repl: no documentation for %s (package repl has %s)", name, strings.Join(replNames, ", "))
}

func hasField(t reflect.Type, name string) bool {
	if t.Kind() != reflect.Struct {
		return false
	}
	_, ok := t.FieldByName(name)
	return ok
}

func isOurs(path string) bool {
	for _, p := range symbols.Paths() {
		if p == path {
			return true
		}
	}
	return false
}

func firstN(ss []string, n int) []string {
	if len(ss) > n {
		return append(ss[:n:n], "...")
	}
	return ss
}

// goDoc asks the go command for the doc of a standard-library symbol.
func goDoc(path string, sym []string) (string, error) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("repl: no documentation for %s compiled in, and no go command to ask", path)
	}
	arg := path
	if len(sym) > 0 {
		arg += "." + strings.Join(sym, ".")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, gobin, "doc", arg).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("repl: go doc %s: %s", arg, strings.TrimSpace(string(out)))
	}
	return string(out), nil
}
