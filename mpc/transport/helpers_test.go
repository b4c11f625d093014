package transport

import (
	"context"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/marill-go/marill/mpc/transport/pki"
)

// checkGoroutines fails the test if goroutines started during it are
// still running shortly after it ends. Call it first in a test.
func checkGoroutines(t *testing.T) {
	t.Helper()
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(3 * time.Second)
		for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if n := runtime.NumGoroutine(); n > before {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			t.Errorf("goroutine leak: %d goroutines, %d before the test\n%s", n, before, buf)
		}
	})
}

// tcpConns returns the two ends of a loopback TCP connection.
func tcpConns(t testing.TB) (net.Conn, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	type res struct {
		c   net.Conn
		err error
	}
	ch := make(chan res, 1)
	go func() {
		c, err := ln.Accept()
		ch <- res{c, err}
	}()
	a, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	r := <-ch
	if r.err != nil {
		t.Fatal(r.err)
	}
	return a, r.c
}

// streamPair returns two streams over loopback TCP, closed at the end of
// the test.
func streamPair(t testing.TB, opts StreamOptions) (*Stream, *Stream) {
	t.Helper()
	na, nb := tcpConns(t)
	return streamsOver(t, na, nb, opts)
}

func streamsOver(t testing.TB, na, nb net.Conn, opts StreamOptions) (*Stream, *Stream) {
	t.Helper()
	a, err := NewStream(na, opts)
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewStream(nb, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close(); b.Close() })
	return a, b
}

// deployment makes a fresh CA and the three identities in memory.
func deployment(t testing.TB) map[string]*pki.Identity {
	t.Helper()
	ca, err := pki.NewCA(0)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]*pki.Identity{}
	for _, r := range pki.Roles() {
		id, err := ca.Issue(r, []string{"localhost", "127.0.0.1"}, 0)
		if err != nil {
			t.Fatal(err)
		}
		ids[r] = id
	}
	return ids
}

// tlsConns connects the client (dialling) and the server (listening) over
// loopback TLS.
func tlsConns(t testing.TB, client, server *pki.Identity) (net.Conn, net.Conn) {
	t.Helper()
	ln, err := Listen("127.0.0.1:0", server)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	type res struct {
		c    net.Conn
		role string
		err  error
	}
	ch := make(chan res, 1)
	go func() {
		c, role, err := ln.Accept(ctx, pki.Client)
		ch <- res{c, role, err}
	}()
	a, err := Dial(ctx, ln.Addr().String(), client, pki.Server)
	r := <-ch
	if err != nil {
		t.Fatal(err)
	}
	if r.err != nil {
		t.Fatal(r.err)
	}
	if r.role != pki.Client {
		t.Fatalf("accepted role %q", r.role)
	}
	return a, r.c
}

func tlsPair(t testing.TB, opts StreamOptions) (*Stream, *Stream) {
	t.Helper()
	ids := deployment(t)
	na, nb := tlsConns(t, ids[pki.Client], ids[pki.Server])
	return streamsOver(t, na, nb, opts)
}

func wantErr(t *testing.T, err error, substr string) {
	t.Helper()
	if err == nil || !strings.Contains(err.Error(), substr) {
		t.Errorf("error %v, want one containing %q", err, substr)
	}
}
