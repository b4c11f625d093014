package kernel

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/marill-go/marill/repl"
)

type executeRequest struct {
	Code         string `json:"code"`
	Silent       bool   `json:"silent"`
	StoreHistory *bool  `json:"store_history"`
	StopOnError  *bool  `json:"stop_on_error"`
}

// execute runs a cell: execute_input, the cell's output as it comes, then
// execute_result (a final expression's value) or one error, then the
// reply. A failed cell with stop_on_error aborts the execute requests that
// arrived before its reply (a client that waits for the idle status
// before sending the next cell is never aborted).
func (k *Kernel) execute(c conn, m *Message) {
	var req executeRequest
	if err := json.Unmarshal(m.Content, &req); err != nil {
		k.replyError(c, m, "execute_reply", "BadRequest", "execute_request content: "+err.Error(), k.count())
		return
	}
	store := !req.Silent && (req.StoreHistory == nil || *req.StoreHistory)
	k.mu.Lock()
	if store {
		k.execCount++
	}
	count := k.execCount
	k.mu.Unlock()
	if !req.Silent {
		k.publish("execute_input", m, map[string]any{"code": req.Code, "execution_count": count})
	}

	sess, err := k.repl()
	var res *repl.Result
	out := &cellOutput{k: k, parent: m}
	if err == nil {
		ctx, cancel := context.WithCancel(k.ctx)
		k.mu.Lock()
		k.cancel = cancel
		k.mu.Unlock()
		sess.SetOutput(out, out.stderr())
		res, err = sess.Eval(ctx, req.Code)
		k.mu.Lock()
		k.cancel = nil
		k.mu.Unlock()
		cancel()
	}
	out.flush()

	var text string
	if err == nil {
		if b, ok := resultBundle(res); ok {
			if renderErr := b.Err; renderErr != nil {
				out.add("stderr", []byte("display: "+renderErr.Error()+"\n"))
				out.flush()
			}
			text, _ = b.Data["text/plain"].(string)
			if !req.Silent {
				k.publish("execute_result", m, map[string]any{"execution_count": count, "data": b.Data, "metadata": b.Metadata})
			}
		}
		k.reply(c, m, "execute_reply", map[string]any{"status": "ok", "execution_count": count, "payload": []any{}, "user_expressions": map[string]any{}})
	} else {
		ename, evalue, tb := describe(err)
		if !req.Silent {
			k.publish("error", m, map[string]any{"ename": ename, "evalue": evalue, "traceback": tb})
		}
		k.reply(c, m, "execute_reply", map[string]any{"status": "error", "execution_count": count, "ename": ename, "evalue": evalue, "traceback": tb})
		if req.StopOnError == nil || *req.StopOnError {
			defer k.abortQueued() // after recording the history
		}
	}
	if store {
		k.mu.Lock()
		k.history = append(k.history, historyEntry{line: count, input: req.Code, output: text})
		k.mu.Unlock()
	}
}

// replyError answers a request with status "error".
func (k *Kernel) replyError(c conn, m *Message, msgType, ename, evalue string, count int) {
	k.reply(c, m, msgType, map[string]any{
		"status": "error", "execution_count": count,
		"ename": ename, "evalue": evalue, "traceback": traceback(ename, evalue),
	})
}

// resultBundle renders what a cell shows: the value of its final
// expression. A (value, nil error) pair, as many calls return, shows the
// value; other tuples show as text.
func resultBundle(res *repl.Result) (Bundle, bool) {
	switch vals := res.Values; {
	case len(vals) == 1:
		b := Render(vals[0])
		// The session's text sees String methods of interpreted types,
		// which the host cannot call.
		b.Data["text/plain"] = res.Text
		return b, true
	case len(vals) == 2 && vals[1] == nil:
		return Render(vals[0]), true
	case len(vals) > 0:
		return Bundle{Data: map[string]any{"text/plain": res.Text}, Metadata: map[string]any{}}, true
	}
	return Bundle{}, false
}

// describe names an evaluation's error for an error message: ename is the
// kind (SyntaxError, panic, Interrupted, Exit, Error), evalue the message,
// traceback its lines.
func describe(err error) (ename, evalue string, tb []string) {
	var (
		se *repl.SyntaxError
		pe *repl.PanicError
		gp *repl.GoroutinePanicError
		ee *repl.ExitError
	)
	switch {
	case errors.Is(err, repl.ErrInterrupted):
		return "Interrupted", "the cell was interrupted", traceback("Interrupted", "the cell was interrupted")
	case errors.As(err, &se):
		ename = "SyntaxError"
	case errors.As(err, &pe):
		ename = "panic"
		evalue = fmt.Sprint(pe.Value)
		tb = traceback(ename, evalue)
		for _, f := range pe.Trace {
			tb = append(tb, "  "+f)
		}
		if pe.Stack != "" {
			tb = append(tb, strings.Split(pe.Stack, "\n")...)
		}
		return ename, evalue, tb
	case errors.As(err, &gp):
		ename = "panic"
	case errors.As(err, &ee):
		ename = "Exit"
	default:
		ename = "Error"
	}
	evalue = strings.TrimPrefix(strings.TrimPrefix(err.Error(), "\n"), "repl: ")
	return ename, evalue, traceback(ename, evalue)
}

