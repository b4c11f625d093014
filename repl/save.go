package repl

import (
	"fmt"
	"go/ast"
	"go/format"
	"go/token"
	"os"
	"reflect"
	"sort"
	"strconv"
	"strings"
)

// Program returns the session's successful inputs as a Go program: package
// main, the imports the inputs use, their declarations at top level, and
// their statements, in order, in func main. A displayed expression becomes a
// fmt.Println of it, so the program prints what the session showed.
//
// Statements become locals of main; a variable that a declaration uses is
// declared at package level instead, with the type its value has in the
// session (types declared in the session cannot be named that way, so such
// a program may need a hand edit). Declarations run before main, so a
// package variable initialised from a statement's result sees its zero
// value. Inputs that failed are left out, also when part of them ran.
func (s *Session) Program() (string, error) {
	s.mu.RLock()
	inputs := append([]input(nil), s.inputs...)
	imports := make(map[string]string, len(s.imports))
	for k, v := range s.imports {
		imports[k] = v
	}
	declared := make(map[string]bool, len(s.declared))
	for k := range s.declared {
		declared[k] = true
	}
	s.mu.RUnlock()

	used := map[string]bool{}
	fromDecls := map[string]bool{}
	for _, in := range inputs {
		for _, p := range in.preps {
			for _, u := range p.uses {
				used[u] = true
				if p.kind == declChunk {
					fromDecls[u] = true
				}
			}
			if p.displayed {
				used["fmt"] = true
			}
		}
	}
	if used["fmt"] {
		if _, ok := imports["fmt"]; !ok {
			imports["fmt"] = "fmt"
		}
	}
	// display is predeclared in a session (displayDecl).
	useDisplay := used["display"] && !declared["display"]
	if useDisplay {
		used["repl"] = true
	}
	needImport := map[string]bool{}
	for name := range used {
		if _, ok := imports[name]; ok && !declared[name] && name != hookName {
			needImport[name] = true
		}
	}

	// Variables of statements that declarations use go to package level.
	hoisted := map[string]string{} // name -> type
	var hoistOrder []string
	var warnings []string
	for _, in := range inputs {
		for _, p := range in.preps {
			if p.kind != stmtChunk {
				continue
			}
			for _, n := range p.defines {
				if !fromDecls[n] || hoisted[n] != "" {
					continue
				}
				v, ok := s.global(n)
				if !ok || !v.IsValid() {
					continue
				}
				t, ok := typeString(v.Type(), imports, needImport)
				if !ok {
					warnings = append(warnings, fmt.Sprintf("// %s is used by a declaration but its type %v has no name here: declare it by hand.", n, v.Type()))
					continue
				}
				hoisted[n] = t
				hoistOrder = append(hoistOrder, n)
			}
		}
	}

	var b strings.Builder
	b.WriteString("// Code written by marill-repl :save.\n\npackage main\n\n")
	var names []string
	for n := range needImport {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool { return imports[names[i]] < imports[names[j]] })
	if len(names) > 0 {
		b.WriteString("import (\n")
		for _, n := range names {
			path := imports[n]
			if pkg, _ := packageName(path); pkg != n {
				b.WriteString("\t" + n + " " + strconv.Quote(path) + "\n")
			} else {
				b.WriteString("\t" + strconv.Quote(path) + "\n")
			}
		}
		b.WriteString(")\n\n")
	}
	for _, w := range warnings {
		b.WriteString(w + "\n")
	}
	if useDisplay {
		b.WriteString(displayDecl + "\n\n")
	}
	for _, n := range hoistOrder {
		fmt.Fprintf(&b, "var %s %s\n", n, hoisted[n])
	}
	if len(hoistOrder) > 0 {
		b.WriteString("\n")
	}
	var body strings.Builder
	defined := map[string]bool{}
	for n := range hoisted {
		defined[n] = true
	}
	for _, in := range inputs {
		for _, p := range in.preps {
			text := p.saved
			if p.displayed {
				text = p.savedShow
			}
			switch p.kind {
			case declChunk:
				b.WriteString(strings.TrimSpace(text) + "\n\n")
			case stmtChunk:
				body.WriteString(mainStatements(text, defined) + "\n")
			}
		}
		if in.main != "" {
			body.WriteString(in.main + "()\n")
		}
	}
	b.WriteString("func main() {\n" + body.String() + "}\n")
	src := b.String()
	out, err := format.Source([]byte(src))
	if err != nil {
		return src, fmt.Errorf("repl: the saved program does not format: %w", err)
	}
	return string(out), nil
}

