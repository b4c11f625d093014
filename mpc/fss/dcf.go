package fss

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"fmt"
	"io"
)

// block is a 128-bit value: a PRG seed (bits 3..127) plus control bits.
type block struct{ lo, hi uint64 }

func (a block) xor(b block) block { return block{a.lo ^ b.lo, a.hi ^ b.hi} }

// mask returns b if bit is 1, else zero.
func (a block) mask(bit uint64) block {
	m := -bit // all ones or zero
	return block{a.lo & m, a.hi & m}
}

const seedMask = ^uint64(7) // seeds keep bits 3..127; bits 0..2 carry t, v

// PRG is the length-doubling generator of the DCF tree: the left and right
// children of a seed s are AES_kL(s)⊕s and AES_kR(s)⊕s under two fixed,
// public keys (Matyas–Meyer–Oseas, the standard choice in FSS
// implementations). Each child's bit 0 is its control bit t, bit 1 its
// output bit v, bits 3..127 its seed (λ = 125). Evaluation follows one
// path, so it costs one AES block per level.
type PRG struct {
	ciphers [2]cipher.Block
}

// NewPRG returns the generator with the fixed public keys.
func NewPRG() *PRG {
	var p PRG
	for i, k := range []string{"marill-go dcf L.", "marill-go dcf R."} {
		c, err := aes.NewCipher([]byte(k))
		if err != nil {
			panic(err) // 16-byte keys cannot fail
		}
		p.ciphers[i] = c
	}
	return &p
}

// child expands s towards direction dir (0 left, 1 right).
func (p *PRG) child(s block, dir uint64) block {
	var in, out [16]byte
	binary.LittleEndian.PutUint64(in[:8], s.lo)
	binary.LittleEndian.PutUint64(in[8:], s.hi)
	p.ciphers[dir].Encrypt(out[:], in[:])
	return block{binary.LittleEndian.Uint64(out[:8]) ^ s.lo, binary.LittleEndian.Uint64(out[8:]) ^ s.hi}
}

// DCFKeys holds one party's keys for a batch of comparisons of n-bit
// inputs. Key i lets its holder compute an XOR share of [x < α_i] for any
// public x.
type DCFKeys struct {
	N     int     // input bits
	Count int     // number of keys
	seeds []block // Count
	cws   []block // Count × N: seed correction with v, tL, tR in bits 0..2
	final []uint8 // Count: the last correction bit
}

// Bytes is the size of the keys as shipped: per key one seed, N
// correction words of 16 bytes, and one bit.
func (k *DCFKeys) Bytes() int64 {
	return int64(k.Count)*int64(16*(k.N+1)) + (int64(k.Count)+7)/8
}

