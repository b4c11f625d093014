package repl

import (
	"fmt"
	"go/ast"
	"go/scanner"
	"go/token"
	"reflect"
	"sort"
	"strconv"
	"strings"
)

// hookName is the name under which every session imports its hook package
// (Show, Cell, Enter, GoEnd). The leading underscore keeps it out of completion.
const hookName = "_marill"

// prepared is a chunk ready to evaluate.
type prepared struct {
	chunk
	// eval is the text given to the interpreter, with a //line directive so
	// positions in messages are the user's; show is the same text with the
	// final expression statement wrapped in the display hook ("" when
	// there is none).
	eval, show string
	// saved is the chunk as :save writes it; savedShow, when the chunk
	// ends with a displayed expression, has it printed with fmt.Println,
	// and displayed says whether the session showed a value.
	saved, savedShow string
	displayed        bool
	// defined are the names the chunk declares at top level; defines are
	// the ones declared by := statements (locals of main in a saved
	// program).
	defined, defines []string
	// uses are identifiers the chunk uses without declaring them (package
	// names among them).
	uses []string
	// imports are the chunk's import specs.
	imports []importSpec
	// ranges is set when the chunk ranges over something (for explaining the
	// interpreter's "nil type" panic).
	ranges bool
	// mainDecl is set when the chunk declares func main.
	mainDecl bool
	// funcResults and methodResults count the results of the functions
	// and methods the chunk declares.
	funcResults, methodResults map[string]int
}

type importSpec struct {
	name, path string
}

// gap explains a Go feature the interpreter (yaegi v0.16.1) lacks.
type gap struct {
	pos token.Position
	msg string
}

var builtinNoValue = map[string]bool{"panic": true, "print": true, "println": true, "close": true, "delete": true, "clear": true}

var builtinFuncs = map[string]bool{"append": true, "cap": true, "clear": true, "close": true, "complex": true, "copy": true,
	"delete": true, "imag": true, "len": true, "make": true, "max": true, "min": true, "new": true, "panic": true,
	"print": true, "println": true, "real": true, "recover": true}

// env is what the analysis knows of the session.
type env struct {
	// declared reports whether a name is a session global (var, const, func
	// or type) or declared elsewhere in the same input.
	declared func(name string) bool
	// global returns the value of a session variable.
	global func(name string) (reflect.Value, bool)
	// site labels goroutine panics ("line 3", "knobs.go:12").
	site func(line int) string
	// gensym returns a fresh identifier prefix.
	gensym func() string
	// results tells how many results a called function has, when the
	// session can tell (compiled functions and methods, functions and
	// methods declared in the session).
	results func(fun ast.Expr) (n int, ok bool)
}

