package ring

import (
	"encoding/binary"
	"fmt"
	"slices"
)

// PackedLen is the number of bytes Pack produces for n values of the given
// width.
func PackedLen(n, bits int) int { return (n*bits + 7) / 8 }

// Pack appends the low `bits` bits of every value to dst as a
// little-endian bit stream, and returns the extended slice. Openings of
// narrow values (masked comparison inputs, table indices, single bits)
// travel at their true width, so byte counts are what a tight
// implementation would send.
func Pack(dst []byte, v []uint64, bits int) []byte {
	// One allocation for the whole stream: openings are large and a
	// byte-wise append spends more time growing than packing.
	start, size := len(dst), PackedLen(len(v), bits)
	dst = slices.Grow(dst, size)[:start+size]
	out := dst[start:]
	if bits == 64 {
		for i, x := range v {
			binary.LittleEndian.PutUint64(out[8*i:], x)
		}
		return dst
	}
	m := Mask(bits)
	var acc uint64
	n := 0 // bits in acc
	pos := 0
	for _, x := range v {
		x &= m
		acc |= x << uint(n)
		if n+bits >= 64 {
			binary.LittleEndian.PutUint64(out[pos:], acc)
			pos += 8
			used := 64 - n
			if used < bits {
				acc = x >> uint(used)
			} else {
				acc = 0
			}
			n = n + bits - 64
		} else {
			n += bits
		}
	}
	for n > 0 {
		out[pos] = byte(acc)
		pos++
		acc >>= 8
		n -= 8
	}
	return dst
}

// Unpack reads n values of the given width written by Pack into dst
// (which must have length n).
func Unpack(dst []uint64, src []byte, bits int) error {
	n := len(dst)
	if len(src) != PackedLen(n, bits) {
		return fmt.Errorf("ring: %d bytes cannot hold %d values of %d bits (want %d)", len(src), n, bits, PackedLen(n, bits))
	}
	if bits == 64 {
		for i := range dst {
			dst[i] = binary.LittleEndian.Uint64(src[8*i:])
		}
		return nil
	}
	m := Mask(bits)
	pos := 0 // bit position
	for i := range dst {
		byteIdx, off := pos/8, uint(pos%8)
		var x uint64
		// Gather up to 9 bytes covering bits [pos, pos+bits).
		for k, sh := 0, -int(off); sh < bits; k, sh = k+1, sh+8 {
			b := uint64(src[byteIdx+k])
			if sh < 0 {
				x |= b >> uint(-sh)
			} else {
				x |= b << uint(sh)
			}
		}
		dst[i] = x & m
		pos += bits
	}
	return nil
}
