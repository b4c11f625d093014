package transport

import (
	"context"
	"crypto/tls"
	"net"
	"testing"
	"time"

	"github.com/marill-go/marill/mpc/transport/pki"
)

// connect runs Dial and Accept against each other and returns both errors.
func connect(t *testing.T, dialer, listener *pki.Identity, expectPeer string, accept ...string) (dialErr, acceptErr error) {
	t.Helper()
	ln, err := Listen("127.0.0.1:0", listener)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	errc := make(chan error, 1)
	go func() {
		c, _, err := ln.Accept(ctx, accept...)
		if c != nil {
			c.Close()
		}
		errc <- err
	}()
	c, dialErr := Dial(ctx, ln.Addr().String(), dialer, expectPeer)
	if c != nil {
		c.Close()
	}
	return dialErr, <-errc
}

func TestTLSMutualAuthentication(t *testing.T) {
	checkGoroutines(t)
	ids, other := deployment(t), deployment(t)
	t.Run("ok", func(t *testing.T) {
		dErr, aErr := connect(t, ids[pki.Client], ids[pki.Server], pki.Server, pki.Client, pki.Dealer)
		if dErr != nil || aErr != nil {
			t.Fatalf("dial: %v; accept: %v", dErr, aErr)
		}
	})
	t.Run("listener has the wrong role", func(t *testing.T) {
		dErr, aErr := connect(t, ids[pki.Client], ids[pki.Dealer], pki.Server, pki.Client)
		wantErr(t, dErr, "pki: the peer's certificate is for the dealer, want server")
		wantErr(t, aErr, "refused the party")
	})
	t.Run("dialler has the wrong role", func(t *testing.T) {
		dErr, aErr := connect(t, ids[pki.Dealer], ids[pki.Server], pki.Server, pki.Client)
		wantErr(t, aErr, "pki: the peer's certificate is for the dealer, want client")
		wantErr(t, dErr, "the server refused our dealer certificate")
	})
	// A party with a certificate from another CA (trusting ours).
	stranger := func(role string) *pki.Identity {
		return &pki.Identity{Role: role, Certificate: other[role].Certificate, Roots: ids[role].Roots}
	}
	t.Run("dialler from another CA", func(t *testing.T) {
		dErr, aErr := connect(t, stranger(pki.Client), ids[pki.Server], pki.Server, pki.Client)
		wantErr(t, aErr, "certificate signed by unknown authority")
		wantErr(t, dErr, "the server refused our client certificate")
	})
	t.Run("listener from another CA", func(t *testing.T) {
		dErr, aErr := connect(t, ids[pki.Client], stranger(pki.Server), pki.Server, pki.Client)
		wantErr(t, dErr, "is not from this deployment's CA")
		wantErr(t, aErr, "refused the party")
	})
	t.Run("bad arguments", func(t *testing.T) {
		ctx := context.Background()
		if _, err := Dial(ctx, "127.0.0.1:1", nil, pki.Server); err == nil {
			t.Error("Dial without identity")
		}
		if _, err := Dial(ctx, "127.0.0.1:1", ids[pki.Client], "boss"); err == nil {
			t.Error("Dial to an unknown role")
		}
		if _, err := Listen("127.0.0.1:0", nil); err == nil {
			t.Error("Listen without identity")
		}
		ln, err := Listen("127.0.0.1:0", ids[pki.Server])
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		if _, _, err := ln.Accept(ctx); err == nil {
			t.Error("Accept without roles")
		}
	})
}

func TestTLSOnly13AndListenerSurvivesRefusals(t *testing.T) {
	checkGoroutines(t)
	ids := deployment(t)
	ln, err := Listen("127.0.0.1:0", ids[pki.Server])
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// A TLS 1.2 client is refused.
	go func() {
		cfg := ids[pki.Client].ClientConfig(pki.Server)
		cfg.MinVersion, cfg.MaxVersion = tls.VersionTLS12, tls.VersionTLS12
		if c, err := tls.Dial("tcp", ln.Addr().String(), cfg); err == nil {
			c.Close()
		}
	}()
	if _, _, err := ln.Accept(ctx, pki.Client); err == nil {
		t.Fatal("a TLS 1.2 client was accepted")
	} else {
		wantErr(t, err, "unsupported versions")
	}
	// Plain TCP talking nonsense is refused too.
	go func() {
		if c, err := net.Dial("tcp", ln.Addr().String()); err == nil {
			c.Write([]byte("hello?\r\n\r\n"))
			time.Sleep(100 * time.Millisecond)
			c.Close()
		}
	}()
	if _, _, err := ln.Accept(ctx, pki.Client); err == nil {
		t.Fatal("a plain TCP peer was accepted")
	}
	// The listener still works.
	go func() {
		if c, err := Dial(ctx, ln.Addr().String(), ids[pki.Client], pki.Server); err == nil {
			c.Close()
		}
	}()
	c, role, err := ln.Accept(ctx, pki.Client)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if v := c.(*tls.Conn).ConnectionState().Version; v != tls.VersionTLS13 || role != pki.Client {
		t.Errorf("version %x role %q", v, role)
	}
}

func TestDialRetriesUntilListening(t *testing.T) {
	checkGoroutines(t)
	ids := deployment(t)
	probe, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := probe.Addr().String()
	probe.Close() // nobody listens here for now
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	type res struct {
		c   net.Conn
		err error
	}
	dialed := make(chan res, 1)
	go func() {
		c, err := Dial(ctx, addr, ids[pki.Client], pki.Server)
		dialed <- res{c, err}
	}()
	time.Sleep(300 * time.Millisecond) // the dialler is refused a few times
	ln, err := Listen(addr, ids[pki.Server])
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ac, _, err := ln.Accept(ctx, pki.Client)
	if err != nil {
		t.Fatal(err)
	}
	defer ac.Close()
	r := <-dialed
	if r.err != nil {
		t.Fatal(r.err)
	}
	r.c.Close()
}

func TestDialGivesUpAtDeadline(t *testing.T) {
	probe, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := probe.Addr().String()
	probe.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = DialInsecure(ctx, addr)
	wantErr(t, err, "gave up (context deadline exceeded)")
	wantErr(t, err, "connection refused")
	if el := time.Since(start); el < 250*time.Millisecond {
		t.Errorf("gave up after %v, before the deadline", el)
	}
}

func TestAcceptCancelled(t *testing.T) {
	checkGoroutines(t)
	ln, err := ListenInsecure("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(50 * time.Millisecond); cancel() }()
	if _, _, err := ln.Accept(ctx); err == nil {
		t.Fatal("Accept returned a conn nobody dialled")
	} else {
		wantErr(t, err, "context canceled")
	}
	// The deadline used to cancel is cleared: the next Accept works.
	ctx2, cancel2 := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel2()
	go func() {
		if c, err := DialInsecure(ctx2, ln.Addr().String()); err == nil {
			time.Sleep(50 * time.Millisecond)
			c.Close()
		}
	}()
	c, role, err := ln.Accept(ctx2)
	if err != nil || role != "" {
		t.Fatalf("accept after a cancelled accept: %q %v", role, err)
	}
	c.Close()
}