// prepare parses a chunk, checks it for features the interpreter lacks and
// rewrites it: go statements recover panics, and a trailing expression
// statement is displayed.
func prepare(c chunk, file string, last bool, e env) (*prepared, error) {
	fset := token.NewFileSet()
	f, off, err := parseChunk(fset, c)
	if err != nil {
		return nil, positionErr(err, file, c.line)
	}
	p := &prepared{chunk: c}
	tf := fset.File(f.Pos())
	offset := func(pos token.Pos) int { return tf.Offset(pos) - off }
	lineOf := func(pos token.Pos) int { return c.line + tf.Line(pos) - 2 }

	local := map[string]bool{}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.Ident:
			if n.Obj != nil && n.Obj.Decl != nil {
				local[n.Name] = true
			}
		case *ast.RangeStmt:
			p.ranges = true
		}
		return true
	})
	known := func(name string) bool { return local[name] || e.declared(name) }

	var gaps []gap
	var edits []edit
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.CallExpr:
			if id, ok := n.Fun.(*ast.Ident); ok && (id.Name == "min" || id.Name == "max" || id.Name == "clear") && !known(id.Name) {
				gaps = append(gaps, gap{fset.Position(id.Pos()), builtinGap(id.Name)})
			}
		case *ast.RangeStmt:
			if msg := rangeGap(n.X, e.global); msg != "" {
				gaps = append(gaps, gap{fset.Position(n.X.Pos()), msg})
			}
		case *ast.GoStmt:
			eds, replaced := rewriteGo(n, offset, c.text, e.site(lineOf(n.Pos())), e.gensym, known)
			for _, ed := range eds {
				ed.ins += resume(c, ed.at+ed.del)
				edits = append(edits, ed)
			}
			if replaced {
				// The statement is replaced by a rewrite of its source text:
				// a go statement in its arguments stays as it is.
				return false
			}
		}
		return true
	})
	if len(gaps) > 0 {
		g := gaps[0]
		return nil, fmt.Errorf("%s: %s", userPos(file, c.line, g.pos), g.msg)
	}

	if c.kind == declChunk {
		p.funcResults, p.methodResults = resultCounts(f)
	}
	for _, d := range f.Decls {
		if c.kind == stmtChunk {
			break // the one declaration is the wrapper function
		}
		switch d := d.(type) {
		case *ast.FuncDecl:
			if d.Recv == nil {
				p.defined = append(p.defined, d.Name.Name)
				if d.Name.Name == "main" {
					p.mainDecl = true
				}
			}
		case *ast.GenDecl:
			for _, s := range d.Specs {
				switch s := s.(type) {
				case *ast.ImportSpec:
					path, _ := strconv.Unquote(s.Path.Value)
					spec := importSpec{path: path}
					if s.Name != nil {
						spec.name = s.Name.Name
					}
					p.imports = append(p.imports, spec)
				case *ast.TypeSpec:
					p.defined = append(p.defined, s.Name.Name)
				case *ast.ValueSpec:
					for _, n := range s.Names {
						p.defined = append(p.defined, n.Name)
					}
				}
			}
		}
	}
	for _, u := range f.Unresolved {
		p.uses = append(p.uses, u.Name)
	}
	sort.Strings(p.uses)
	p.uses = compactStrings(p.uses)

	p.saved = c.text
	var showEdit *edit
	if c.kind == stmtChunk {
		body := f.Decls[0].(*ast.FuncDecl).Body.List
		for _, s := range body {
			if needsFunc(s) {
				a, b := offset(s.Pos()), offset(s.End())
				edits = append(edits, edit{at: a, ins: "func() { " + resume(c, a)}, edit{at: b, ins: " }()" + resume(c, b)})
			}
			if a, ok := s.(*ast.AssignStmt); ok && a.Tok == token.DEFINE {
				for _, l := range a.Lhs {
					if id, ok := l.(*ast.Ident); ok && id.Name != "_" {
						p.defined = append(p.defined, id.Name)
						p.defines = append(p.defines, id.Name)
					}
				}
			}
			if ds, ok := s.(*ast.DeclStmt); ok {
				if gd, ok := ds.Decl.(*ast.GenDecl); ok {
					for _, sp := range gd.Specs {
						switch sp := sp.(type) {
						case *ast.ValueSpec:
							for _, n := range sp.Names {
								p.defined = append(p.defined, n.Name)
							}
						case *ast.TypeSpec:
							p.defined = append(p.defined, sp.Name.Name)
						}
					}
				}
			}
		}
		if n := len(body); last && n > 0 {
			if es, ok := body[n-1].(*ast.ExprStmt); ok && displayable(es.X, known, e.results) {
				a, b := offset(es.X.Pos()), offset(es.X.End())
				showEdit = &edit{at: a, ins: hookName + ".Show(" + resume(c, a)}
				p.savedShow = c.text[:a] + "fmt.Println(" + c.text[a:b] + ")" + c.text[b:]
				edits = append(edits, edit{at: b, ins: ")"})
			}
		}
	}
	directive := lineDirective(c.line, 1)
	if c.kind == stmtChunk {
		// yaegi parses an input whose first token is func as a file, and
		// when that fails (a function literal called as a statement) wraps
		// it in a main function it then runs after every later input.
		// An empty statement first keeps it in statement mode.
		directive = ";" + directive
	}
	if showEdit != nil {
		p.show = directive + applyEdits(c.text, append(edits, *showEdit))
		edits = edits[:len(edits)-1]
	}
	p.eval = directive + applyEdits(c.text, edits)
	return p, nil
}

