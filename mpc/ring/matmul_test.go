package ring

import (
	"math/rand/v2"
	"testing"
)

func naiveMatMul(a, b []uint64, m, k, n int) []uint64 {
	c := make([]uint64, m*n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s uint64
			for p := 0; p < k; p++ {
				s += a[i*k+p] * b[p*n+j]
			}
			c[i*n+j] = s
		}
	}
	return c
}

func randVec(r *rand.Rand, n int) []uint64 {
	v := make([]uint64, n)
	for i := range v {
		v[i] = r.Uint64()
	}
	return v
}

func TestMatMulMatchesNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, s := range [][3]int{{1, 1, 1}, {3, 5, 7}, {17, 67, 3}, {5, 130, 300}, {64, 64, 257}, {2, 259, 513}} {
		m, k, n := s[0], s[1], s[2]
		a, b := randVec(r, m*k), randVec(r, k*n)
		c := make([]uint64, m*n)
		for i := range c {
			c[i] = 12345 // the kernel must overwrite, not accumulate
		}
		MatMul(c, a, b, m, k, n)
		want := naiveMatMul(a, b, m, k, n)
		for i := range c {
			if c[i] != want[i] {
				t.Fatalf("%v: element %d = %d, want %d", s, i, c[i], want[i])
			}
		}
	}
}

func TestMatMulFloat64(t *testing.T) {
	a := []float64{1, 2, 3, 4, 5, 6}    // 2×3
	b := []float64{7, 8, 9, 10, 11, 12} // 3×2
	c := make([]float64, 4)
	MatMulFloat64(c, a, b, 2, 3, 2)
	want := []float64{58, 64, 139, 154}
	for i := range c {
		if c[i] != want[i] {
			t.Fatalf("c = %v, want %v", c, want)
		}
	}
}

func TestSignedReduce(t *testing.T) {
	for _, bits := range []int{8, 37, 50, 64} {
		for _, x := range []int64{0, 1, -1, 100, -100} {
			if got := Signed(Reduce(x, bits), bits); got != x {
				t.Errorf("bits %d: Signed(Reduce(%d)) = %d", bits, x, got)
			}
		}
	}
	if Signed(Mask(8), 8) != -1 {
		t.Errorf("Signed(0xff, 8) != -1")
	}
}

func benchMatMul(b *testing.B, m, k, n int) {
	r := rand.New(rand.NewPCG(1, 2))
	x, y := randVec(r, m*k), randVec(r, k*n)
	c := make([]uint64, m*n)
	b.ResetTimer()
	for range b.N {
		MatMul(c, x, y, m, k, n)
	}
	macs := float64(m) * float64(k) * float64(n) * float64(b.N)
	b.ReportMetric(macs/b.Elapsed().Seconds()/1e9, "GMAC/s")
}

// BenchmarkMatMul768 is the square 768³ product the ecosystem notes measured.
func BenchmarkMatMul768(b *testing.B) { benchMatMul(b, 768, 768, 768) }

// BenchmarkMatMulBERTFFN is one BERT-base FFN up-projection at n = 128.
func BenchmarkMatMulBERTFFN(b *testing.B) { benchMatMul(b, 128, 768, 3072) }

func TestMatMulParallel(t *testing.T) {
	// The last two shapes are large enough to be split into bands.
	for _, sh := range [][3]int{{1, 5, 7}, {3, 4, 5}, {128, 96, 160}, {257, 64, 300}, {300, 128, 257}, {515, 128, 256}} {
		m, k, n := sh[0], sh[1], sh[2]
		a, b := make([]uint64, m*k), make([]uint64, k*n)
		for i := range a {
			a[i] = uint64(i)*0x9e3779b97f4a7c15 + 1
		}
		for i := range b {
			b[i] = uint64(i)*0xbf58476d1ce4e5b9 + 3
		}
		want, got := make([]uint64, m*n), make([]uint64, m*n)
		MatMul(want, a, b, m, k, n)
		for _, w := range []int{1, 2, 3, 8} {
			clear(got)
			MatMulParallel(got, a, b, m, k, n, w)
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("%v with %d workers: element %d differs", sh, w, i)
				}
			}
		}
	}
}

func TestMatMulFloat64Parallel(t *testing.T) {
	for _, sh := range [][3]int{{3, 4, 5}, {300, 128, 257}, {515, 128, 256}} {
		m, k, n := sh[0], sh[1], sh[2]
		a, b := make([]float64, m*k), make([]float64, k*n)
		for i := range a {
			a[i] = float64(i%17) - 8.5
		}
		for i := range b {
			b[i] = float64(i%13)/7 - 1
		}
		want, got := make([]float64, m*n), make([]float64, m*n)
		MatMulFloat64(want, a, b, m, k, n)
		for _, w := range []int{1, 2, 3, 8} {
			clear(got)
			MatMulFloat64Parallel(got, a, b, m, k, n, w)
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("%v with %d workers: element %d = %v, want %v (bit-identical)", sh, w, i, got[i], want[i])
				}
			}
		}
	}
}
