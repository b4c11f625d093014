package kernel

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/go-zeromq/zmq4"

	"github.com/marill-go/marill/repl"
)

// Options configure a Kernel.
type Options struct {
	// Session configures the interpreter (Env, Args, Stdin, OutputLimit);
	// the kernel sets its output writers per cell.
	Session repl.Options
	// Log receives the kernel's own messages: rejected messages, socket
	// errors (default os.Stderr, which Jupyter shows in its log).
	Log io.Writer
	// FlushInterval is how long cell output may wait to be sent with the
	// output that follows it (default 50 ms).
	FlushInterval time.Duration
}

// conn is what the kernel needs of a socket: whole messages as frames.
type conn interface {
	send(frames [][]byte) error
	recv() ([][]byte, error)
	close() error
}

// zmqConn is a ZeroMQ socket as a conn; sends are serialised (several
// goroutines publish on IOPub).
type zmqConn struct {
	mu  sync.Mutex
	sck zmq4.Socket
}

func (c *zmqConn) send(frames [][]byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sck.SendMulti(zmq4.NewMsgFrom(frames...))
}

func (c *zmqConn) recv() ([][]byte, error) {
	m, err := c.sck.Recv()
	return m.Frames, err
}

func (c *zmqConn) close() error { return c.sck.Close() }

// Kernel is a Jupyter kernel for Go with marill's packages: it answers the
// messaging protocol on five sockets and evaluates cells in a
// repl.Session. See the package documentation.
type Kernel struct {
	opts    Options
	signer  *Signer
	session string // the kernel's session id, in every header it writes
	log     *log.Logger

	shell, control, stdin, iopub conn
	hb                           zmq4.Socket // nil in tests without sockets

	sess      *repl.Session
	sessErr   error
	sessReady chan struct{}

	shellQ  chan *Message
	done    chan struct{}
	stopped sync.Once
	ctx     context.Context // the running kernel's, for evaluations

	mu        sync.Mutex
	execCount int
	cancel    context.CancelFunc // of the running execution
	history   []historyEntry
}

// New binds the kernel's sockets to the addresses of a connection file.
// Run serves them.
func New(info ConnectionInfo, opts Options) (*Kernel, error) {
	if err := info.Validate(); err != nil {
		return nil, fmt.Errorf("kernel: %w", err)
	}
	signer, err := NewSigner(info.SignatureScheme, info.Key)
	if err != nil {
		return nil, err
	}
	ctx := context.Background()
	socks := []struct {
		sck  zmq4.Socket
		port int
	}{
		{zmq4.NewRouter(ctx), info.ShellPort},
		{zmq4.NewRouter(ctx), info.ControlPort},
		{zmq4.NewRouter(ctx), info.StdinPort},
		{zmq4.NewPub(ctx), info.IOPubPort},
		{zmq4.NewRep(ctx), info.HBPort},
	}
	for i, s := range socks {
		if err := s.sck.Listen(info.endpoint(s.port)); err != nil {
			for _, t := range socks {
				t.sck.Close()
			}
			return nil, fmt.Errorf("kernel: listening on %s (socket %d of 5): %w", info.endpoint(s.port), i+1, err)
		}
	}
	k := newKernel(signer, opts, &zmqConn{sck: socks[0].sck}, &zmqConn{sck: socks[1].sck}, &zmqConn{sck: socks[2].sck}, &zmqConn{sck: socks[3].sck})
	k.hb = socks[4].sck
	return k, nil
}

func newKernel(signer *Signer, opts Options, shell, control, stdin, iopub conn) *Kernel {
	if opts.Log == nil {
		opts.Log = os.Stderr
	}
	if opts.FlushInterval <= 0 {
		opts.FlushInterval = 50 * time.Millisecond
	}
	if opts.Session.Args == nil {
		opts.Session.Args = []string{"marill-kernel"}
	}
	return &Kernel{
		opts:      opts,
		signer:    signer,
		session:   newID(),
		log:       log.New(opts.Log, "marill-kernel: ", log.LstdFlags),
		shell:     shell,
		control:   control,
		stdin:     stdin,
		iopub:     iopub,
		sessReady: make(chan struct{}),
		shellQ:    make(chan *Message, 256),
		done:      make(chan struct{}),
	}
}