// GenDCF makes keys for [x < α_i], x and α_i n-bit unsigned, reading
// randomness from rng. The two returned key sets go to party 0 and 1.
func GenDCF(p *PRG, rng io.Reader, alphas []uint64, n int) (k0, k1 *DCFKeys, err error) {
	if n < 1 || n > 64 {
		return nil, nil, fmt.Errorf("fss: DCF input width %d outside 1..64", n)
	}
	count := len(alphas)
	k0 = &DCFKeys{N: n, Count: count, seeds: make([]block, count), cws: make([]block, count*n), final: make([]uint8, count)}
	k1 = &DCFKeys{N: n, Count: count, seeds: make([]block, count), cws: make([]block, count*n), final: make([]uint8, count)}
	buf := make([]byte, 32*count)
	if _, err := io.ReadFull(rng, buf); err != nil {
		return nil, nil, fmt.Errorf("fss: randomness: %w", err)
	}
	for i, alpha := range alphas {
		r := buf[32*i:]
		s0 := block{binary.LittleEndian.Uint64(r[0:]) & seedMask, binary.LittleEndian.Uint64(r[8:])}
		s1 := block{binary.LittleEndian.Uint64(r[16:]) & seedMask, binary.LittleEndian.Uint64(r[24:])}
		k0.seeds[i], k1.seeds[i] = s0, s1
		var t0, t1, va uint64 = 0, 1, 0
		cw := k0.cws[i*n : (i+1)*n]
		for l := 0; l < n; l++ {
			a := alpha >> uint(n-1-l) & 1
			c0 := [2]block{p.child(s0, 0), p.child(s0, 1)}
			c1 := [2]block{p.child(s1, 0), p.child(s1, 1)}
			keep, lose := a, 1-a
			sCW := block{c0[lose].lo & seedMask, c0[lose].hi}.xor(block{c1[lose].lo & seedMask, c1[lose].hi})
			v := func(b block) uint64 { return b.lo >> 1 & 1 }
			t := func(b block) uint64 { return b.lo & 1 }
			// Inputs that leave the α path here towards the left, while α
			// goes right, are smaller than α: their output is 1.
			vCW := v(c0[lose]) ^ v(c1[lose]) ^ va ^ (lose ^ 1)
			va ^= v(c0[keep]) ^ v(c1[keep]) ^ vCW
			tCWL := t(c0[0]) ^ t(c1[0]) ^ a ^ 1
			tCWR := t(c0[1]) ^ t(c1[1]) ^ a
			cw[l] = block{sCW.lo | vCW<<2 | tCWL | tCWR<<1, sCW.hi}
			tCWkeep := [2]uint64{tCWL, tCWR}[keep]
			ns0 := block{c0[keep].lo & seedMask, c0[keep].hi}.xor(sCW.mask(t0))
			ns1 := block{c1[keep].lo & seedMask, c1[keep].hi}.xor(sCW.mask(t1))
			t0, t1 = t(c0[keep])^(t0&tCWkeep), t(c1[keep])^(t1&tCWkeep)
			s0, s1 = ns0, ns1
		}
		fin := uint8(va ^ convert(s0) ^ convert(s1))
		k0.final[i], k1.final[i] = fin, fin
	}
	copy(k1.cws, k0.cws)
	return k0, k1, nil
}

// convert maps a leaf seed to its output bit.
func convert(s block) uint64 { return s.lo >> 3 & 1 }

// EvalDCF writes party b's XOR share of [x_i < α_i] into out[i] (0 or 1)
// for the public inputs xs (one per key, reduced to N bits). Keys are
// walked level by level in chunks, so the AES calls run over contiguous
// buffers without allocating.
func EvalDCF(p *PRG, b int, k *DCFKeys, xs []uint64, out []uint8) {
	const chunk = 512
	n := k.N
	var in, enc [chunk * 16]byte
	var s [chunk]block
	var t, v [chunk]uint64
	for base := 0; base < k.Count; base += chunk {
		m := min(chunk, k.Count-base)
		for j := 0; j < m; j++ {
			s[j], t[j], v[j] = k.seeds[base+j], uint64(b), 0
		}
		for l := 0; l < n; l++ {
			shift := uint(n - 1 - l)
			for j := 0; j < m; j++ {
				binary.LittleEndian.PutUint64(in[16*j:], s[j].lo)
				binary.LittleEndian.PutUint64(in[16*j+8:], s[j].hi)
			}
			for j := 0; j < m; j++ {
				dir := xs[base+j] >> shift & 1
				p.ciphers[dir].Encrypt(enc[16*j:16*j+16], in[16*j:16*j+16])
			}
			for j := 0; j < m; j++ {
				i := base + j
				dir := xs[i] >> shift & 1
				c := block{binary.LittleEndian.Uint64(enc[16*j:]) ^ s[j].lo, binary.LittleEndian.Uint64(enc[16*j+8:]) ^ s[j].hi}
				w := k.cws[i*n+l]
				tj := t[j]
				v[j] ^= c.lo>>1&1 ^ tj&(w.lo>>2&1)
				s[j] = block{c.lo & seedMask, c.hi}.xor(block{w.lo & seedMask, w.hi}.mask(tj))
				t[j] = c.lo&1 ^ tj&(w.lo>>dir&1)
			}
		}
		for j := 0; j < m; j++ {
			out[base+j] = uint8(v[j] ^ convert(s[j]) ^ t[j]&uint64(k.final[base+j]))
		}
	}
}
