package proto

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/marill-go/marill/mpc/fxp"
)

func TestLocalMulAndLess(t *testing.T) {
	f := fxp.MustNew(fxp.Default())
	frac := f.Params().FracBits
	l, err := NewLocal(f, "local-test")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	xs := []float64{1.5, -2, 0.25, 3}
	ys := []float64{2, 0.5, -4, -1.25}
	err = l.Run(func(s *Session) {
		var xv, yv []uint64
		if s.Role == Client {
			xv = encode(f, xs, frac)
		}
		if s.Role == Server {
			yv = encode(f, ys, frac)
		}
		x := s.Input(Client, xv, len(xs), frac)
		y := s.Input(Server, yv, len(ys), frac)
		l.Keep(s, "xy", s.Trunc(s.Mul(x, y, nil), frac))
		l.KeepBits(s, "x<y", s.Less(s.Sub(x, y, nil), 0, 40, []int64{0})[0])
	})
	if err != nil {
		t.Fatal(err)
	}
	v, scale, err := l.Value("xy")
	if err != nil || scale != frac {
		t.Fatalf("value: %v, scale %d", err, scale)
	}
	for i := range xs {
		got, want := decodeAt(v[i], scale), xs[i]*ys[i]
		if d := got - want; d > 1e-3 || d < -1e-3 {
			t.Errorf("x·y[%d] = %v, want %v", i, got, want)
		}
	}
	b, err := l.Bits("x<y")
	if err != nil {
		t.Fatal(err)
	}
	for i := range xs {
		if want := xs[i] < ys[i]; (b[i] == 1) != want {
			t.Errorf("x<y[%d] = %d, want %v", i, b[i], want)
		}
	}
	// Mul opens x and y (one round, 2·8 bytes per element per party), the
	// truncation reuses nothing, Less opens x−y once more.
	c := l.Counters()
	if c[0].Sent == 0 || c[0].Sent != c[1].Sent {
		t.Errorf("sent %d by the client, %d by the server; want equal and positive", c[0].Sent, c[1].Sent)
	}
	if l.Rounds() < 2 {
		t.Errorf("rounds %d, want at least 2", l.Rounds())
	}
	if oc, os := l.OfflineBytes(); oc == 0 || os == 0 {
		t.Errorf("offline bytes %d, %d; want positive", oc, os)
	}
}

func TestLocalErrors(t *testing.T) {
	f := fxp.MustNew(fxp.Default())
	if _, err := NewLocal(f, ""); err == nil {
		t.Error("empty seed accepted")
	}
	if _, err := NewLocal(nil, "s"); err == nil {
		t.Error("nil funcs accepted")
	}
	l, _ := NewLocal(f, "s")
	// Roles that run different protocols are caught, not hung.
	err := l.Run(func(s *Session) {
		x := s.Input(Client, make([]uint64, 2), 2, 0)
		if s.Role == Dealer {
			s.Mul(x, x, nil)
		}
	})
	if err == nil || !strings.Contains(err.Error(), "unused") {
		t.Errorf("mismatched roles: %v", err)
	}
	l2, _ := NewLocal(f, "s")
	err = l2.Run(func(s *Session) {
		if s.Role == Server {
			panic("boom")
		}
	})
	if err == nil || !strings.Contains(err.Error(), "panicked") {
		t.Errorf("panic: %v", err)
	}
	l3, _ := NewLocal(f, "s")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = l3.RunContext(ctx, func(s *Session) {
		x := s.Input(Client, make([]uint64, 2), 2, 0)
		s.Open(x)
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled run: %v", err)
	}
	if _, _, err := l3.Value("nothing"); err == nil {
		t.Error("Value of an unknown name succeeded")
	}
}

// A Beaver multiplication by hand: the client's 3 times the server's 4.
func ExampleLocal() {
	f := fxp.MustNew(fxp.Default())
	l, _ := NewLocal(f, "example")
	defer l.Close()
	err := l.Run(func(s *Session) {
		var mine []uint64
		switch s.Role {
		case Client:
			mine = []uint64{3}
		case Server:
			mine = []uint64{4}
		}
		// Input ignores the values of a role that does not own the input.
		x, y := s.Input(Client, mine, 1, 0), s.Input(Server, mine, 1, 0)
		l.Keep(s, "product", s.Mul(x, y, nil))
	})
	v, _, _ := l.Value("product")
	c := l.Counters()
	fmt.Println(err, v[0], "rounds:", l.Rounds(), "client sent:", c[0].Sent, "server sent:", c[1].Sent)
	// Output: <nil> 12 rounds: 1 client sent: 16 server sent: 16
}