// Serve reads a connection file and runs a kernel on it until a client
// shuts it down or ctx is cancelled.
func Serve(ctx context.Context, connectionFile string, opts Options) error {
	info, err := ReadConnectionFile(connectionFile)
	if err != nil {
		return err
	}
	k, err := New(info, opts)
	if err != nil {
		return err
	}
	return k.Run(ctx)
}

// Run serves requests until a shutdown_request arrives or ctx is
// cancelled, then closes the sockets. The interpreter starts in the
// background; requests that need it wait for it.
func (k *Kernel) Run(ctx context.Context) error {
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	k.start(ctx)
	k.publish("status", nil, map[string]string{"execution_state": "starting"})
	if k.hb != nil {
		go k.heartbeat(ctx)
	}
	go k.read(ctx, "shell", k.shell, func(m *Message) {
		select {
		case k.shellQ <- m:
		case <-ctx.Done():
		}
	})
	go k.read(ctx, "control", k.control, func(m *Message) { k.handle(k.control, m) })
	go k.read(ctx, "stdin", k.stdin, func(m *Message) {
		k.log.Printf("ignored %s on stdin: the kernel does not ask for input", m.Header.MsgType)
	})
	go k.serveShell(ctx)
	select {
	case <-ctx.Done():
	case <-k.done:
	}
	stop() // before closing, so readers take the errors for the end
	k.closeSockets()
	return nil
}

// start starts the interpreter in the background.
func (k *Kernel) start(ctx context.Context) {
	k.ctx = ctx
	go func() {
		k.sess, k.sessErr = repl.New(k.opts.Session)
		close(k.sessReady)
	}()
}

// Interrupt stops the running cell, as an interrupt_request does (for
// SIGINT).
func (k *Kernel) Interrupt() {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.cancel != nil {
		k.cancel()
	}
}

func (k *Kernel) stop() { k.stopped.Do(func() { close(k.done) }) }

func (k *Kernel) closeSockets() {
	for _, c := range []conn{k.shell, k.control, k.stdin, k.iopub} {
		c.close()
	}
	if k.hb != nil {
		k.hb.Close()
	}
}

// heartbeat echoes every message on the heartbeat socket until the
// kernel stops (a client that goes away costs an error, not the
// heartbeat).
func (k *Kernel) heartbeat(ctx context.Context) {
	for ctx.Err() == nil {
		m, err := k.hb.Recv()
		if err == nil {
			err = k.hb.Send(m)
		}
		if err != nil && ctx.Err() == nil {
			k.log.Printf("heartbeat: %v", err)
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// read receives messages on a socket, verifies them and passes them on.
// Messages that fail verification are logged and dropped.
func (k *Kernel) read(ctx context.Context, name string, c conn, handle func(*Message)) {
	for {
		frames, err := c.recv()
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			k.log.Printf("%s socket: %v", name, err)
			if errors.Is(err, context.Canceled) {
				return
			}
			time.Sleep(10 * time.Millisecond)
			continue
		}
		m, err := k.signer.Decode(frames)
		if err != nil {
			k.log.Printf("rejected a message on %s: %v", name, err)
			continue
		}
		handle(m)
	}
}

// serveShell handles shell requests one at a time, in order.
func (k *Kernel) serveShell(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case m := <-k.shellQ:
			k.handle(k.shell, m)
		}
	}
}

// abortQueued answers the execute requests queued when a cell failed with
// stop_on_error: they are not run (status "aborted"). Other requests in
// the queue are handled.
func (k *Kernel) abortQueued() {
	for {
		select {
		case m := <-k.shellQ:
			if m.Header.MsgType != "execute_request" {
				k.handle(k.shell, m)
				continue
			}
			k.status("busy", m)
			k.reply(k.shell, m, "execute_reply", map[string]any{"status": "aborted", "execution_count": k.count()})
			k.status("idle", m)
		default:
			return
		}
	}
}

func (k *Kernel) count() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.execCount
}

