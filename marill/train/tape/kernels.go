package tape

// addTo adds src into dst elementwise.
func addTo(dst, src []float64) {
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] += v
	}
}

// transpose writes the r×c matrix src as c×r into dst.
func transpose(dst, src []float64, r, c int) {
	const blk = 32 // tiles keep both matrices' lines in cache
	for i0 := 0; i0 < r; i0 += blk {
		i1 := min(i0+blk, r)
		for j0 := 0; j0 < c; j0 += blk {
			j1 := min(j0+blk, c)
			for i := i0; i < i1; i++ {
				row := src[i*c : i*c+c]
				for j := j0; j < j1; j++ {
					dst[j*r+i] = row[j]
				}
			}
		}
	}
}

// mulABtAcc adds a·bᵀ to dst: a is m×n, b is k×n, dst is m×k. Both
// operands are read along rows: each output is a dot product of a row of
// a and a row of b, four rows of b at a time.
func mulABtAcc(dst, a, b []float64, m, n, k int) {
	for i := 0; i < m; i++ {
		ai := a[i*n : i*n+n]
		di := dst[i*k : i*k+k]
		p := 0
		for ; p+4 <= k; p += 4 {
			b0 := b[p*n : p*n+n]
			b1 := b[(p+1)*n : (p+1)*n+n]
			b2 := b[(p+2)*n : (p+2)*n+n]
			b3 := b[(p+3)*n : (p+3)*n+n]
			var s0, s1, s2, s3 float64
			for j, x := range ai {
				s0 += x * b0[j]
				s1 += x * b1[j]
				s2 += x * b2[j]
				s3 += x * b3[j]
			}
			di[p] += s0
			di[p+1] += s1
			di[p+2] += s2
			di[p+3] += s3
		}
		for ; p < k; p++ {
			bp := b[p*n : p*n+n]
			s := 0.0
			for j, x := range ai {
				s += x * bp[j]
			}
			di[p] += s
		}
	}
}

// mulAtBAcc adds aᵀ·b to dst: a is m×k, b is m×n, dst is k×n. Rows of b
// are added into rows of dst, four rows of a at a time; dst is visited in
// panels of rows that stay in cache while every row of a and b passes.
func mulAtBAcc(dst, a, b []float64, m, k, n int) {
	const panel = 16
	for p0 := 0; p0 < k; p0 += panel {
		p1 := min(p0+panel, k)
		i := 0
		for ; i+4 <= m; i += 4 {
			a0, a1, a2, a3 := a[i*k:i*k+k], a[(i+1)*k:(i+1)*k+k], a[(i+2)*k:(i+2)*k+k], a[(i+3)*k:(i+3)*k+k]
			b0, b1, b2, b3 := b[i*n:i*n+n], b[(i+1)*n:(i+1)*n+n], b[(i+2)*n:(i+2)*n+n], b[(i+3)*n:(i+3)*n+n]
			for p := p0; p < p1; p++ {
				x0, x1, x2, x3 := a0[p], a1[p], a2[p], a3[p]
				dp := dst[p*n : p*n+n]
				for j := range dp {
					dp[j] += x0*b0[j] + x1*b1[j] + x2*b2[j] + x3*b3[j]
				}
			}
		}
		for ; i < m; i++ {
			ai, bi := a[i*k:i*k+k], b[i*n:i*n+n]
			for p := p0; p < p1; p++ {
				x := ai[p]
				dp := dst[p*n : p*n+n]
				for j, v := range bi {
					dp[j] += x * v
				}
			}
		}
	}
}