// traceback is the lines a front end prints for an error: the kind in red
// and the message.
func traceback(ename, evalue string) []string {
	lines := strings.Split(evalue, "\n")
	lines[0] = "\x1b[0;31m" + ename + "\x1b[0m: " + lines[0]
	return lines
}

// flushSize is how much text makes a cell's output go out at once.
const flushSize = 64 << 10

// cellOutput is the output of one execute request: the session's live
// writers while the cell runs and, for goroutines the cell started, after
// it (see repl). Text goes out as stream messages, batched for up to
// Options.FlushInterval; displays go out as display_data and
// update_display_data. Everything carries the request as parent, so
// front ends show it in that cell. It implements repl.Displayer.
type cellOutput struct {
	k      *Kernel
	parent *Message

	mu     sync.Mutex
	chunks []chunk // pending text, in the order written
	size   int
	timer  *time.Timer
}

type chunk struct {
	name string // stdout or stderr
	text []byte
}

var _ repl.Displayer = (*cellOutput)(nil)

// Write takes the cell's standard output.
func (o *cellOutput) Write(b []byte) (int, error) {
	o.add("stdout", b)
	return len(b), nil
}

type stderrWriter struct{ o *cellOutput }

func (w stderrWriter) Write(b []byte) (int, error) {
	w.o.add("stderr", b)
	return len(b), nil
}

func (o *cellOutput) stderr() stderrWriter { return stderrWriter{o} }

func (o *cellOutput) add(name string, b []byte) {
	if len(b) == 0 {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if n := len(o.chunks); n > 0 && o.chunks[n-1].name == name {
		o.chunks[n-1].text = append(o.chunks[n-1].text, b...)
	} else {
		o.chunks = append(o.chunks, chunk{name, append([]byte(nil), b...)})
	}
	o.size += len(b)
	if o.size >= flushSize {
		o.flushLocked(false)
		return
	}
	if o.timer == nil {
		o.timer = time.AfterFunc(o.k.opts.FlushInterval, func() {
			o.mu.Lock()
			defer o.mu.Unlock()
			o.timer = nil
			o.flushLocked(false)
		})
	}
}

// flush sends all pending text.
func (o *cellOutput) flush() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.flushLocked(true)
}

// flushLocked sends the pending text; unless final, an incomplete UTF-8
// sequence at the end waits for the rest of its bytes.
func (o *cellOutput) flushLocked(final bool) {
	if o.timer != nil {
		o.timer.Stop()
		o.timer = nil
	}
	var keep chunk
	for i, c := range o.chunks {
		text := c.text
		if i == len(o.chunks)-1 && !final {
			cut := len(text) - partialRune(text)
			keep = chunk{c.name, append([]byte(nil), text[cut:]...)}
			text = text[:cut]
		}
		if len(text) > 0 {
			o.k.publish("stream", o.parent, map[string]string{"name": c.name, "text": string(text)})
		}
	}
	o.chunks, o.size = o.chunks[:0], 0
	if len(keep.text) > 0 {
		o.chunks = append(o.chunks, keep)
		o.size = len(keep.text)
	}
}

// partialRune is the length of an incomplete UTF-8 sequence ending b.
func partialRune(b []byte) int {
	for i := 1; i <= utf8.UTFMax && i <= len(b); i++ {
		if utf8.RuneStart(b[len(b)-i]) {
			if utf8.FullRune(b[len(b)-i:]) {
				return 0
			}
			return i
		}
	}
	return 0
}

// Display sends v as display_data (after the text written before it).
func (o *cellOutput) Display(v any, id string) error {
	return o.display("display_data", v, id)
}

// Update sends v as update_display_data for the display id.
func (o *cellOutput) Update(id string, v any) error {
	return o.display("update_display_data", v, id)
}

func (o *cellOutput) display(msgType string, v any, id string) error {
	b := Render(v)
	o.flush()
	content := map[string]any{"data": b.Data, "metadata": b.Metadata, "transient": map[string]any{}}
	if id != "" {
		content["transient"] = map[string]any{"display_id": id}
	}
	o.k.publish(msgType, o.parent, content)
	return b.Err
}