// handle answers one request, between busy and idle statuses.
func (k *Kernel) handle(c conn, m *Message) {
	k.status("busy", m)
	defer k.status("idle", m)
	defer func() {
		// The kernel outlives its own bugs: a panic while handling a
		// request fails the request.
		if r := recover(); r != nil {
			k.log.Printf("internal error handling %s: %v\n%s", m.Header.MsgType, r, debug.Stack())
			evalue := fmt.Sprintf("marill-kernel failed handling %s: %v", m.Header.MsgType, r)
			if m.Header.MsgType == "execute_request" {
				k.publish("error", m, map[string]any{"ename": "InternalError", "evalue": evalue, "traceback": traceback("InternalError", evalue)})
			}
			k.replyError(c, m, strings.TrimSuffix(m.Header.MsgType, "_request")+"_reply", "InternalError", evalue, k.count())
		}
	}()
	switch t := m.Header.MsgType; t {
	case "kernel_info_request":
		k.reply(c, m, "kernel_info_reply", kernelInfo())
	case "execute_request":
		k.execute(c, m)
	case "complete_request":
		k.complete(c, m)
	case "inspect_request":
		k.inspect(c, m)
	case "is_complete_request":
		k.isComplete(c, m)
	case "history_request":
		k.historyRequest(c, m)
	case "comm_info_request":
		k.reply(c, m, "comm_info_reply", map[string]any{"status": "ok", "comms": map[string]any{}})
	case "comm_open":
		// No comm targets: close it, as the protocol asks.
		var req struct {
			CommID string `json:"comm_id"`
		}
		json.Unmarshal(m.Content, &req)
		k.publish("comm_close", m, map[string]any{"comm_id": req.CommID, "data": map[string]any{}})
	case "comm_msg", "comm_close":
		// Nothing is open.
	case "interrupt_request":
		k.Interrupt()
		k.reply(c, m, "interrupt_reply", map[string]string{"status": "ok"})
	case "shutdown_request":
		var req struct {
			Restart bool `json:"restart"`
		}
		json.Unmarshal(m.Content, &req)
		content := map[string]any{"status": "ok", "restart": req.Restart}
		k.reply(c, m, "shutdown_reply", content)
		k.publish("shutdown_reply", m, content)
		k.Interrupt()
		k.stop()
	default:
		k.log.Printf("unsupported message type %q: no reply", t)
	}
}

// newMessage makes a message of the kernel's session answering parent
// (nil for none).
func (k *Kernel) newMessage(msgType string, parent *Message, content any) (*Message, error) {
	b, err := json.Marshal(content)
	if err != nil {
		return nil, fmt.Errorf("kernel: %s content: %w", msgType, err)
	}
	return &Message{
		Header: Header{
			MsgID:    newID(),
			Session:  k.session,
			Username: "kernel",
			Date:     timestamp(time.Now()),
			MsgType:  msgType,
			Version:  ProtocolVersion,
		},
		ParentHeader: parent.parent(),
		Metadata:     json.RawMessage("{}"),
		Content:      b,
	}, nil
}

func (k *Kernel) sendOn(c conn, m *Message) {
	frames, err := k.signer.Encode(m)
	if err == nil {
		err = c.send(frames)
	}
	if err != nil {
		k.log.Printf("sending %s: %v", m.Header.MsgType, err)
	}
}

// reply answers req on the socket it came from.
func (k *Kernel) reply(c conn, req *Message, msgType string, content any) {
	m, err := k.newMessage(msgType, req, content)
	if err != nil {
		k.log.Print(err)
		return
	}
	m.Identities = req.Identities
	k.sendOn(c, m)
}

// publish sends a message on IOPub, its topic naming the kernel and type.
func (k *Kernel) publish(msgType string, parent *Message, content any) {
	m, err := k.newMessage(msgType, parent, content)
	if err != nil {
		k.log.Print(err)
		return
	}
	m.Identities = [][]byte{[]byte("kernel." + k.session + "." + msgType)}
	k.sendOn(k.iopub, m)
}

func (k *Kernel) status(state string, parent *Message) {
	k.publish("status", parent, map[string]string{"execution_state": state})
}

// repl waits for the interpreter.
func (k *Kernel) repl() (*repl.Session, error) {
	<-k.sessReady
	if k.sessErr != nil {
		return nil, fmt.Errorf("kernel: the interpreter did not start: %w", k.sessErr)
	}
	return k.sess, nil
}
