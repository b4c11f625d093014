package proto

import (
	"bytes"
	"sync"
	"testing"
	"time"

	"github.com/marill-go/marill/mpc/fxp"
	"github.com/marill-go/marill/mpc/transport"
)

// script runs a mix of every protocol that takes material.
func script(f *fxp.Funcs, s *Session, keep func(name string, x *Shared)) {
	p := f.Params()
	n := 40
	xs, ys, w := make([]uint64, n), make([]uint64, n), make([]uint64, 4*3)
	for i := range xs {
		xs[i] = f.Encode(float64(i)/7 - 2.5)
		ys[i] = f.Encode(1.25 - float64(i%9)/4)
	}
	for i := range w {
		w[i] = f.Encode(float64(i%5)/3 - 0.5)
	}
	x := s.Input(Client, xs, n, p.FracBits)
	y := s.Input(Server, ys, n, p.FracBits)
	keep("mul", s.Trunc(s.Mul(x, y, nil), p.FracBits))
	keep("gelu", s.Segments(x, f.GeLUTable(1)))
	keep("relu", s.ReLU(y))
	keep("exp", s.NegExp(s.ReLU(s.Negate(x))))
	keep("weight", s.MatMulWeight(x, w, p.FracBits, 4, 3))
	keep("matmul", s.MatMul(x, y, Dims{Batch: 1, M: 5, K: 8, N: 5, BShared: true}))
	keep("max", s.RowMax(y, [][]int{{0, 1, 2, 3}, {4, 5, 6, 7, 8}}))
}

// The dealer as its own process: material crosses a link per party, the
// dealer runs concurrently with the parties, and the parties compute
// exactly what they compute with the in-memory queue.
func TestMaterialOverLinks(t *testing.T) {
	f := fxp.MustNew(fxp.Default())
	run := func(networked bool) (map[string][]uint64, [2]int64) {
		out := map[string][]uint64{}
		var mu sync.Mutex
		keep := func(s *Session) func(string, *Shared) {
			return func(name string, x *Shared) {
				if s.Role == Dealer {
					return
				}
				mu.Lock()
				defer mu.Unlock()
				if out[name] == nil {
					out[name] = make([]uint64, x.N)
				}
				for i, v := range x.share {
					out[name][i] += v
				}
			}
		}
		a, b := transport.Pipe(transport.MemOptions{Timeout: 20 * time.Second})
		var dm, cm, sm Material
		if networked {
			dc, cd := transport.Pipe(transport.MemOptions{Timeout: 20 * time.Second})
			ds, sd := transport.Pipe(transport.MemOptions{Timeout: 20 * time.Second})
			dm = NewSender(dc, ds)
			cm, _ = NewReceiver(Client, cd)
			sm, _ = NewReceiver(Server, sd)
		} else {
			q := &Queue{}
			dm, cm, sm = q, q, q
		}
		d, _ := NewSession(Dealer, nil, dm, f, []byte("wire"))
		c, _ := NewSession(Client, a, cm, f, nil)
		s, _ := NewSession(Server, b, sm, f, nil)
		var wg sync.WaitGroup
		runRole := func(x *Session) {
			defer wg.Done()
			script(f, x, keep(x))
			if err := x.Err(); err != nil {
				t.Errorf("%v: %v", x.Role, err)
			}
		}
		if !networked {
			wg.Add(1)
			runRole(d)
		} else {
			wg.Add(1)
			go runRole(d)
		}
		wg.Add(2)
		go runRole(c)
		go runRole(s)
		wg.Wait()
		return out, [2]int64{cm.Bytes(Client), sm.Bytes(Server)}
	}
	want, wantBytes := run(false)
	got, gotBytes := run(true)
	for name, w := range want {
		if g := got[name]; len(g) != len(w) || !equalWords(g, w) {
			t.Errorf("%s differs when the material crosses a link", name)
		}
	}
	if gotBytes != wantBytes || wantBytes[0] == 0 {
		t.Errorf("offline bytes over links %v, in memory %v", gotBytes, wantBytes)
	}
}

func equalWords(a, b []uint64) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestMaterialEncodingRejectsBadInput(t *testing.T) {
	good, err := EncodeMaterial(nil, truncMat{[]uint64{1, 2}, []uint64{3, 4}}, 32)
	if err != nil {
		t.Fatal(err)
	}
	if item, d, err := DecodeMaterial(good); err != nil || d != 32 || item.(truncMat).msb[1] != 4 {
		t.Fatalf("round trip: %v %v %v", item, d, err)
	}
	for cut := 0; cut < len(good); cut++ {
		if _, _, err := DecodeMaterial(good[:cut]); err == nil {
			t.Errorf("truncated to %d bytes: accepted", cut)
		}
	}
	bad := [][]byte{
		append(bytes.Clone(good), 0), // trailing byte
		{5, 99},                      // unknown kind
		{5, kindTrunc, 3, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 2, 1, 2, 3, 4, 5, 6, 7, 8}, // lengths differ
		{5, kindOpen, 0xff, 0xff, 0xff, 0xff, 0x0f},                                                         // huge vector
	}
	for i, b := range bad {
		if _, _, err := DecodeMaterial(b); err == nil {
			t.Errorf("bad input %d accepted", i)
		}
	}
	if _, err := EncodeMaterial(nil, 42, 8); err == nil {
		t.Error("an int encoded as material")
	}
}

func FuzzDecodeMaterial(f *testing.F) {
	seed, _ := EncodeMaterial(nil, selMat{rho: []uint8{1, 0, 1}, rhoA: []uint64{1, 2, 3}, rxRho: []uint64{4, 5, 6}}, 56)
	f.Add(seed)
	lut, _ := EncodeMaterial(nil, lutMat{rl: []uint64{1}, key: make([]byte, 16)}, 8)
	f.Add(lut)
	f.Fuzz(func(t *testing.T, b []byte) {
		item, d, err := DecodeMaterial(b)
		if err != nil {
			return
		}
		again, err := EncodeMaterial(nil, item, d)
		if err != nil {
			t.Fatalf("decoded %T does not encode: %v", item, err)
		}
		if _, _, err := DecodeMaterial(again); err != nil {
			t.Fatalf("re-encoded item does not decode: %v", err)
		}
	})
}
