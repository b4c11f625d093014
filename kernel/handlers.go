package kernel

import (
	"encoding/json"
	"go/scanner"
	"go/token"
	"regexp"
	"runtime/debug"
	"strings"
	"unicode"

	"github.com/marill-go/marill/repl"
)

// Language is what kernel_info says of the language: Go as the
// interpreter (yaegi v0.16.1) implements it, which is Go 1.21 with the
// gaps package repl documents.
const (
	LanguageName    = "go"
	LanguageVersion = "1.21"
	MIMEType        = "text/x-go"
	FileExtension   = ".go"
)

// Version is the kernel's version: the module version it was built from,
// or "devel".
func Version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}

const banner = `Go with marill's packages (yaegi v0.16.1 interpreter, Go 1.21 semantics).
mpc, plain, trace, secure, proto, fn, fxp, sim, plots, marill, study and repl
are imported; the standard library is imported on first use. display(v)
shows any value richly; Shift-Tab shows Go doc.`

// kernelInfo is the content of kernel_info_reply.
func kernelInfo() map[string]any {
	return map[string]any{
		"status":                 "ok",
		"protocol_version":       ProtocolVersion,
		"implementation":         "marill-kernel",
		"implementation_version": Version(),
		"language_info": map[string]any{
			"name":               LanguageName,
			"version":            LanguageVersion,
			"mimetype":           MIMEType,
			"file_extension":     FileExtension,
			"pygments_lexer":     "go",
			"codemirror_mode":    "go",
			"nbconvert_exporter": "script",
		},
		"banner":   banner,
		"debugger": false,
		"help_links": []map[string]string{
			{"text": "Go documentation", "url": "https://go.dev/doc/"},
			{"text": "yaegi (the interpreter)", "url": "https://github.com/traefik/yaegi"},
		},
	}
}

// codeRequest is the content of complete, inspect and is_complete
// requests. Cursor positions count Unicode code points (protocol 5.2+).
type codeRequest struct {
	Code      string `json:"code"`
	CursorPos int    `json:"cursor_pos"`
}

// readCode reads a code request and waits for the interpreter; without
// one it answers with an error reply of the given type.
func (k *Kernel) readCode(c conn, m *Message, replyType string) (codeRequest, *repl.Session, bool) {
	var req codeRequest
	json.Unmarshal(m.Content, &req)
	sess, err := k.repl()
	if err != nil {
		k.replyError(c, m, replyType, "Error", err.Error(), k.count())
		return req, nil, false
	}
	return req, sess, true
}

// complete answers complete_request with the session's completions.
func (k *Kernel) complete(c conn, m *Message) {
	req, sess, ok := k.readCode(c, m, "complete_reply")
	if !ok {
		return
	}
	got := sess.Complete(req.Code, req.CursorPos)
	matches := got.Matches
	if matches == nil {
		matches = []string{}
	}
	k.reply(c, m, "complete_reply", map[string]any{
		"status": "ok", "matches": matches, "cursor_start": got.Start, "cursor_end": got.End, "metadata": map[string]any{},
	})
}

// inspect answers inspect_request with the Go doc of the name at the
// cursor (or of the function whose call the cursor is in).
func (k *Kernel) inspect(c conn, m *Message) {
	req, sess, ok := k.readCode(c, m, "inspect_reply")
	if !ok {
		return
	}
	content := map[string]any{"status": "ok", "found": false, "data": map[string]any{}, "metadata": map[string]any{}}
	if name := nameAt(req.Code, req.CursorPos); name != "" {
		if doc, err := sess.Doc(name); err == nil {
			content["found"] = true
			content["data"] = map[string]any{"text/plain": doc}
		}
	}
	k.reply(c, m, "inspect_reply", content)
}

// nameAt returns the dotted name (pkg.Type.Method) around a rune offset;
// with no name under the cursor, the name of the call that ends just
// before it (f() with the cursor after the parenthesis) or whose
// parentheses it is in.
func nameAt(code string, cursor int) string {
	rs := []rune(code)
	cursor = max(0, min(cursor, len(rs)))
	isName := func(r rune) bool { return r == '_' || r == '.' || unicode.IsLetter(r) || unicode.IsDigit(r) }
	start, end := cursor, cursor
	for start > 0 && isName(rs[start-1]) {
		start--
	}
	for end < len(rs) && isName(rs[end]) {
		end++
	}
	if name := strings.Trim(string(rs[start:end]), "."); name != "" {
		return name
	}
	// After a call: the name before its parentheses.
	i := cursor
	for i > 0 && unicode.IsSpace(rs[i-1]) && rs[i-1] != '\n' {
		i--
	}
	if i > 0 && rs[i-1] == ')' {
		depth := 0
		for j := i - 1; j >= 0; j-- {
			switch rs[j] {
			case ')':
				depth++
			case '(':
				if depth--; depth == 0 {
					return nameAt(string(rs[:j]), j)
				}
			}
		}
		return ""
	}
	// In a call: find the unclosed parenthesis to the left.
	depth := 0
	for i := cursor - 1; i >= 0; i-- {
		switch rs[i] {
		case ')':
			depth++
		case '(':
			if depth == 0 {
				return nameAt(string(rs[:i]), i)
			}
			depth--
		case '\n':
			return ""
		}
	}
	return ""
}

