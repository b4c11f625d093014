package transport

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/marill-go/marill/mpc/transport/pki"
)

// accepted is the byte a TLS listener writes once it has verified the
// dialler's certificate. In TLS 1.3 the client finishes its handshake
// before the server has checked the client's certificate; waiting for this
// byte lets Dial report a refusal instead of the first Recv.
const accepted = 0x06

// handshakeTimeout bounds a TLS handshake when the context has no earlier
// deadline, so that a silent dialler cannot hold Accept forever.
const handshakeTimeout = 10 * time.Second

// Dial connects to the party at addr (host:port) that plays role peer,
// over TCP and TLS 1.3 with mutual authentication: the peer's certificate
// must come from id's deployment CA and name role peer, and the peer must
// accept id's certificate. Until ctx ends Dial retries refused and
// unreachable connections, so parties may start in any order; give ctx a
// deadline. A certificate refused by either side fails at once.
func Dial(ctx context.Context, addr string, id *pki.Identity, peer string) (net.Conn, error) {
	if id == nil {
		return nil, errors.New("transport: Dial needs an identity (or use DialInsecure)")
	}
	if err := pki.ValidRole(peer); err != nil {
		return nil, fmt.Errorf("transport: dial %s: %w", addr, err)
	}
	return dial(ctx, addr, func(nc net.Conn) (net.Conn, error) {
		tc := tls.Client(nc, id.ClientConfig(peer))
		hctx, cancel := handshakeContext(ctx)
		defer cancel()
		if err := tc.HandshakeContext(hctx); err != nil {
			return nil, fmt.Errorf("transport: dial %s: TLS handshake with the %s: %w", addr, peer, err)
		}
		// Wait for the listener's verdict on our certificate.
		var b [1]byte
		deadline, _ := hctx.Deadline()
		tc.SetReadDeadline(deadline)
		_, err := io.ReadFull(tc, b[:])
		tc.SetReadDeadline(time.Time{})
		switch {
		case err != nil:
			return nil, fmt.Errorf("transport: dial %s: the %s refused our %s certificate: %w", addr, peer, id.Role, err)
		case b[0] != accepted:
			return nil, fmt.Errorf("transport: dial %s: the %s answered 0x%02x, not the acceptance byte: is it a marill party?", addr, peer, b[0])
		}
		return tc, nil
	})
}

// DialInsecure connects to addr over plain TCP: no encryption, no
// authentication. For tests and benchmarks on one machine only. It
// retries like Dial.
func DialInsecure(ctx context.Context, addr string) (net.Conn, error) {
	return dial(ctx, addr, func(nc net.Conn) (net.Conn, error) { return nc, nil })
}

// dial retries TCP connects until ctx ends, then runs upgrade once.
func dial(ctx context.Context, addr string, upgrade func(net.Conn) (net.Conn, error)) (net.Conn, error) {
	var d net.Dialer
	wait := 20 * time.Millisecond
	var last error // the last failure not caused by ctx ending
	for {
		nc, err := d.DialContext(ctx, "tcp", addr)
		if err == nil {
			c, err := upgrade(nc)
			if err != nil {
				nc.Close()
				return nil, err
			}
			return c, nil
		}
		if ctx.Err() == nil || last == nil {
			last = err
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("transport: dial %s: gave up (%w): %w", addr, ctx.Err(), last)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("transport: dial %s: gave up (%w): %w", addr, ctx.Err(), last)
		case <-t.C:
		}
		wait = min(2*wait, time.Second)
	}
}

func handshakeContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if d, ok := ctx.Deadline(); ok && time.Until(d) < handshakeTimeout {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, handshakeTimeout)
}

// Listener accepts parties on a TCP address, with TLS (Listen) or without
// (ListenInsecure).
type Listener struct {
	ln *net.TCPListener
	id *pki.Identity // nil: insecure
}

// Listen listens on addr (host:port; port 0 picks one, see Addr) for
// parties authenticated by TLS 1.3 with id's deployment.
func Listen(addr string, id *pki.Identity) (*Listener, error) {
	if id == nil {
		return nil, errors.New("transport: Listen needs an identity (or use ListenInsecure)")
	}
	return listen(addr, id)
}

// ListenInsecure listens on addr for plain TCP connections: no encryption,
// no authentication. For tests and benchmarks on one machine only.
func ListenInsecure(addr string) (*Listener, error) { return listen(addr, nil) }

func listen(addr string, id *pki.Identity) (*Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("transport: %w", err)
	}
	return &Listener{ln: ln.(*net.TCPListener), id: id}, nil
}

// Addr returns the address the listener listens on.
func (l *Listener) Addr() net.Addr { return l.ln.Addr() }

// Close stops listening. Connections already accepted stay open.
func (l *Listener) Close() error { return l.ln.Close() }

// Accept waits for the next party and returns its connection and role.
// On a TLS listener the party's certificate must come from the deployment
// CA and name one of the roles in accept (at least one); a refused party
// makes Accept return an error naming why, and the listener stays usable.
// On an insecure listener roles are unknown: accept is ignored and the
// role is "" (the Handshake hello still names one). ctx cancels the wait.
// Call Accept from one goroutine at a time.
func (l *Listener) Accept(ctx context.Context, accept ...string) (net.Conn, string, error) {
	if l.id != nil {
		if len(accept) == 0 {
			return nil, "", errors.New("transport: Accept needs the roles to accept")
		}
		for _, r := range accept {
			if err := pki.ValidRole(r); err != nil {
				return nil, "", fmt.Errorf("transport: accept: %w", err)
			}
		}
	}
	fired := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		l.ln.SetDeadline(time.Unix(1, 0)) // unblocks Accept
		close(fired)
	})
	nc, err := l.ln.Accept()
	if !stop() {
		<-fired // then clear the deadline for later Accepts
		l.ln.SetDeadline(time.Time{})
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, "", fmt.Errorf("transport: accept: %w", ctx.Err())
		}
		return nil, "", fmt.Errorf("transport: accept: %w", err)
	}
	if l.id == nil {
		return nc, "", nil
	}
	tc := tls.Server(nc, l.id.ServerConfig(accept...))
	hctx, cancel := handshakeContext(ctx)
	defer cancel()
	if err := tc.HandshakeContext(hctx); err != nil {
		nc.Close()
		return nil, "", fmt.Errorf("transport: accept: refused the party at %s: %w", nc.RemoteAddr(), err)
	}
	role, err := pki.PeerRole(tc.ConnectionState())
	if err != nil { // VerifyConnection checked it already
		nc.Close()
		return nil, "", fmt.Errorf("transport: accept: %w", err)
	}
	deadline, _ := hctx.Deadline()
	tc.SetWriteDeadline(deadline)
	_, err = tc.Write([]byte{accepted})
	tc.SetWriteDeadline(time.Time{})
	if err != nil {
		nc.Close()
		return nil, "", fmt.Errorf("transport: accept: the %s at %s: %w", role, nc.RemoteAddr(), err)
	}
	return tc, role, nil
}