// resume is a line directive that gives the text after offset at of the
// chunk its own position again, after inserted text.
func resume(c chunk, at int) string {
	line := c.line + strings.Count(c.text[:at], "\n")
	col := at - strings.LastIndexByte(c.text[:at], '\n')
	return lineDirective(line, col)
}

// displayable reports whether an expression statement may have a value to
// show: not a call of a builtin or function without results. Ruling those
// out before evaluation matters: wrapping them in the display hook fails to
// compile, and the session then evaluates them unwrapped, and a failed
// compilation is a path of yaegi's better avoided.
func displayable(x ast.Expr, known func(string) bool, results func(ast.Expr) (int, bool)) bool {
	call, ok := x.(*ast.CallExpr)
	if !ok {
		return true
	}
	switch f := call.Fun.(type) {
	case *ast.Ident:
		if builtinNoValue[f.Name] && !known(f.Name) {
			return false
		}
	case *ast.FuncLit:
		return f.Type.Results != nil && f.Type.Results.NumFields() > 0
	}
	if results != nil {
		if n, ok := results(call.Fun); ok {
			return n > 0
		}
	}
	return true
}

// needsFunc reports whether a top-level statement must run inside a
// function literal: yaegi v0.16.1 fails to compile a definition of several
// names (a, err := f(); v, ok := m[k]; var a, b = f()) in a block nested in
// top-level statements ("undefined: a"), while the same code in a function
// works. Such a for, if, switch, select or block statement defines no
// session names (its variables are its own), so running it as
// func() { … }() changes nothing else.
func needsFunc(st ast.Stmt) bool {
	switch st.(type) {
	case *ast.ForStmt, *ast.RangeStmt, *ast.IfStmt, *ast.SwitchStmt, *ast.TypeSwitchStmt, *ast.SelectStmt, *ast.BlockStmt, *ast.LabeledStmt:
	default:
		return false
	}
	found := false
	ast.Inspect(st, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncLit:
			return false // a function already
		case *ast.AssignStmt:
			found = found || (n.Tok == token.DEFINE && len(n.Lhs) > 1)
		case *ast.ValueSpec:
			found = found || len(n.Names) > 1
		}
		return !found
	})
	return found
}

// resultCounts records how many results the functions and methods a chunk
// declares have (methods by name only).
func resultCounts(f *ast.File) (funcs, methods map[string]int) {
	funcs, methods = map[string]int{}, map[string]int{}
	for _, d := range f.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok {
			continue
		}
		n := 0
		if fd.Type.Results != nil {
			n = fd.Type.Results.NumFields()
		}
		if fd.Recv == nil {
			funcs[fd.Name.Name] = n
		} else if old, seen := methods[fd.Name.Name]; !seen || old == n {
			methods[fd.Name.Name] = n
		} else {
			methods[fd.Name.Name] = -1 // methods of that name differ
		}
	}
	return funcs, methods
}

func builtinGap(name string) string {
	switch name {
	case "clear":
		return "clear is a Go 1.21 builtin the interpreter (yaegi v0.16.1) does not have: delete keys in a loop (for k := range m { delete(m, k) }) or reslice (s = s[:0])"
	default:
		return name + " is a Go 1.21 builtin the interpreter (yaegi v0.16.1) does not have: use math." +
			strings.ToUpper(name[:1]) + name[1:] + " for float64, or an if"
	}
}

// typeInferenceGap explains yaegi's other "constant definition loop": a
// top-level variable initialised by indexing a slice of a compiled struct's
// field (b := m.Blocks[0]).
const typeInferenceGap = "the interpreter (yaegi v0.16.1) cannot infer the type of this top-level variable: declare it with its type (var b *marill.Block = m.Blocks[0]), or compute it inside a function"

