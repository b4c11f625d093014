package ring

// Mask returns 2^bits − 1 (all ones for 64 bits).
func Mask(bits int) uint64 {
	if bits >= 64 {
		return ^uint64(0)
	}
	return 1<<uint(bits) - 1
}

// Signed interprets the low bits of x as a two's-complement integer of the
// given width.
func Signed(x uint64, bits int) int64 {
	if bits >= 64 {
		return int64(x)
	}
	s := uint(64 - bits)
	return int64(x<<s) >> s
}

// Reduce maps a signed integer into Z_2^bits.
func Reduce(x int64, bits int) uint64 { return uint64(x) & Mask(bits) }

// ReduceVec masks every element of v to bits in place.
func ReduceVec(v []uint64, bits int) {
	if bits >= 64 {
		return
	}
	m := Mask(bits)
	for i := range v {
		v[i] &= m
	}
}

// Add sets dst[i] = a[i] + b[i] (mod 2^64; mask afterwards for narrower rings).
func Add(dst, a, b []uint64) {
	b = b[:len(a)]
	dst = dst[:len(a)]
	for i := range a {
		dst[i] = a[i] + b[i]
	}
}

// Sub sets dst[i] = a[i] − b[i].
func Sub(dst, a, b []uint64) {
	b = b[:len(a)]
	dst = dst[:len(a)]
	for i := range a {
		dst[i] = a[i] - b[i]
	}
}

// Neg sets dst[i] = −a[i].
func Neg(dst, a []uint64) {
	dst = dst[:len(a)]
	for i := range a {
		dst[i] = -a[i]
	}
}

// MulConst sets dst[i] = c·a[i].
func MulConst(dst, a []uint64, c uint64) {
	dst = dst[:len(a)]
	for i := range a {
		dst[i] = c * a[i]
	}
}

// Mul sets dst[i] = a[i]·b[i].
func Mul(dst, a, b []uint64) {
	b = b[:len(a)]
	dst = dst[:len(a)]
	for i := range a {
		dst[i] = a[i] * b[i]
	}
}
