package kernel

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// memConn is a socket in memory: it records what the kernel sends.
type memConn struct {
	mu   sync.Mutex
	sent [][][]byte
	in   chan [][]byte
	shut chan struct{}
	once sync.Once
}

func newMemConn() *memConn { return &memConn{in: make(chan [][]byte, 16), shut: make(chan struct{})} }

func (c *memConn) send(frames [][]byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sent = append(c.sent, frames)
	return nil
}

func (c *memConn) recv() ([][]byte, error) {
	select {
	case f := <-c.in:
		return f, nil
	case <-c.shut:
		return nil, errors.New("closed")
	}
}

func (c *memConn) close() error {
	c.once.Do(func() { close(c.shut) })
	return nil
}

// messages decodes what was sent (the kernel's replays check is not the
// reader's: a fresh signer each time).
func (c *memConn) messages(t *testing.T) []*Message {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []*Message
	for _, f := range c.sent {
		m, err := testSigner(t, testKey).Decode(f)
		if err != nil {
			t.Fatalf("the kernel sent an invalid message: %v", err)
		}
		out = append(out, m)
	}
	return out
}

const testKey = "test-key"

type testKernel struct {
	*Kernel
	shell, control, iopub *memConn
}

func newTestKernel(t *testing.T) *testKernel {
	t.Helper()
	tk := &testKernel{shell: newMemConn(), control: newMemConn(), iopub: newMemConn()}
	tk.Kernel = newKernel(testSigner(t, testKey), Options{Log: io.Discard, FlushInterval: time.Millisecond}, tk.shell, tk.control, newMemConn(), tk.iopub)
	ctx, cancel := context.WithCancel(context.Background())
	tk.start(ctx)
	t.Cleanup(func() {
		cancel()
		if s, err := tk.repl(); err == nil {
			s.Close()
		}
	})
	return tk
}

// call handles a request on c and returns the reply and the IOPub
// messages whose parent is the request, in order.
func (tk *testKernel) call(t *testing.T, c *memConn, msgType, content string) (*Message, []*Message) {
	t.Helper()
	req := request(msgType, content)
	tk.handle(c, req)
	return tk.answers(t, c, req)
}

func (tk *testKernel) answers(t *testing.T, c *memConn, req *Message) (*Message, []*Message) {
	t.Helper()
	var reply *Message
	for _, m := range c.messages(t) {
		var p Header
		json.Unmarshal(m.ParentHeader, &p)
		if p.MsgID == req.Header.MsgID {
			reply = m
			if !reflect.DeepEqual(m.Identities, req.Identities) {
				t.Errorf("reply routed to %q, want %q", m.Identities, req.Identities)
			}
		}
	}
	var pub []*Message
	for _, m := range tk.iopub.messages(t) {
		var p Header
		json.Unmarshal(m.ParentHeader, &p)
		if p.MsgID == req.Header.MsgID {
			pub = append(pub, m)
		}
	}
	return reply, pub
}

