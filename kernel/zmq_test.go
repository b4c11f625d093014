package kernel

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-zeromq/zmq4"
)

// freePorts returns n TCP ports free on the loopback interface.
func freePorts(t testing.TB, n int) []int {
	t.Helper()
	var ports []int
	var ls []net.Listener
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range ls {
		l.Close()
	}
	return ports
}

// received collects a socket's messages on a channel.
func received(s zmq4.Socket) <-chan [][]byte {
	ch := make(chan [][]byte, 64)
	go func() {
		for {
			m, err := s.Recv()
			if err != nil {
				close(ch)
				return
			}
			ch <- m.Frames
		}
	}()
	return ch
}

// zmqClient is a Go Jupyter client of a kernel on real sockets.
type zmqClient struct {
	info                      ConnectionInfo
	signer                    *Signer
	shell, control, hb        zmq4.Socket
	shellIn, controlIn, pubIn <-chan [][]byte
	ran                       chan error
	log                       *bytes.Buffer
	logMu                     *sync.Mutex
}

// startZMQ runs a kernel on loopback ports and connects a client to it.
func startZMQ(t testing.TB) *zmqClient {
	t.Helper()
	p := freePorts(t, 5)
	c := &zmqClient{
		info: ConnectionInfo{Transport: "tcp", IP: "127.0.0.1", ShellPort: p[0], ControlPort: p[1], StdinPort: p[2], IOPubPort: p[3], HBPort: p[4],
			Key: "zmq-test-key", SignatureScheme: "hmac-sha256"},
		ran: make(chan error, 1), log: &bytes.Buffer{}, logMu: &sync.Mutex{},
	}
	c.signer = testSigner(t, c.info.Key)
	k, err := New(c.info, Options{Log: lockedWriter{c.logMu, c.log}})
	if err != nil {
		t.Fatal(err)
	}
	go func() { c.ran <- k.Run(context.Background()) }()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	dial := func(s zmq4.Socket, port int) zmq4.Socket {
		t.Helper()
		if err := s.Dial(c.info.endpoint(port)); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	c.shell = dial(zmq4.NewDealer(ctx, zmq4.WithID(zmq4.SocketIdentity("go-client"))), c.info.ShellPort)
	c.control = dial(zmq4.NewDealer(ctx, zmq4.WithID(zmq4.SocketIdentity("go-client"))), c.info.ControlPort)
	iopub := zmq4.NewSub(ctx)
	dial(iopub, c.info.IOPubPort)
	iopub.SetOption(zmq4.OptionSubscribe, "")
	c.hb = dial(zmq4.NewReq(ctx), c.info.HBPort)
	c.shellIn, c.controlIn, c.pubIn = received(c.shell), received(c.control), received(iopub)
	// kernel_info until the IOPub subscription is live (clients resend
	// kernel_info_request the same way).
	for i := 0; i < 50; i++ {
		c.send(t, c.shell, request("kernel_info_request", "{}"), c.signer)
		if reply := c.next(t, c.shellIn, 200*time.Millisecond); reply != nil {
			if reply.Header.MsgType != "kernel_info_reply" {
				t.Fatalf("%s to kernel_info_request", reply.Header.MsgType)
			}
			return c
		}
	}
	t.Fatal("no kernel_info_reply")
	return nil
}

func (c *zmqClient) send(t testing.TB, s zmq4.Socket, m *Message, signer *Signer) {
	t.Helper()
	m.Identities = nil
	frames, err := signer.Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SendMulti(zmq4.NewMsgFrom(frames...)); err != nil {
		t.Fatal(err)
	}
}

// next returns the next message on ch, or nil after wait.
func (c *zmqClient) next(t testing.TB, ch <-chan [][]byte, wait time.Duration) *Message {
	t.Helper()
	select {
	case f, ok := <-ch:
		if !ok {
			t.Fatal("socket closed")
		}
		m, err := testSigner(t, c.info.Key).Decode(f)
		if err != nil {
			t.Fatalf("the kernel sent an invalid message: %v", err)
		}
		return m
	case <-time.After(wait):
		return nil
	}
}

// TestZMQ runs a kernel on real sockets and talks to it with a Go client:
// heartbeat, kernel_info and execute on the shell, a forged message
// ignored, shutdown on control ending Run.
func TestZMQ(t *testing.T) {
	c := startZMQ(t)
	if err := c.hb.Send(zmq4.NewMsgString("ping")); err != nil {
		t.Fatal(err)
	}
	if m, err := c.hb.Recv(); err != nil || string(m.Bytes()) != "ping" {
		t.Fatalf("heartbeat: %q, %v", m.Bytes(), err)
	}
	// A forged message is dropped, and logged; a good one is answered.
	forged := request("execute_request", `{"code":"fmt.Println(\"forged\")"}`)
	c.send(t, c.shell, forged, testSigner(t, "not the key"))
	if m := c.next(t, c.shellIn, 500*time.Millisecond); m != nil {
		t.Fatalf("a forged message got %s", m.Header.MsgType)
	}
	c.send(t, c.shell, request("execute_request", `{"code":"6 * 7"}`), c.signer)
	reply := c.next(t, c.shellIn, 30*time.Second)
	if reply == nil || reply.Header.MsgType != "execute_reply" || !strings.Contains(string(reply.Content), `"status":"ok"`) {
		t.Fatalf("execute_reply %+v", reply)
	}
	var result map[string]any
	for m := c.next(t, c.pubIn, 2*time.Second); m != nil; m = c.next(t, c.pubIn, 300*time.Millisecond) {
		if strings.Contains(string(m.ParentHeader), forged.Header.MsgID) {
			t.Errorf("the forged message caused %s", m.Header.MsgType)
		}
		if m.Header.MsgType == "execute_result" {
			json.Unmarshal(m.Content, &result)
		}
	}
	if result == nil || result["data"].(map[string]any)["text/plain"] != "42" {
		t.Errorf("execute_result %v", result)
	}
	c.logMu.Lock()
	if !strings.Contains(c.log.String(), "rejected a message on shell: kernel: bad message signature") {
		t.Errorf("log %q", c.log.String())
	}
	c.logMu.Unlock()

	c.send(t, c.control, request("shutdown_request", `{"restart":false}`), c.signer)
	if m := c.next(t, c.controlIn, 10*time.Second); m == nil || m.Header.MsgType != "shutdown_reply" {
		t.Fatalf("shutdown_reply %+v", m)
	}
	select {
	case err := <-c.ran:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after shutdown")
	}
}

// BenchmarkExecuteRoundTrip measures a trivial cell from a client's
// execute_request to its execute_reply, over loopback TCP: signing,
// framing, the session's evaluation and output capture, busy/idle and
// execute_input/execute_result on IOPub.
func BenchmarkExecuteRoundTrip(b *testing.B) {
	c := startZMQ(b)
	go func() { // IOPub is published whether or not anyone reads it; drain it
		for range c.pubIn {
		}
	}()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c.send(b, c.shell, request("execute_request", `{"code":"1 + 1"}`), c.signer)
		if reply := c.next(b, c.shellIn, 30*time.Second); reply == nil {
			b.Fatal("no execute_reply")
		}
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}