// isComplete answers is_complete_request: complete, incomplete (with the
// indent of the next line), or invalid.
func (k *Kernel) isComplete(c conn, m *Message) {
	var req codeRequest
	json.Unmarshal(m.Content, &req)
	sess, err := k.repl()
	if err != nil {
		k.reply(c, m, "is_complete_reply", map[string]string{"status": "unknown"})
		return
	}
	switch sess.IsComplete(req.Code) {
	case repl.Complete:
		k.reply(c, m, "is_complete_reply", map[string]string{"status": "complete"})
	case repl.Incomplete:
		k.reply(c, m, "is_complete_reply", map[string]string{"status": "incomplete", "indent": strings.Repeat("\t", max(1, openBrackets(req.Code)))})
	default:
		k.reply(c, m, "is_complete_reply", map[string]string{"status": "invalid"})
	}
}

// openBrackets counts the brackets left open at the end of src.
func openBrackets(src string) int {
	fset := token.NewFileSet()
	f := fset.AddFile("", -1, len(src))
	var sc scanner.Scanner
	sc.Init(f, []byte(src), func(token.Position, string) {}, 0)
	depth := 0
	for {
		_, tok, _ := sc.Scan()
		switch tok {
		case token.EOF:
			return depth
		case token.LBRACE, token.LPAREN, token.LBRACK:
			depth++
		case token.RBRACE, token.RPAREN, token.RBRACK:
			depth--
		}
	}
}

// historyEntry is a cell the kernel ran with store_history.
type historyEntry struct {
	line          int
	input, output string
}

// historySession is the number of the kernel's one history session
// (history lives in memory, for the life of the process).
const historySession = 1

// historyRequest answers history_request: tail (the last n cells), range
// (cells start ≤ line < stop of this session; session 0 is the current
// one) and search (a glob pattern over whole inputs: * any text, ? one
// character; unique drops repeats, n keeps the last n).
func (k *Kernel) historyRequest(c conn, m *Message) {
	var req struct {
		Output  bool   `json:"output"`
		Access  string `json:"hist_access_type"`
		Session int    `json:"session"`
		Start   int    `json:"start"`
		Stop    int    `json:"stop"`
		N       int    `json:"n"`
		Pattern string `json:"pattern"`
		Unique  bool   `json:"unique"`
	}
	json.Unmarshal(m.Content, &req)
	k.mu.Lock()
	all := append([]historyEntry(nil), k.history...)
	k.mu.Unlock()

	var picked []historyEntry
	last := func(es []historyEntry, n int) []historyEntry {
		if n > 0 && len(es) > n {
			return es[len(es)-n:]
		}
		return es
	}
	switch req.Access {
	case "tail":
		picked = last(all, req.N)
	case "range":
		if req.Session == 0 || req.Session == historySession {
			for _, e := range all {
				if e.line >= req.Start && (req.Stop <= 0 || e.line < req.Stop) {
					picked = append(picked, e)
				}
			}
		}
	case "search":
		re := globRE(req.Pattern)
		seen := map[string]bool{}
		for i := len(all) - 1; i >= 0; i-- { // latest first, for unique
			e := all[i]
			if !re.MatchString(e.input) || (req.Unique && seen[e.input]) {
				continue
			}
			seen[e.input] = true
			picked = append([]historyEntry{e}, picked...)
		}
		picked = last(picked, req.N)
	}
	history := make([][]any, 0, len(picked))
	for _, e := range picked {
		if req.Output {
			var out any
			if e.output != "" {
				out = e.output
			}
			history = append(history, []any{historySession, e.line, []any{e.input, out}})
		} else {
			history = append(history, []any{historySession, e.line, e.input})
		}
	}
	k.reply(c, m, "history_reply", map[string]any{"status": "ok", "history": history})
}

// globRE compiles a history search pattern (an empty one matches all).
func globRE(glob string) *regexp.Regexp {
	if glob == "" {
		glob = "*"
	}
	var b strings.Builder
	b.WriteString("(?s)^")
	for _, r := range glob {
		switch r {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}