const (
	rangeIntGap  = "range over an integer (Go 1.22) is not supported by the interpreter (yaegi v0.16.1): write for i := 0; i < n; i++"
	rangeFuncGap = "range over a function (Go 1.23 iterators) is not supported by the interpreter (yaegi v0.16.1): call the function with a yield func instead"
)

// rangeGap recognises ranging over an integer or a function where the
// syntax or the session's values tell.
func rangeGap(x ast.Expr, global func(string) (reflect.Value, bool)) string {
	return rangeGapDepth(x, global, 0)
}

func rangeGapDepth(x ast.Expr, global func(string) (reflect.Value, bool), depth int) string {
	if depth > 8 {
		return ""
	}
	switch x := x.(type) {
	case *ast.BasicLit:
		if x.Kind == token.INT {
			return rangeIntGap
		}
	case *ast.CallExpr:
		if id, ok := x.Fun.(*ast.Ident); ok && (id.Name == "len" || id.Name == "cap") {
			return rangeIntGap
		}
	case *ast.FuncLit:
		return rangeFuncGap
	case *ast.BinaryExpr:
		if rangeGapDepth(x.X, global, depth+1) == rangeIntGap || rangeGapDepth(x.Y, global, depth+1) == rangeIntGap {
			return rangeIntGap
		}
	case *ast.Ident:
		if x.Obj != nil {
			return localRangeGap(x.Obj, depth+1)
		}
		if v, ok := global(x.Name); ok && v.IsValid() {
			switch v.Kind() {
			case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
				reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
				return rangeIntGap
			case reflect.Func:
				return rangeFuncGap
			}
		}
	}
	return ""
}

// localRangeGap recognises a variable declared in the same input as an
// integer (n := 3, n := len(s), var n int) or a function.
func localRangeGap(obj *ast.Object, depth int) string {
	switch d := obj.Decl.(type) {
	case *ast.FuncDecl:
		return rangeFuncGap
	case *ast.AssignStmt:
		if len(d.Lhs) != len(d.Rhs) {
			return ""
		}
		for i, l := range d.Lhs {
			if id, ok := l.(*ast.Ident); ok && id.Obj == obj {
				return rangeGapDepth(d.Rhs[i], noGlobal, depth)
			}
		}
	case *ast.ValueSpec:
		if id, ok := d.Type.(*ast.Ident); ok && intTypes[id.Name] {
			return rangeIntGap
		}
		if _, ok := d.Type.(*ast.FuncType); ok {
			return rangeFuncGap
		}
		for i, n := range d.Names {
			if n.Obj == obj && i < len(d.Values) {
				return rangeGapDepth(d.Values[i], noGlobal, depth)
			}
		}
	}
	return ""
}

var intTypes = map[string]bool{"int": true, "int8": true, "int16": true, "int32": true, "int64": true,
	"uint": true, "uint8": true, "uint16": true, "uint32": true, "uint64": true, "uintptr": true, "byte": true, "rune": true}

func noGlobal(string) (reflect.Value, bool) { return reflect.Value{}, false }

