package transport

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"
)

// childEnv selects what the test binary does when re-executed as a child
// process (TestChildProcess); empty in a normal run.
const childEnv = "MARILL_TRANSPORT_CHILD"

// TestChildProcess is not a test: it is the body of the child processes
// that TestPeerKilled and TestNetem start by re-executing the test binary.
func TestChildProcess(t *testing.T) {
	mode := os.Getenv(childEnv)
	if mode == "" {
		t.Skip("runs only as a child process of other tests")
	}
	var err error
	switch mode {
	case "idle":
		err = childIdle()
	case "netem-server":
		err = netemServer()
	case "netem-client":
		err = netemClient()
	default:
		err = fmt.Errorf("unknown child mode %q", mode)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// childCommand returns a command that re-executes this test binary as a
// child in the given mode, prefixed by wrap (e.g. ip netns exec NS).
func childCommand(mode string, env []string, wrap ...string) *exec.Cmd {
	args := append(wrap, os.Args[0], "-test.run=^TestChildProcess$", "-test.count=1")
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = append(append(os.Environ(), childEnv+"="+mode), env...)
	cmd.Stderr = os.Stderr
	return cmd
}

// childIdle dials the parent, says hello, then idles forever: only its
// keepalives show it is alive, until the parent kills it.
func childIdle() error {
	idle, err := time.ParseDuration(os.Getenv("MARILL_IDLE"))
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	nc, err := DialInsecure(ctx, os.Getenv("MARILL_ADDR"))
	if err != nil {
		return err
	}
	s, err := NewStream(nc, StreamOptions{IdleTimeout: idle})
	if err != nil {
		return err
	}
	if err := s.Send([]byte("alive")); err != nil {
		return err
	}
	select {}
}

func TestPeerKilled(t *testing.T) {
	checkGoroutines(t)
	if testing.Short() {
		t.Skip("starts a child process")
	}
	ln, err := ListenInsecure("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	idle := 300 * time.Millisecond
	child := childCommand("idle", []string{"MARILL_ADDR=" + ln.Addr().String(), "MARILL_IDLE=" + idle.String()})
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	defer child.Process.Kill()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	nc, _, err := ln.Accept(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewStream(nc, StreamOptions{IdleTimeout: idle})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if p, err := s.Recv(); err != nil || string(p) != "alive" {
		t.Fatalf("first message %q, %v", p, err)
	}
	recvErr := make(chan error, 1)
	go func() { _, err := s.Recv(); recvErr <- err }()
	// The child sends nothing but keepalives for many idle timeouts: it
	// must not be declared dead.
	select {
	case err := <-recvErr:
		t.Fatalf("an idle child was declared dead: %v", err)
	case <-time.After(5 * idle):
	}
	if w := s.Wire(); w.KeepalivesReceived < 3 {
		t.Errorf("%d keepalives from the child in %v", w.KeepalivesReceived, 5*idle)
	}
	child.Process.Kill()
	select {
	case err := <-recvErr:
		if !errors.Is(err, ErrPeerGone) {
			t.Errorf("after the child was killed: %v, want ErrPeerGone", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the killed child was never noticed")
	}
	child.Wait()
}
