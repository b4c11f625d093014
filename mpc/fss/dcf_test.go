package fss

import (
	"crypto/rand"
	mrand "math/rand/v2"
	"testing"
)

func TestDCFExhaustive(t *testing.T) {
	p := NewPRG()
	for _, n := range []int{1, 2, 3, 5} {
		var alphas []uint64
		for a := uint64(0); a < 1<<n; a++ {
			alphas = append(alphas, a)
		}
		k0, k1, err := GenDCF(p, rand.Reader, alphas, n)
		if err != nil {
			t.Fatal(err)
		}
		for x := uint64(0); x < 1<<n; x++ {
			xs := make([]uint64, len(alphas))
			for i := range xs {
				xs[i] = x
			}
			o0, o1 := make([]uint8, len(xs)), make([]uint8, len(xs))
			EvalDCF(p, 0, k0, xs, o0)
			EvalDCF(p, 1, k1, xs, o1)
			for i, a := range alphas {
				want := uint8(0)
				if x < a {
					want = 1
				}
				if o0[i]^o1[i] != want {
					t.Fatalf("n=%d α=%d x=%d: shares %d⊕%d, want %d", n, a, x, o0[i], o1[i], want)
				}
			}
		}
	}
}

func TestDCFRandomWide(t *testing.T) {
	p := NewPRG()
	r := mrand.New(mrand.NewPCG(1, 2))
	for _, n := range []int{27, 36, 64} {
		mask := ^uint64(0) >> uint(64-n)
		alphas := make([]uint64, 2000)
		xs := make([]uint64, len(alphas))
		for i := range alphas {
			alphas[i] = r.Uint64() & mask
			switch i % 4 {
			case 0:
				xs[i] = alphas[i] // boundary: not less
			case 1:
				xs[i] = (alphas[i] - 1) & mask
			default:
				xs[i] = r.Uint64() & mask
			}
		}
		k0, k1, err := GenDCF(p, rand.Reader, alphas, n)
		if err != nil {
			t.Fatal(err)
		}
		o0, o1 := make([]uint8, len(xs)), make([]uint8, len(xs))
		EvalDCF(p, 0, k0, xs, o0)
		EvalDCF(p, 1, k1, xs, o1)
		ones := 0
		for i := range xs {
			want := uint8(0)
			if xs[i] < alphas[i] {
				want = 1
			}
			if o0[i]^o1[i] != want {
				t.Fatalf("n=%d α=%#x x=%#x: got %d, want %d", n, alphas[i], xs[i], o0[i]^o1[i], want)
			}
			ones += int(o0[i])
		}
		// One party's share alone is a fair coin.
		if ones < len(xs)/2-150 || ones > len(xs)/2+150 {
			t.Errorf("n=%d: party 0's shares are %d/%d ones", n, ones, len(xs))
		}
		if got, want := k0.Bytes(), int64(len(alphas)*16*(n+1)+(len(alphas)+7)/8); got != want {
			t.Errorf("key bytes %d, want %d", got, want)
		}
	}
	if _, _, err := GenDCF(p, rand.Reader, []uint64{1}, 65); err == nil {
		t.Errorf("a 65-bit DCF must be refused")
	}
}

func BenchmarkEvalDCF28(b *testing.B) {
	p := NewPRG()
	const n, count = 28, 4096
	alphas := make([]uint64, count)
	xs := make([]uint64, count)
	for i := range alphas {
		alphas[i] = uint64(i * 7919)
		xs[i] = uint64(i * 104729)
	}
	k0, _, _ := GenDCF(p, rand.Reader, alphas, n)
	out := make([]uint8, count)
	b.ResetTimer()
	for range b.N {
		EvalDCF(p, 0, k0, xs, out)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*count), "ns/eval")
}