// Save writes Program to path.
func (s *Session) Save(path string) error {
	src, err := s.Program()
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		return fmt.Errorf("repl: %w", err)
	}
	return nil
}

// mainStatements adapts a statement chunk to the body of one main func: a
// := whose variables all exist already (an earlier input's, or a hoisted
// package variable) becomes =, and each new variable is marked used, since
// a session need not use what it defines.
func mainStatements(text string, defined map[string]bool) string {
	fset := token.NewFileSet()
	f, off, err := parseChunk(fset, chunk{kind: stmtChunk, text: text})
	if err != nil {
		return text
	}
	tf := fset.File(f.Pos())
	var edits []edit
	for _, st := range f.Decls[0].(*ast.FuncDecl).Body.List {
		a, ok := st.(*ast.AssignStmt)
		if !ok || a.Tok != token.DEFINE {
			continue
		}
		var fresh []string
		for _, l := range a.Lhs {
			if id, ok := l.(*ast.Ident); ok && id.Name != "_" && !defined[id.Name] {
				fresh = append(fresh, id.Name)
			}
		}
		if len(fresh) == 0 {
			edits = append(edits, edit{at: tf.Offset(a.TokPos) - off, del: 2, ins: "="})
			continue
		}
		for _, n := range fresh {
			defined[n] = true
		}
		edits = append(edits, edit{at: tf.Offset(a.End()) - off, ins: "\n_ = " + strings.Join(fresh, "\n_ = ")})
	}
	return applyEdits(text, edits)
}

// typeString writes t as Go source using the session's import names, adding
// the imports it needs; ok is false for types without a name in compiled
// packages (those declared in the session).
func typeString(t reflect.Type, imports map[string]string, need map[string]bool) (string, bool) {
	if t.Name() != "" {
		if t.PkgPath() == "" {
			return t.Name(), true
		}
		for n, p := range imports {
			if p == t.PkgPath() {
				need[n] = true
				return n + "." + t.Name(), true
			}
		}
		return "", false
	}
	elem := func(prefix string, e reflect.Type) (string, bool) {
		s, ok := typeString(e, imports, need)
		return prefix + s, ok
	}
	switch t.Kind() {
	case reflect.Pointer:
		return elem("*", t.Elem())
	case reflect.Slice:
		return elem("[]", t.Elem())
	case reflect.Array:
		return elem("["+strconv.Itoa(t.Len())+"]", t.Elem())
	case reflect.Chan:
		return elem("chan ", t.Elem())
	case reflect.Map:
		k, ok := typeString(t.Key(), imports, need)
		if !ok {
			return "", false
		}
		return elem("map["+k+"]", t.Elem())
	case reflect.Interface:
		if t.NumMethod() == 0 {
			return "any", true
		}
	case reflect.Func:
		var in, out []string
		for i := range t.NumIn() {
			s, ok := typeString(t.In(i), imports, need)
			if !ok {
				return "", false
			}
			if t.IsVariadic() && i == t.NumIn()-1 {
				s = "..." + strings.TrimPrefix(s, "[]")
			}
			in = append(in, s)
		}
		for i := range t.NumOut() {
			s, ok := typeString(t.Out(i), imports, need)
			if !ok {
				return "", false
			}
			out = append(out, s)
		}
		r := "func(" + strings.Join(in, ", ") + ")"
		switch len(out) {
		case 0:
		case 1:
			r += " " + out[0]
		default:
			r += " (" + strings.Join(out, ", ") + ")"
		}
		return r, true
	}
	return "", false
}