func content(t *testing.T, m *Message) map[string]any {
	t.Helper()
	if m == nil {
		t.Fatal("no message")
	}
	var c map[string]any
	if err := json.Unmarshal(m.Content, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

func types(ms []*Message) []string {
	var out []string
	for _, m := range ms {
		s := m.Header.MsgType
		if s == "status" {
			var c struct {
				State string `json:"execution_state"`
			}
			json.Unmarshal(m.Content, &c)
			s += ":" + c.State
		}
		out = append(out, s)
	}
	return out
}

func TestKernelInfo(t *testing.T) {
	tk := newTestKernel(t)
	for _, c := range []*memConn{tk.shell, tk.control} {
		reply, pub := tk.call(t, c, "kernel_info_request", "{}")
		got := content(t, reply)
		li := got["language_info"].(map[string]any)
		if reply.Header.MsgType != "kernel_info_reply" || got["status"] != "ok" || got["protocol_version"] != "5.3" ||
			got["implementation"] != "marill-kernel" || li["name"] != "go" || li["file_extension"] != ".go" ||
			li["mimetype"] != "text/x-go" || got["banner"] == "" {
			t.Errorf("kernel_info_reply %v", got)
		}
		if reply.Header.Version != "5.3" || reply.Header.Session != tk.session || reply.Header.MsgID == "" {
			t.Errorf("reply header %+v", reply.Header)
		}
		if want := []string{"status:busy", "status:idle"}; !reflect.DeepEqual(types(pub), want) {
			t.Errorf("IOPub %v, want %v", types(pub), want)
		}
	}
}

func TestExecute(t *testing.T) {
	tk := newTestKernel(t)
	reply, pub := tk.call(t, tk.shell, "execute_request", `{"code":"fmt.Println(\"hi\")\n40 + 2","silent":false}`)
	want := []string{"status:busy", "execute_input", "stream", "execute_result", "status:idle"}
	if !reflect.DeepEqual(types(pub), want) {
		t.Fatalf("IOPub %v, want %v", types(pub), want)
	}
	if c := content(t, pub[1]); c["code"] != "fmt.Println(\"hi\")\n40 + 2" || c["execution_count"] != 1.0 {
		t.Errorf("execute_input %v", c)
	}
	if c := content(t, pub[2]); c["name"] != "stdout" || c["text"] != "hi\n" {
		t.Errorf("stream %v", c)
	}
	if c := content(t, pub[3]); c["execution_count"] != 1.0 || c["data"].(map[string]any)["text/plain"] != "42" {
		t.Errorf("execute_result %v", c)
	}
	if c := content(t, reply); c["status"] != "ok" || c["execution_count"] != 1.0 || c["payload"] == nil || c["user_expressions"] == nil {
		t.Errorf("execute_reply %v", c)
	}

	// A failing cell: one error output, an error reply.
	reply, pub = tk.call(t, tk.shell, "execute_request", `{"code":"panic(\"boom\")"}`)
	if want := []string{"status:busy", "execute_input", "error", "status:idle"}; !reflect.DeepEqual(types(pub), want) {
		t.Fatalf("IOPub %v, want %v", types(pub), want)
	}
	errc := content(t, pub[2])
	rc := content(t, reply)
	if errc["ename"] != "panic" || errc["evalue"] != "boom" || rc["status"] != "error" || rc["ename"] != "panic" || rc["execution_count"] != 2.0 {
		t.Errorf("error %v, reply %v", errc, rc)
	}
	// Silent cells show nothing and do not count.
	_, pub = tk.call(t, tk.shell, "execute_request", `{"code":"7","silent":true}`)
	if want := []string{"status:busy", "status:idle"}; !reflect.DeepEqual(types(pub), want) {
		t.Errorf("silent cell IOPub %v", types(pub))
	}
	reply, _ = tk.call(t, tk.shell, "execute_request", `{"code":"8"}`)
	if c := content(t, reply); c["execution_count"] != 3.0 {
		t.Errorf("count after a silent cell: %v", c["execution_count"])
	}
	// A display inside a cell comes between the text around it.
	_, pub = tk.call(t, tk.shell, "execute_request", `{"code":"fmt.Println(\"a\")\ndisplay(repl.HTML(\"<i>x</i>\"))\nfmt.Println(\"b\")"}`)
	if want := []string{"status:busy", "execute_input", "stream", "display_data", "stream", "status:idle"}; !reflect.DeepEqual(types(pub), want) {
		t.Errorf("IOPub %v, want %v", types(pub), want)
	}
}

func TestExecuteOutputBatching(t *testing.T) {
	tk := newTestKernel(t)
	tk.opts.FlushInterval = time.Hour // everything goes out at the end
	_, pub := tk.call(t, tk.shell, "execute_request", `{"code":"for i := 0; i < 100; i++ { fmt.Print(\"x\") }\nfmt.Fprint(os.Stderr, \"e\")\nfmt.Print(\"é\")"}`)
	// 101 writes make a few messages (the session's two streams are
	// separate pipes: their interleaving is not kept, so a stream may be
	// cut where the other's text arrived).
	streams := map[string]string{}
	n := 0
	for _, m := range pub {
		if m.Header.MsgType == "stream" {
			c := content(t, m)
			streams[c["name"].(string)] += c["text"].(string)
			n++
		}
	}
	if want := map[string]string{"stdout": strings.Repeat("x", 100) + "é", "stderr": "e"}; n > 3 || !reflect.DeepEqual(streams, want) {
		t.Errorf("%d stream messages %q, want at most 3: %q", n, streams, want)
	}
	// A rune cut between writes is not split between messages.
	o := &cellOutput{k: tk.Kernel, parent: request("execute_request", "{}")}
	o.add("stdout", []byte("a\xc3"))
	o.mu.Lock()
	o.flushLocked(false)
	kept := string(o.chunks[0].text)
	o.mu.Unlock()
	if kept != "\xc3" {
		t.Errorf("kept %q of a cut rune", kept)
	}
}

func TestComplete(t *testing.T) {
	tk := newTestKernel(t)
	reply, _ := tk.call(t, tk.shell, "complete_request", `{"code":"x := marill.BERTB","cursor_pos":17}`)
	c := content(t, reply)
	if c["status"] != "ok" || !reflect.DeepEqual(c["matches"], []any{"BERTBase"}) || c["cursor_start"] != 12.0 || c["cursor_end"] != 17.0 {
		t.Errorf("complete_reply %v", c)
	}
	// Cursor positions count code points, not bytes.
	reply, _ = tk.call(t, tk.shell, "complete_request", `{"code":"s := \"é\"; strings.ToUp","cursor_pos":22}`)
	if c := content(t, reply); !reflect.DeepEqual(c["matches"], []any{"ToUpper", "ToUpperSpecial"}) || c["cursor_start"] != 18.0 {
		t.Errorf("complete_reply after é: %v", c)
	}
	reply, _ = tk.call(t, tk.shell, "complete_request", `{"code":"zzzNothing","cursor_pos":10}`)
	if c := content(t, reply); !reflect.DeepEqual(c["matches"], []any{}) {
		t.Errorf("no matches: %v", c["matches"])
	}
}

func TestInspect(t *testing.T) {
	tk := newTestKernel(t)
	for _, tc := range []struct {
		code   string
		cursor int
		want   string
	}{
		{"marill.BERTBase", 8, "func BERTBase() Config"},
		{"cfg := marill.BERTBase()", 24, "func BERTBase() Config"}, // after the parentheses: the call
		{"sim.SimulateConfig(ctx, ", 24, "func SimulateConfig("},   // inside a call
		{"study.Run", 9, "func Run("},
	} {
		reply, _ := tk.call(t, tk.shell, "inspect_request", `{"code":`+quote(tc.code)+`,"cursor_pos":`+itoa(tc.cursor)+`,"detail_level":0}`)
		c := content(t, reply)
		text, _ := c["data"].(map[string]any)["text/plain"].(string)
		if c["status"] != "ok" || c["found"] != true || !strings.HasPrefix(text, tc.want) {
			t.Errorf("inspect %q at %d: %v", tc.code, tc.cursor, c)
		}
	}
	reply, _ := tk.call(t, tk.shell, "inspect_request", `{"code":"nothingHere","cursor_pos":3}`)
	if c := content(t, reply); c["status"] != "ok" || c["found"] != false {
		t.Errorf("inspect of an unknown name: %v", c)
	}
}

func quote(s string) string { b, _ := json.Marshal(s); return string(b) }

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestIsComplete(t *testing.T) {
	tk := newTestKernel(t)
	for code, want := range map[string]string{
		"1+1":                     "complete",
		"func f() {":              "incomplete",
		"func f() {\n\tif x {":    "incomplete",
		"x := )":                  "invalid",
		"fmt.Println(\"a\")\n}\n": "invalid",
	} {
		reply, _ := tk.call(t, tk.shell, "is_complete_request", `{"code":`+quote(code)+`}`)
		c := content(t, reply)
		if c["status"] != want {
			t.Errorf("%q: %v, want %s", code, c, want)
		}
		if want == "incomplete" && c["indent"] != strings.Repeat("\t", strings.Count(code, "{")) {
			t.Errorf("%q: indent %q", code, c["indent"])
		}
	}
}

func TestHistory(t *testing.T) {
	tk := newTestKernel(t)
	for _, code := range []string{"1+2", "x := 5", "1+2", "x * 2"} {
		tk.call(t, tk.shell, "execute_request", `{"code":`+quote(code)+`}`)
	}
	tk.call(t, tk.shell, "execute_request", `{"code":"99","store_history":false}`)
	hist := func(req string) []any {
		reply, _ := tk.call(t, tk.shell, "history_request", req)
		c := content(t, reply)
		if c["status"] != "ok" {
			t.Fatalf("history_reply %v", c)
		}
		return c["history"].([]any)
	}
	if h := hist(`{"hist_access_type":"tail","n":2,"output":false,"raw":true}`); !reflect.DeepEqual(h, []any{[]any{1.0, 3.0, "1+2"}, []any{1.0, 4.0, "x * 2"}}) {
		t.Errorf("tail: %v", h)
	}
	if h := hist(`{"hist_access_type":"tail","n":1,"output":true,"raw":true}`); !reflect.DeepEqual(h, []any{[]any{1.0, 4.0, []any{"x * 2", "10"}}}) {
		t.Errorf("tail with output: %v", h)
	}
	if h := hist(`{"hist_access_type":"range","session":0,"start":2,"stop":4,"output":false,"raw":true}`); len(h) != 2 || h[0].([]any)[2] != "x := 5" {
		t.Errorf("range: %v", h)
	}
	if h := hist(`{"hist_access_type":"range","session":7,"start":1,"output":false,"raw":true}`); len(h) != 0 {
		t.Errorf("range of another session: %v", h)
	}
	if h := hist(`{"hist_access_type":"search","pattern":"1+2","output":false,"raw":true}`); len(h) != 2 {
		t.Errorf("search: %v", h)
	}
	if h := hist(`{"hist_access_type":"search","pattern":"x*","unique":true,"output":false,"raw":true}`); len(h) != 2 {
		t.Errorf("search x*: %v", h)
	}
	if h := hist(`{"hist_access_type":"search","pattern":"1+2","unique":true,"output":false,"raw":true}`); len(h) != 1 {
		t.Errorf("unique search: %v", h)
	}
}

func TestCommsAndUnknown(t *testing.T) {
	tk := newTestKernel(t)
	reply, _ := tk.call(t, tk.shell, "comm_info_request", "{}")
	if c := content(t, reply); c["status"] != "ok" || !reflect.DeepEqual(c["comms"], map[string]any{}) {
		t.Errorf("comm_info_reply %v", c)
	}
	_, pub := tk.call(t, tk.shell, "comm_open", `{"comm_id":"c1","target_name":"jupyter.widget","data":{}}`)
	if want := []string{"status:busy", "comm_close", "status:idle"}; !reflect.DeepEqual(types(pub), want) {
		t.Errorf("comm_open: %v", types(pub))
	}
	reply, pub = tk.call(t, tk.shell, "no_such_request", "{}")
	if reply != nil || len(pub) != 2 {
		t.Errorf("unknown request: reply %v, IOPub %v", reply, types(pub))
	}
}

func TestInterruptAndShutdown(t *testing.T) {
	tk := newTestKernel(t)
	tk.call(t, tk.shell, "execute_request", `{"code":"1"}`) // the interpreter is up
	req := request("execute_request", `{"code":"n := 0\nfor { n++ }"}`)
	done := make(chan bool)
	go func() { tk.handle(tk.shell, req); close(done) }()
	time.Sleep(200 * time.Millisecond)
	reply, _ := tk.call(t, tk.control, "interrupt_request", "{}")
	if c := content(t, reply); c["status"] != "ok" {
		t.Errorf("interrupt_reply %v", c)
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the interrupt did not stop the loop")
	}
	reply, pub := tk.answers(t, tk.shell, req)
	if c := content(t, reply); c["status"] != "error" || c["ename"] != "Interrupted" {
		t.Errorf("interrupted cell's reply %v", c)
	}
	if n := strings.Count(strings.Join(types(pub), " "), "error"); n != 1 {
		t.Errorf("interrupted cell: %v", types(pub))
	}
	reply, _ = tk.call(t, tk.shell, "execute_request", `{"code":"n > 0"}`)
	if c := content(t, reply); c["status"] != "ok" {
		t.Errorf("after the interrupt: %v", c)
	}

	reply, pub = tk.call(t, tk.control, "shutdown_request", `{"restart":true}`)
	if c := content(t, reply); c["status"] != "ok" || c["restart"] != true {
		t.Errorf("shutdown_reply %v", c)
	}
	if !strings.Contains(strings.Join(types(pub), " "), "shutdown_reply") {
		t.Errorf("shutdown not broadcast: %v", types(pub))
	}
	select {
	case <-tk.done:
	default:
		t.Error("shutdown did not stop the kernel")
	}
}

func TestAbortOnError(t *testing.T) {
	tk := newTestKernel(t)
	queued := request("execute_request", `{"code":"fmt.Println(\"never\")"}`)
	other := request("kernel_info_request", "{}")
	tk.shellQ <- queued
	tk.shellQ <- other
	failed := request("execute_request", `{"code":"panic(1)","stop_on_error":true}`)
	tk.handle(tk.shell, failed)
	reply, pub := tk.answers(t, tk.shell, queued)
	if c := content(t, reply); c["status"] != "aborted" || len(pub) != 2 {
		t.Errorf("queued cell: %v, IOPub %v", c, types(pub))
	}
	if reply, _ := tk.answers(t, tk.shell, other); reply == nil || reply.Header.MsgType != "kernel_info_reply" {
		t.Errorf("a queued non-execute request was not answered: %v", reply)
	}
	// The aborts come before the failed cell's idle status.
	var order []string
	for _, m := range tk.iopub.messages(t) {
		var p Header
		json.Unmarshal(m.ParentHeader, &p)
		if p.MsgID == failed.Header.MsgID && m.Header.MsgType == "status" || p.MsgID == queued.Header.MsgID && m.Header.MsgType == "status" {
			order = append(order, p.MsgID[:4]+":"+types([]*Message{m})[0])
		}
	}
	f, q := failed.Header.MsgID[:4], queued.Header.MsgID[:4]
	if want := []string{f + ":status:busy", q + ":status:busy", q + ":status:idle", f + ":status:idle"}; !reflect.DeepEqual(order, want) {
		t.Errorf("status order %v, want %v", order, want)
	}
	tk.shellQ <- queued
	tk.handle(tk.shell, request("execute_request", `{"code":"panic(1)","stop_on_error":false}`))
	if len(tk.shellQ) != 1 {
		t.Error("stop_on_error false aborts")
	}
}
