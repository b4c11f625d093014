package repl

import (
	"go/ast"
	"go/constant"
	"go/parser"
	"go/token"
	"reflect"
	"sort"
	"strings"
	"unicode"

	"github.com/traefik/yaegi/interp"
	"github.com/traefik/yaegi/stdlib"

	"github.com/marill-go/marill/repl/symbols"
)

// Completion is the answer to a completion request: replace the runes
// [Start, End) of the input with one of Matches.
type Completion struct {
	Start, End int
	Matches    []string
}

var goKeywords = []string{"break", "case", "chan", "const", "continue", "default", "defer", "else", "fallthrough",
	"for", "func", "go", "goto", "if", "import", "interface", "map", "package", "range", "return", "select",
	"struct", "switch", "type", "var"}

var goPredeclared = []string{"any", "append", "bool", "byte", "cap", "close", "complex", "complex128", "complex64",
	"copy", "delete", "error", "false", "float32", "float64", "imag", "int", "int16", "int32", "int64", "int8",
	"iota", "len", "make", "new", "nil", "panic", "print", "println", "real", "recover", "rune", "string", "true",
	"uint", "uint16", "uint32", "uint64", "uint8", "uintptr"}

// Complete lists completions of the identifier that ends at cursor (a rune
// offset in src): after a dot, the exported symbols of a package or the
// fields and methods of a session variable's type (cfg.Se → SeqLen,
// pre.Fine → FineTune), also through calls, indexing and fields
// (ft.Plan().La → Layers); otherwise keywords, builtins, packages and the
// session's names.
func (s *Session) Complete(src string, cursor int) Completion {
	runes := []rune(src)
	cursor = max(0, min(cursor, len(runes)))
	start := cursor
	for start > 0 && isIdentRune(runes[start-1]) {
		start--
	}
	prefix := string(runes[start:cursor])
	var cands []string
	if start > 0 && runes[start-1] == '.' {
		recv := receiverExpr(runes[:start-1])
		if recv == "" {
			return Completion{Start: start, End: cursor}
		}
		cands = s.members(recv)
	} else {
		cands = s.names()
	}
	var matches []string
	for _, c := range cands {
		if strings.HasPrefix(c, prefix) && !strings.HasPrefix(c, "_") {
			matches = append(matches, c)
		}
	}
	sort.Strings(matches)
	matches = compactStrings(matches)
	return Completion{Start: start, End: cursor, Matches: matches}
}

func isIdentRune(r rune) bool { return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) }

// receiverExpr returns the expression that ends at the end of rs: a chain
// of identifiers, selectors, calls and index expressions.
func receiverExpr(rs []rune) string {
	i := len(rs)
	for i > 0 {
		switch r := rs[i-1]; {
		case isIdentRune(r) || r == '.':
			i--
		case r == ')' || r == ']' || r == '}':
			open := map[rune]rune{')': '(', ']': '[', '}': '{'}[r]
			depth := 0
			j := i - 1
			for ; j >= 0; j-- {
				switch rs[j] {
				case r:
					depth++
				case open:
					depth--
				}
				if depth == 0 {
					break
				}
			}
			if j < 0 {
				return ""
			}
			i = j
		default:
			return strings.TrimLeft(string(rs[i:]), ".")
		}
	}
	return strings.TrimLeft(string(rs[i:]), ".")
}

// names are the completions of a bare identifier.
func (s *Session) names() []string {
	out := append(append([]string{}, goKeywords...), goPredeclared...)
	s.mu.RLock()
	for n := range s.imports {
		out = append(out, n)
	}
	for n := range s.declared {
		out = append(out, n)
	}
	s.mu.RUnlock()
	for n := range s.globals() {
		out = append(out, n)
	}
	for _, tab := range []interp.Exports{symbols.Symbols, stdlib.Symbols} {
		for k := range tab {
			if i := strings.LastIndexByte(k, '/'); i > 0 && !strings.Contains(k, "internal") {
				out = append(out, k[i+1:])
			}
		}
	}
	return out
}

// members lists the names that may follow "recv.".
func (s *Session) members(recv string) []string {
	x, err := parser.ParseExpr(recv)
	if err != nil {
		return nil
	}
	r := s.resolve(x)
	switch {
	case r.pkg != "":
		return packageSymbols(r.pkg)
	case r.typ != nil:
		return typeMembers(r.typ)
	}
	return nil
}

var constantType = reflect.TypeOf((*constant.Value)(nil)).Elem()

// resolved is what an expression denotes, as far as completion can tell: a
// package, or a value or type of a known reflect.Type.
type resolved struct {
	pkg    string // import path
	typ    reflect.Type
	isType bool // typ is the expression's type itself (T), not a value's
}