func TestMMOKernelMatchesCryptoAES(t *testing.T) {
	p := NewPRG()
	slow := *p
	slow.native = false
	r := mrand.New(mrand.NewPCG(9, 9))
	for _, n := range []int{1, 3, 4, 5, 8, 33} {
		src := make([]byte, 16*n)
		for i := range src {
			src[i] = byte(r.Uint32())
		}
		a, b := make([]byte, len(src)), make([]byte, len(src))
		p.mmo(a, src)
		slow.mmo(b, src)
		if string(a) != string(b) {
			t.Fatalf("n=%d: the AES-NI kernel (native=%v) disagrees with crypto/aes", n, p.native)
		}
	}
	// The expanded key matches FIPS-197's example (Appendix A.1).
	key := []byte{0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6, 0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c}
	xk := expandKey128(key)
	if got := xk[160:]; got[0] != 0xd0 || got[1] != 0x14 || got[2] != 0xf9 || got[15] != 0xa6 {
		t.Errorf("last round key %x, want d014f9a8c9ee2589e13f0cc8b6630ca6", got)
	}
}

func BenchmarkMMOKernel(b *testing.B) {
	p := NewPRG()
	src := make([]byte, 16*4096)
	dst := make([]byte, len(src))
	b.SetBytes(int64(len(src)))
	for range b.N {
		p.mmo(dst, src)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*4096), "ns/block")
}

func TestDCFKeysRoundTrip(t *testing.T) {
	p := NewPRG()
	alphas := []uint64{0, 1, 77, 1<<20 - 1, 12345}
	k0, k1, err := GenDCF(p, rand.Reader, alphas, 20)
	if err != nil {
		t.Fatal(err)
	}
	// Many keys in one message (a transformer's comparisons come in
	// thousands): the size bound must not refuse them.
	many := make([]uint64, 1000)
	for i := range many {
		many[i] = uint64(i * 997)
	}
	_, km, err := GenDCF(p, rand.Reader, many, 20)
	if err != nil {
		t.Fatal(err)
	}
	mb, err := km.AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, rest, err := ReadDCFKeys(mb); err != nil || len(rest) != 0 || got.Count != 1000 {
		t.Fatalf("1000 keys: %v, %d left over", err, len(rest))
	}
	b, err := k1.AppendBinary([]byte("prefix"))
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(b)-len("prefix")) > k1.Bytes()+4 {
		t.Errorf("wire form %d bytes, Bytes() says %d", len(b)-6, k1.Bytes())
	}
	got, rest, err := ReadDCFKeys(append(b[len("prefix"):], 9))
	if err != nil || len(rest) != 1 || rest[0] != 9 {
		t.Fatalf("decode: %v, rest %v", err, rest)
	}
	xs := []uint64{0, 0, 76, 1<<20 - 1, 99999}
	o0, o1 := make([]uint8, 5), make([]uint8, 5)
	EvalDCF(p, 0, k0, xs, o0)
	EvalDCF(p, 1, got, xs, o1)
	for i := range xs {
		if want := xs[i] < alphas[i]; (o0[i]^o1[i] == 1) != want {
			t.Errorf("decoded key %d: [%d < %d] wrong", i, xs[i], alphas[i])
		}
	}
	for cut := 0; cut < len(b)-len("prefix"); cut += 7 {
		if _, _, err := ReadDCFKeys(b[len("prefix") : len("prefix")+cut]); err == nil {
			t.Fatalf("truncated to %d bytes: accepted", cut)
		}
	}
	if _, _, err := ReadDCFKeys([]byte{65, 1}); err == nil {
		t.Error("width 65 accepted")
	}
	if _, _, err := ReadDCFKeys([]byte{8, 0xff, 0xff, 0xff, 0xff, 0x0f}); err == nil {
		t.Error("a huge count accepted")
	}
}

func BenchmarkGenDCF28(b *testing.B) {
	p := NewPRG()
	const n, count = 28, 4096
	alphas := make([]uint64, count)
	for i := range alphas {
		alphas[i] = uint64(i * 7919)
	}
	rng := mrand.NewChaCha8([32]byte{1})
	b.ResetTimer()
	for range b.N {
		if _, _, err := GenDCF(p, rng, alphas, n); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*count), "ns/key")
}
