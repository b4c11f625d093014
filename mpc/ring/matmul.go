package ring

import "sync"

// Block sizes of the matrix kernels: a kBlock×jBlock panel of b (64×256
// words = 128 KiB) stays in L2 while every row of a streams over it, and a
// jBlock slice of the output row stays in L1.
const (
	kBlock = 64
	jBlock = 256
)

// MatMul sets c = a·b over Z_2^64 for row-major a (m×k), b (k×n) and
// c (m×n); c must not alias a or b. Narrower rings mask the result.
func MatMul(c, a, b []uint64, m, k, n int) {
	matMul(c, a, b, m, k, n)
}

// MatMulParallel is MatMul on up to `workers` goroutines, each taking a
// band of a's rows. It pays off when the caller's peer is idle (the
// server's online weight product, which the client waits for); a product
// smaller than a few million multiply-accumulates runs on one goroutine.
// Every output element is computed as MatMul computes it, so the result
// does not depend on the number of workers.
func MatMulParallel(c, a, b []uint64, m, k, n, workers int) {
	matMulParallel(c, a, b, m, k, n, workers)
}

// MatMulFloat64 sets c = a·b in float64 with the same blocking.
func MatMulFloat64(c, a, b []float64, m, k, n int) {
	matMul(c, a, b, m, k, n)
}

// MatMulFloat64Parallel is MatMulFloat64 on up to `workers` goroutines,
// for plaintext products whose peer is idle (the client's frozen layers);
// like MatMulParallel, its result does not depend on the number of
// workers.
func MatMulFloat64Parallel(c, a, b []float64, m, k, n, workers int) {
	matMulParallel(c, a, b, m, k, n, workers)
}

func matMulParallel[T scalar](c, a, b []T, m, k, n, workers int) {
	const minMACs = 1 << 22
	bands := min(workers, m, max(1, m*k*n/minMACs))
	if bands <= 1 {
		matMul(c, a, b, m, k, n)
		return
	}
	var wg sync.WaitGroup
	for w := 0; w < bands; w++ {
		lo, hi := m*w/bands, m*(w+1)/bands
		wg.Add(1)
		go func() {
			defer wg.Done()
			matMul(c[lo*n:hi*n], a[lo*k:hi*k], b, hi-lo, k, n)
		}()
	}
	wg.Wait()
}

type scalar interface{ ~uint64 | ~float64 }

func matMul[T scalar](c, a, b []T, m, k, n int) {
	c = c[:m*n]
	clear(c)
	a = a[:m*k]
	b = b[:k*n]
	for j0 := 0; j0 < n; j0 += jBlock {
		j1 := min(j0+jBlock, n)
		w := j1 - j0
		for k0 := 0; k0 < k; k0 += kBlock {
			k1 := min(k0+kBlock, k)
			for i := 0; i < m; i++ {
				ci := c[i*n+j0 : i*n+j1]
				ai := a[i*k : i*k+k]
				p := k0
				for ; p+4 <= k1; p += 4 {
					a0, a1, a2, a3 := ai[p], ai[p+1], ai[p+2], ai[p+3]
					b0 := b[p*n+j0:][:w]
					b1 := b[(p+1)*n+j0:][:w]
					b2 := b[(p+2)*n+j0:][:w]
					b3 := b[(p+3)*n+j0:][:w]
					for j := range ci {
						ci[j] += a0*b0[j] + a1*b1[j] + a2*b2[j] + a3*b3[j]
					}
				}
				for ; p < k1; p++ {
					a0 := ai[p]
					b0 := b[p*n+j0:][:w]
					for j := range ci {
						ci[j] += a0 * b0[j]
					}
				}
			}
		}
	}
}