// rewriteGo makes a go statement recover a panic of its goroutine and report
// it to the session, instead of letting it kill the process, and tells the
// session which evaluation started the goroutine (its output and displays
// go to that input's cell, also after the input has finished). A function
// literal gets the registration and a deferred recover as its first
// statements; any other call has its function and arguments evaluated where
// the go statement is (as Go does) and is then called by such a literal.
// Line breaks are kept so positions after the statement do not move.
// replaced reports that the whole statement was rewritten.
func rewriteGo(g *ast.GoStmt, offset func(token.Pos) int, text, site string, gensym func() string, known func(string) bool) (eds []edit, replaced bool) {
	prefix := gensym()
	cell := prefix + "c"
	open := "{ " + cell + " := " + hookName + ".Cell(); "
	guard := hookName + ".Enter(" + cell + "); defer func() { " + hookName + ".GoEnd(" + strconv.Quote(site) + ", recover()) }(); "
	a, b := offset(g.Pos()), offset(g.End())
	if lit, ok := g.Call.Fun.(*ast.FuncLit); ok {
		return []edit{
			{at: a, ins: open},
			{at: offset(lit.Body.Lbrace) + 1, ins: " " + guard},
			{at: b, ins: " }"},
		}, false
	}
	src := func(n ast.Node) string { return text[offset(n.Pos()):offset(n.End())] }
	var names, values, args []string
	fun := src(g.Call.Fun)
	if id, ok := g.Call.Fun.(*ast.Ident); !ok || !builtinFuncs[id.Name] || known(id.Name) {
		names, values = append(names, prefix+"f"), append(values, fun)
		fun = prefix + "f"
	}
	for i, a := range g.Call.Args {
		if constantLike(a) {
			args = append(args, src(a))
			continue
		}
		n := prefix + "a" + strconv.Itoa(i)
		names, values, args = append(names, n), append(values, src(a)), append(args, n)
	}
	call := fun + "(" + strings.Join(args, ", ")
	if g.Call.Ellipsis.IsValid() {
		call += "..."
	}
	call += ")"
	var out strings.Builder
	out.WriteString(open)
	if len(names) > 0 {
		out.WriteString(strings.Join(names, ", ") + " := " + strings.Join(values, ", ") + "; ")
	}
	out.WriteString("go func() { " + guard + call + " }() }")
	return []edit{{at: a, del: b - a, ins: out.String()}}, true
}

// constantLike reports whether an argument can be evaluated late without
// changing the program: literals and nil/true/false, which also keeps
// untyped constants untyped.
func constantLike(x ast.Expr) bool {
	switch x := x.(type) {
	case *ast.BasicLit:
		return true
	case *ast.Ident:
		return x.Name == "nil" || x.Name == "true" || x.Name == "false"
	case *ast.UnaryExpr:
		return constantLike(x.X)
	case *ast.ParenExpr:
		return constantLike(x.X)
	}
	return false
}

// edit replaces del bytes at offset at with ins.
type edit struct {
	at, del int
	ins     string
}

func applyEdits(text string, edits []edit) string {
	es := append([]edit(nil), edits...)
	sort.SliceStable(es, func(i, j int) bool { return es[i].at > es[j].at })
	for _, e := range es {
		text = text[:e.at] + e.ins + text[e.at+e.del:]
	}
	return text
}

// lineDirective makes the interpreter report the position of the text that
// follows as line:col. It starts and ends with a newline, which is harmless
// where edits insert it: after a statement, an opening brace or
// parenthesis. The file name stays empty: the interpreter files imports
// under the name of the file that holds them, so naming chunks after their
// file would hide the session's imports from them; Session.run puts the
// file name in front of messages instead.
func lineDirective(line, col int) string {
	return "\n//line :" + strconv.Itoa(line) + ":" + strconv.Itoa(col) + "\n"
}

// userPos turns a position in a parsed chunk into one in the input.
func userPos(file string, line int, p token.Position) string {
	l := line + p.Line - 2
	if file != "" {
		return fmt.Sprintf("%s:%d:%d", file, l, p.Column)
	}
	return fmt.Sprintf("%d:%d", l, p.Column)
}

// positionErr rewrites the positions of a parse error to the input's.
func positionErr(err error, file string, line int) error {
	el, ok := err.(scanner.ErrorList)
	if !ok {
		return err
	}
	var msgs []string
	seen := map[string]bool{}
	for _, e := range el {
		m := userPos(file, line, e.Pos) + ": " + e.Msg
		if !seen[m] && len(msgs) < 5 {
			msgs = append(msgs, m)
		}
		seen[m] = true
	}
	if n := len(seen) - len(msgs); n > 0 {
		msgs = append(msgs, fmt.Sprintf("(and %d more errors)", n))
	}
	return &SyntaxError{Msg: strings.Join(msgs, "\n")}
}

func compactStrings(s []string) []string {
	out := s[:0]
	for i, x := range s {
		if i == 0 || x != s[i-1] {
			out = append(out, x)
		}
	}
	return out
}
