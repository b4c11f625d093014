package transport_test

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/marill-go/marill/mpc/transport"
	"github.com/marill-go/marill/mpc/transport/pki"
)

func ExamplePipe() {
	a, b := transport.Pipe(transport.MemOptions{Timeout: 5 * time.Second})
	defer a.Close()
	go func() { // the peer answers: a ping-pong is two rounds
		p, _ := b.Recv()
		b.Send(append(p, '!'))
	}()
	a.Send([]byte("ping"))
	p, _ := a.Recv()
	s := a.Meter().Snapshot()
	fmt.Printf("%s: sent %d bytes, received %d, %d rounds\n", p, s.Sent, s.Received, s.Stamp)
	// Output: ping!: sent 4 bytes, received 5, 2 rounds
}

func ExampleShape() {
	a, b := transport.Pipe(transport.MemOptions{Timeout: 5 * time.Second})
	wan := transport.Shaping{Latency: 10 * time.Millisecond, Bandwidth: transport.Mbit(100)}
	sa, _ := transport.Shape(a, wan)
	sb, _ := transport.Shape(b, wan)
	defer sa.Close()
	defer sb.Close()
	go func() {
		for range 3 {
			p, _ := sb.Recv()
			sb.Send(p)
		}
	}()
	start := time.Now()
	for range 3 {
		sa.Send(make([]byte, 1000))
		sa.Recv()
	}
	fmt.Println(wan)
	fmt.Println("rounds:", sa.Meter().Snapshot().Stamp)
	fmt.Println("took at least 6 × 10 ms:", time.Since(start) >= 60*time.Millisecond)
	// Output:
	// 10ms one-way, 100 Mbit/s
	// rounds: 6
	// took at least 6 × 10 ms: true
}

func ExampleNewStream() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer ln.Close()
	go func() { // the server echoes one message
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		s, _ := transport.NewStream(nc, transport.StreamOptions{})
		defer s.Close()
		p, _ := s.Recv()
		s.Send(p)
		s.Recv() // until the client leaves
	}()
	nc, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		fmt.Println(err)
		return
	}
	s, _ := transport.NewStream(nc, transport.StreamOptions{IdleTimeout: 2 * time.Second})
	s.Send([]byte("hello over TCP"))
	p, _ := s.Recv()
	s.Close()
	c, w := s.Meter().Snapshot(), s.Wire()
	fmt.Printf("%s\npayload: %d sent, %d received\non the wire: %d sent (%d-byte headers)\n",
		p, c.Sent, c.Received, w.BytesSent-w.KeepalivesSent*transport.FrameHeaderSize, transport.FrameHeaderSize)
	// Output:
	// hello over TCP
	// payload: 14 sent, 14 received
	// on the wire: 36 sent (22-byte headers)
}

func ExampleHandshake() {
	a, b := transport.Pipe(transport.MemOptions{Timeout: 5 * time.Second})
	ctx := context.Background()
	run := transport.RunHash([]byte(`{"model":"gpt2","seq":128}`))
	go transport.Handshake(ctx, b, transport.Hello{Version: "marill-go/1", Role: "server", Run: run}, "client")
	peer, err := transport.Handshake(ctx, a, transport.Hello{Version: "marill-go/1", Role: "client", Run: run}, "server")
	fmt.Println(peer.Role, err)

	// A server started for another run is refused.
	c, d := transport.Pipe(transport.MemOptions{Timeout: 5 * time.Second})
	other := transport.RunHash([]byte(`{"model":"gpt2","seq":256}`))
	go transport.Handshake(ctx, d, transport.Hello{Version: "marill-go/1", Role: "server", Run: other}, "client")
	_, err = transport.Handshake(ctx, c, transport.Hello{Version: "marill-go/1", Role: "client", Run: run}, "server")
	fmt.Println(err != nil)
	// Output:
	// server <nil>
	// true
}

func ExampleDial() {
	// A deployment made in memory; parties on separate hosts use
	// pki.WriteDeployment and pki.LoadIdentity instead.
	ca, _ := pki.NewCA(0)
	server, _ := ca.Issue(pki.Server, nil, 0)
	client, _ := ca.Issue(pki.Client, nil, 0)

	ln, err := transport.Listen("127.0.0.1:0", server)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer ln.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	go func() {
		nc, role, err := ln.Accept(ctx, pki.Client, pki.Dealer)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println("server accepted the", role)
		s, _ := transport.NewStream(nc, transport.StreamOptions{Context: ctx})
		defer s.Close()
		p, _ := s.Recv()
		s.Send(p)
		s.Recv()
	}()
	nc, err := transport.Dial(ctx, ln.Addr().String(), client, pki.Server)
	if err != nil {
		fmt.Println(err)
		return
	}
	s, _ := transport.NewStream(nc, transport.StreamOptions{Context: ctx})
	defer s.Close()
	s.Send([]byte("over TLS 1.3"))
	p, _ := s.Recv()
	fmt.Println(string(p))
	// Output:
	// server accepted the client
	// over TLS 1.3
}
