package repl

import (
	"go/ast"
	"go/parser"
	"go/scanner"
	"go/token"
	"strings"
)

// Completeness says whether an input can be evaluated as it is.
type Completeness int

const (
	// Complete input parses: evaluate it.
	Complete Completeness = iota
	// Incomplete input ends inside a block, a call, a raw string or an
	// expression: read another line.
	Incomplete
	// Invalid input has a syntax error that more lines cannot fix:
	// evaluate it to show the error.
	Invalid
)

func (c Completeness) String() string {
	switch c {
	case Complete:
		return "complete"
	case Incomplete:
		return "incomplete"
	case Invalid:
		return "invalid"
	}
	return "Completeness(?)"
}

// chunkKind is how the interpreter must see a chunk: yaegi decides between
// a file of declarations and a function body from the first token, so a cell
// is cut into runs of one kind.
type chunkKind int

const (
	stmtChunk chunkKind = iota
	declChunk
	importChunk
)

// chunk is a run of top-level statements, declarations or imports of a cell.
type chunk struct {
	kind       chunkKind
	start, end int // byte offsets in the cell
	line       int // 1-based line of start in the cell
	text       string
}

// split cuts src into chunks at top-level statement boundaries, tracking
// bracket depth with go/scanner. It reports Incomplete when src ends inside
// brackets or a raw string, Invalid on other scanner errors.
func split(src string) ([]chunk, Completeness, error) {
	fset := token.NewFileSet()
	file := fset.AddFile("", -1, len(src))
	var errs scanner.ErrorList
	var sc scanner.Scanner
	sc.Init(file, []byte(src), func(pos token.Position, msg string) { errs.Add(pos, msg) }, 0)

	type tok struct {
		off int
		tok token.Token
		lit string
	}
	type piece struct {
		toks       []tok
		start, end int
	}
	var pieces []piece
	var cur piece
	depth := 0
	for {
		pos, t, lit := sc.Scan()
		off := file.Offset(pos)
		if t == token.EOF {
			break
		}
		switch t {
		case token.LPAREN, token.LBRACK, token.LBRACE:
			depth++
		case token.RPAREN, token.RBRACK, token.RBRACE:
			depth--
		}
		if t == token.SEMICOLON && depth <= 0 {
			if len(cur.toks) > 0 {
				cur.end = off
				pieces = append(pieces, cur)
			}
			cur = piece{}
			continue
		}
		if len(cur.toks) == 0 {
			cur.start = off
		}
		if len(cur.toks) < 64 { // enough to classify
			cur.toks = append(cur.toks, tok{off, t, lit})
		}
		cur.end = off + len(tokenText(t, lit))
	}
	if len(cur.toks) > 0 {
		pieces = append(pieces, cur)
	}
	if len(errs) > 0 {
		for _, e := range errs {
			if e.Msg == "raw string literal not terminated" || e.Msg == "comment not terminated" {
				return nil, Incomplete, errs.Err()
			}
		}
		return nil, Invalid, errs.Err()
	}
	if depth > 0 {
		return nil, Incomplete, nil
	}

	classify := func(p piece) chunkKind {
		t := p.toks
		switch t[0].tok {
		case token.IMPORT:
			return importChunk
		case token.TYPE, token.VAR, token.CONST:
			return declChunk
		case token.FUNC:
			if len(t) > 1 && t[1].tok == token.IDENT {
				return declChunk
			}
			if len(t) > 1 && t[1].tok == token.LPAREN {
				// A method declaration has a name after the receiver; a
				// function literal has parameters then a body or a call.
				d := 0
				for i := 1; i < len(t); i++ {
					switch t[i].tok {
					case token.LPAREN:
						d++
					case token.RPAREN:
						d--
						if d == 0 {
							if i+1 < len(t) && t[i+1].tok == token.IDENT && i+2 < len(t) && t[i+2].tok == token.LPAREN {
								return declChunk
							}
							return stmtChunk
						}
					}
				}
			}
		}
		return stmtChunk
	}
	var chunks []chunk
	for _, p := range pieces {
		k := classify(p)
		if n := len(chunks); n > 0 && chunks[n-1].kind == k {
			chunks[n-1].end = p.end
			continue
		}
		chunks = append(chunks, chunk{kind: k, start: p.start, end: p.end})
	}
	for i := range chunks {
		c := &chunks[i]
		c.text = src[c.start:c.end]
		c.line = 1 + strings.Count(src[:c.start], "\n")
	}
	return chunks, Complete, nil
}

// tokenText is the source text of a token (for computing where it ends).
func tokenText(t token.Token, lit string) string {
	if lit != "" {
		return lit
	}
	return t.String()
}

// Prefixes that make a chunk a Go file for go/parser. Both end in a newline,
// so chunk line k is file line k+1.
const (
	stmtPrefix = "package p; func _() {\n"
	declPrefix = "package p;\n"
)

// parseChunk parses a chunk as a function body or as file-level
// declarations. offset is what to subtract from a file offset to get a chunk
// offset.
func parseChunk(fset *token.FileSet, c chunk) (f *ast.File, offset int, err error) {
	if c.kind == stmtChunk {
		f, err = parser.ParseFile(fset, "", stmtPrefix+c.text+"\n}", parser.AllErrors)
		return f, len(stmtPrefix), err
	}
	f, err = parser.ParseFile(fset, "", declPrefix+c.text, parser.AllErrors)
	return f, len(declPrefix), err
}

// incompleteParse reports whether a parse error only says the input stopped
// too early (the rule yaegi's own REPL uses).
func incompleteParse(err error, text string) bool {
	el, ok := err.(scanner.ErrorList)
	if !ok || len(el) == 0 {
		return false
	}
	msg := el[0].Msg
	switch {
	case strings.HasSuffix(msg, "found 'EOF'"), msg == "raw string literal not terminated":
		return true
	case strings.HasPrefix(msg, "expected operand, found '}'"), strings.HasPrefix(msg, "expected ';', found '}'"):
		// The closing brace is the one the statement wrapper adds.
		return !strings.HasSuffix(strings.TrimSpace(text), "}")
	}
	return false
}

// completeness classifies src without evaluating it.
func completeness(src string) Completeness {
	if strings.TrimSpace(src) == "" {
		return Complete
	}
	if strings.HasPrefix(strings.TrimSpace(src), ":") {
		return Complete // a shell command
	}
	chunks, c, _ := split(src)
	if c != Complete {
		return c
	}
	fset := token.NewFileSet()
	for i, ch := range chunks {
		if _, _, err := parseChunk(fset, ch); err != nil {
			if i == len(chunks)-1 && incompleteParse(err, ch.text) {
				return Incomplete
			}
			return Invalid
		}
	}
	return Complete
}