func (s *Session) resolve(x ast.Expr) resolved {
	switch x := x.(type) {
	case *ast.ParenExpr:
		return s.resolve(x.X)
	case *ast.Ident:
		if v, ok := s.global(x.Name); ok && v.IsValid() {
			if v.Kind() == reflect.Interface && !v.IsNil() {
				v = v.Elem() // the dynamic type has the methods
			}
			if v.Type().Implements(constantType) {
				return resolved{} // an untyped constant
			}
			return resolved{typ: v.Type()}
		}
		s.mu.RLock()
		path, imported := s.imports[x.Name]
		declared := s.declared[x.Name]
		s.mu.RUnlock()
		if declared {
			return resolved{}
		}
		if imported {
			return resolved{pkg: path}
		}
		if paths := packagesNamed(x.Name); len(paths) == 1 {
			return resolved{pkg: paths[0]}
		}
	case *ast.SelectorExpr:
		r := s.resolve(x.X)
		if r.pkg != "" {
			v, ok := packageSymbol(r.pkg, x.Sel.Name)
			if !ok {
				return resolved{}
			}
			if v.Kind() == reflect.Pointer && v.IsNil() && v.Type().Elem().Kind() != reflect.Func {
				return resolved{typ: v.Type().Elem(), isType: true} // extracted types are typed nil pointers
			}
			if v.Type().Implements(constantType) {
				return resolved{}
			}
			return resolved{typ: v.Type()}
		}
		if r.typ == nil {
			return resolved{}
		}
		t := r.typ
		if m, ok := t.MethodByName(x.Sel.Name); ok {
			return resolved{typ: methodType(m, t)}
		}
		if t.Kind() != reflect.Pointer && t.Kind() != reflect.Interface {
			if m, ok := reflect.PointerTo(t).MethodByName(x.Sel.Name); ok {
				return resolved{typ: methodType(m, reflect.PointerTo(t))}
			}
		}
		st := t
		if st.Kind() == reflect.Pointer {
			st = st.Elem()
		}
		if st.Kind() == reflect.Struct {
			if f, ok := st.FieldByName(x.Sel.Name); ok {
				return resolved{typ: f.Type}
			}
			if f, ok := st.FieldByName("X" + x.Sel.Name); ok && st.Name() == "" {
				return resolved{typ: f.Type}
			}
		}
	case *ast.CallExpr:
		r := s.resolve(x.Fun)
		if r.typ == nil {
			return resolved{}
		}
		if r.isType {
			return resolved{typ: r.typ} // a conversion
		}
		if r.typ.Kind() == reflect.Func && r.typ.NumOut() > 0 {
			return resolved{typ: r.typ.Out(0)}
		}
	case *ast.IndexExpr:
		r := s.resolve(x.X)
		if r.typ == nil {
			return resolved{}
		}
		t := r.typ
		if t.Kind() == reflect.Pointer && t.Elem().Kind() == reflect.Array {
			t = t.Elem()
		}
		switch t.Kind() {
		case reflect.Slice, reflect.Array, reflect.Map:
			return resolved{typ: t.Elem()}
		}
	case *ast.StarExpr:
		r := s.resolve(x.X)
		if r.typ != nil && r.typ.Kind() == reflect.Pointer {
			return resolved{typ: r.typ.Elem()}
		}
	case *ast.CompositeLit:
		if x.Type != nil {
			r := s.resolve(x.Type)
			if r.isType {
				return resolved{typ: r.typ}
			}
		}
	case *ast.UnaryExpr:
		if x.Op == token.AND {
			r := s.resolve(x.X)
			if r.typ != nil {
				return resolved{typ: reflect.PointerTo(r.typ)}
			}
		}
	}
	return resolved{}
}

// methodType is the type of a method value (the receiver removed for
// methods of concrete types).
func methodType(m reflect.Method, recv reflect.Type) reflect.Type {
	if recv.Kind() == reflect.Interface {
		return m.Type
	}
	in := make([]reflect.Type, 0, m.Type.NumIn()-1)
	for i := 1; i < m.Type.NumIn(); i++ {
		in = append(in, m.Type.In(i))
	}
	out := make([]reflect.Type, m.Type.NumOut())
	for i := range out {
		out[i] = m.Type.Out(i)
	}
	return reflect.FuncOf(in, out, m.Type.IsVariadic())
}

// typeMembers lists the fields and methods of a value of type t
// (addressable, so methods of *t count).
func typeMembers(t reflect.Type) []string {
	var out []string
	add := func(t reflect.Type) {
		for i := range t.NumMethod() {
			out = append(out, t.Method(i).Name)
		}
	}
	add(t)
	if t.Kind() != reflect.Pointer && t.Kind() != reflect.Interface {
		add(reflect.PointerTo(t))
	}
	st := t
	if st.Kind() == reflect.Pointer {
		st = st.Elem()
	}
	if st.Kind() == reflect.Struct {
		for _, f := range reflect.VisibleFields(st) {
			switch {
			case st.Name() == "" && len(f.Name) > 1 && f.Name[0] == 'X' && unicode.IsLower(rune(f.Name[1])):
				// A struct declared in the session: yaegi builds it with
				// its lower-case fields renamed Xname.
				out = append(out, f.Name[1:])
			case f.IsExported():
				out = append(out, f.Name)
			}
		}
	}
	return out
}

// packageSymbols lists a package's exported symbols.
func packageSymbols(path string) []string {
	var out []string
	for _, tab := range []interp.Exports{symbols.Symbols, stdlib.Symbols} {
		for k, syms := range tab {
			if i := strings.LastIndexByte(k, '/'); i > 0 && k[:i] == path {
				for n := range syms {
					if ast.IsExported(n) {
						out = append(out, n)
					}
				}
			}
		}
	}
	if path == replPath {
		out = append(out, replNames...)
	}
	return out
}

func packageSymbol(path, name string) (reflect.Value, bool) {
	for _, tab := range []interp.Exports{symbols.Symbols, stdlib.Symbols} {
		for k, syms := range tab {
			if i := strings.LastIndexByte(k, '/'); i > 0 && k[:i] == path {
				v, ok := syms[name]
				return v, ok
			}
		}
	}
	return reflect.Value{}, false
}
