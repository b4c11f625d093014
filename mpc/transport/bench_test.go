package transport

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/marill-go/marill/mpc/transport/pki"
)

// Run with
//
//	go test ./mpc/transport -run '^$' -bench . -benchtime 2s
//
// Shaped benchmarks take about a second per operation; -benchtime 3x is
// enough for them.

var benchLinks = []struct {
	name string
	pair func(b *testing.B) (Conn, Conn)
}{
	{"mem", func(b *testing.B) (Conn, Conn) { return Pipe(MemOptions{Timeout: time.Minute}) }},
	{"tcp", func(b *testing.B) (Conn, Conn) { return streamPair(b, StreamOptions{}) }},
	{"tls", func(b *testing.B) (Conn, Conn) { return tlsPair(b, StreamOptions{}) }},
}

// BenchmarkThroughput sends frames one way; MB/s is payload.
func BenchmarkThroughput(b *testing.B) {
	for _, l := range benchLinks {
		for _, size := range []int{4 << 10, 64 << 10, 1 << 20, 16 << 20} {
			b.Run(fmt.Sprintf("%s/%dKiB", l.name, size>>10), func(b *testing.B) {
				x, y := l.pair(b)
				defer x.Close()
				defer y.Close()
				p := make([]byte, size)
				errc := make(chan error, 1)
				b.SetBytes(int64(size))
				b.ResetTimer()
				go func() {
					for range b.N {
						if _, err := y.Recv(); err != nil {
							errc <- err
							return
						}
					}
					errc <- nil
				}()
				for range b.N {
					if err := x.Send(p); err != nil {
						b.Fatal(err)
					}
				}
				if err := <-errc; err != nil {
					b.Fatal(err)
				}
			})
		}
	}
}

// BenchmarkPingPong measures the round trip of an 8-byte message: ns/op is
// the RTT.
func BenchmarkPingPong(b *testing.B) {
	for _, l := range benchLinks {
		b.Run(l.name, func(b *testing.B) {
			x, y := l.pair(b)
			defer x.Close()
			defer y.Close()
			b.ResetTimer()
			pingPong(b, x, y, b.N)
		})
	}
}

// BenchmarkConnectTLS measures Dial + Accept (TCP, TLS 1.3 with mutual
// authentication, the acceptance byte) + NewStream + Handshake.
func BenchmarkConnectTLS(b *testing.B) {
	ids := deployment(b)
	ln, err := Listen("127.0.0.1:0", ids[pki.Server])
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	ctx := context.Background()
	errc := make(chan error, 1)
	go func() {
		for range b.N {
			nc, _, err := ln.Accept(ctx, pki.Client)
			if err != nil {
				errc <- err
				return
			}
			s, _ := NewStream(nc, StreamOptions{})
			_, err = Handshake(ctx, s, hello("server"), "client")
			s.Close()
			if err != nil {
				errc <- err
				return
			}
		}
		errc <- nil
	}()
	for range b.N {
		nc, err := Dial(ctx, ln.Addr().String(), ids[pki.Client], pki.Server)
		if err != nil {
			b.Fatal(err)
		}
		s, _ := NewStream(nc, StreamOptions{})
		if _, err := Handshake(ctx, s, hello("client"), "server"); err != nil {
			b.Fatal(err)
		}
		s.Close()
	}
	if err := <-errc; err != nil {
		b.Fatal(err)
	}
}

// BenchmarkShaped reports how closely the shaper matches its ideal:
// 10 ping-pongs at 10 ms one-way (ideal 200 ms) and 100 MiB at 1 Gbit/s
// (ideal 838.9 ms), on the mem Pipe and over loopback TCP.
func BenchmarkShaped(b *testing.B) {
	pairs := []struct {
		name string
		pair func(b *testing.B) (Conn, Conn)
	}{benchLinks[0], benchLinks[1]}
	for _, l := range pairs {
		b.Run("pingpong-10x10ms/"+l.name, func(b *testing.B) {
			x, y := l.pair(b)
			sx, _ := Shape(x, Shaping{Latency: 10 * time.Millisecond})
			sy, _ := Shape(y, Shaping{Latency: 10 * time.Millisecond})
			defer sx.Close()
			defer sy.Close()
			var total time.Duration
			for range b.N {
				total += pingPong(b, sx, sy, 10)
			}
			ideal := 200 * time.Millisecond
			got := total / time.Duration(b.N)
			b.ReportMetric(float64(got)/1e6, "ms/10rtt")
			b.ReportMetric(100*float64(got-ideal)/float64(ideal), "%err")
		})
		b.Run("100MiB-1Gbit/"+l.name, func(b *testing.B) {
			x, y := l.pair(b)
			sx, _ := Shape(x, Shaping{Bandwidth: Gbit(1)})
			defer sx.Close()
			defer y.Close()
			var total time.Duration
			for range b.N {
				total += bulk(b, sx, y, 100<<20, 1<<20)
			}
			ideal := time.Duration(float64(100<<20) / Gbit(1) * float64(time.Second))
			got := total / time.Duration(b.N)
			b.ReportMetric(float64(got)/1e6, "ms/100MiB")
			b.ReportMetric(100*float64(got-ideal)/float64(ideal), "%err")
		})
	}
}
