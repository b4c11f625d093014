package ring

import "fmt"

// PackedLen is the number of bytes Pack produces for n values of the given
// width.
func PackedLen(n, bits int) int { return (n*bits + 7) / 8 }

// Pack appends the low `bits` bits of every value to dst as a
// little-endian bit stream, and returns the extended slice. Openings of
// narrow values (masked comparison inputs, table indices, single bits)
// travel at their true width, so byte counts are what a tight
// implementation would send.
func Pack(dst []byte, v []uint64, bits int) []byte {
	if bits == 64 {
		for _, x := range v {
			dst = append(dst, byte(x), byte(x>>8), byte(x>>16), byte(x>>24), byte(x>>32), byte(x>>40), byte(x>>48), byte(x>>56))
		}
		return dst
	}
	m := Mask(bits)
	var acc uint64
	n := 0 // bits in acc
	for _, x := range v {
		x &= m
		acc |= x << uint(n)
		if n+bits >= 64 {
			for range 8 {
				dst = append(dst, byte(acc))
				acc >>= 8
			}
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
		dst = append(dst, byte(acc))
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
			b := src[8*i : 8*i+8]
			dst[i] = uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
				uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
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
