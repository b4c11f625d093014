package fss

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"fmt"
	"io"
	"unsafe"
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
// children of a seed s are π(s)⊕s and π(s⊕1)⊕(s⊕1) for π fixed-key AES
// (Matyas–Meyer–Oseas with a tweak, the standard choice in FSS
// implementations; seeds have bit 0 clear, so the tweaked inputs never
// meet a seed). Each child's bit 0 is its control bit t, bit 1 its output
// bit v, bits 3..127 its seed (λ = 125). Evaluation follows one path, so it
// costs one AES block per level. Blocks are encrypted in batches: with
// AES-NI on amd64 by a kernel keeping four blocks in flight (1.5 ns a
// block), elsewhere through crypto/aes.
type PRG struct {
	cipher cipher.Block
	xk     [176]byte
	native bool
}

// NewPRG returns the generator with the fixed public key.
func NewPRG() *PRG {
	const key = "marill-go dcf  ."
	c, err := aes.NewCipher([]byte(key))
	if err != nil {
		panic(err) // a 16-byte key cannot fail
	}
	return &PRG{cipher: c, xk: expandKey128([]byte(key)), native: hasAESNI()}
}

// mmo writes dst[i] = π(src[i]) ⊕ src[i] for whole 16-byte blocks.
func (p *PRG) mmo(dst, src []byte) {
	n := len(src) / 16
	if n == 0 {
		return
	}
	if p.native {
		mmoBlocks(&p.xk, &dst[0], &src[0], n)
		return
	}
	c := p.cipher
	for i := 0; i < n; i++ {
		c.Encrypt(dst[16*i:16*i+16], src[16*i:16*i+16])
		for j := 16 * i; j < 16*i+16; j++ {
			dst[j] ^= src[j]
		}
	}
}

// DCFKeys holds one party's keys for a batch of comparisons of n-bit
// inputs. Key i lets its holder compute an XOR share of [x < α_i] for any
// public x.
type DCFKeys struct {
	N     int     // input bits
	Count int     // number of keys
	seeds []block // Count
	cws   []block // N × Count, level-major: seed correction with v, tL, tR in bits 0..2
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
	// Keys are built level by level in chunks, so each level's four
	// child expansions per key (both children of both parties' seeds)
	// are encrypted in one batch, as EvalDCF does.
	const chunk = 256
	var s0, s1 [chunk]block
	var t0, t1, va [chunk]uint64
	var in, c [4 * chunk]block
	for base := 0; base < count; base += chunk {
		m := min(chunk, count-base)
		for j := 0; j < m; j++ {
			r := buf[32*(base+j):]
			s0[j] = block{binary.LittleEndian.Uint64(r[0:]) & seedMask, binary.LittleEndian.Uint64(r[8:])}
			s1[j] = block{binary.LittleEndian.Uint64(r[16:]) & seedMask, binary.LittleEndian.Uint64(r[24:])}
			k0.seeds[base+j], k1.seeds[base+j] = s0[j], s1[j]
			t0[j], t1[j], va[j] = 0, 1, 0
		}
		for l := 0; l < n; l++ {
			for j := 0; j < m; j++ {
				in[4*j] = s0[j]
				in[4*j+1] = block{s0[j].lo ^ 1, s0[j].hi}
				in[4*j+2] = s1[j]
				in[4*j+3] = block{s1[j].lo ^ 1, s1[j].hi}
			}
			p.mmoBlocks(c[:4*m], in[:4*m])
			for j := 0; j < m; j++ {
				i := base + j
				a := alphas[i] >> uint(n-1-l) & 1
				c0 := [2]block{c[4*j], c[4*j+1]}
				c1 := [2]block{c[4*j+2], c[4*j+3]}
				keep, lose := a, 1-a
				sCW := block{c0[lose].lo & seedMask, c0[lose].hi}.xor(block{c1[lose].lo & seedMask, c1[lose].hi})
				// Inputs that leave the α path here towards the left,
				// while α goes right, are smaller than α: their output
				// is 1.
				vCW := outBit(c0[lose]) ^ outBit(c1[lose]) ^ va[j] ^ (lose ^ 1)
				va[j] ^= outBit(c0[keep]) ^ outBit(c1[keep]) ^ vCW
				tCWL := ctlBit(c0[0]) ^ ctlBit(c1[0]) ^ a ^ 1
				tCWR := ctlBit(c0[1]) ^ ctlBit(c1[1]) ^ a
				k0.cws[l*count+i] = block{sCW.lo | vCW<<2 | tCWL | tCWR<<1, sCW.hi}
				tCWkeep := tCWL
				if keep == 1 {
					tCWkeep = tCWR
				}
				ns0 := block{c0[keep].lo & seedMask, c0[keep].hi}.xor(sCW.mask(t0[j]))
				ns1 := block{c1[keep].lo & seedMask, c1[keep].hi}.xor(sCW.mask(t1[j]))
				t0[j], t1[j] = ctlBit(c0[keep])^(t0[j]&tCWkeep), ctlBit(c1[keep])^(t1[j]&tCWkeep)
				s0[j], s1[j] = ns0, ns1
			}
		}
		for j := 0; j < m; j++ {
			fin := uint8(va[j] ^ convert(s0[j]) ^ convert(s1[j]))
			k0.final[base+j], k1.final[base+j] = fin, fin
		}
	}
	copy(k1.cws, k0.cws)
	return k0, k1, nil
}

// outBit and ctlBit read a child's output bit v and control bit t.
func outBit(b block) uint64 { return b.lo >> 1 & 1 }
func ctlBit(b block) uint64 { return b.lo & 1 }

// convert maps a leaf seed to its output bit.
func convert(s block) uint64 { return s.lo >> 3 & 1 }

// EvalDCF writes party b's XOR share of [x_i < α_i] into out[i] (0 or 1)
// for the public inputs xs (one per key, reduced to N bits). Keys are
// walked level by level in chunks: each level tweaks every seed by the
// direction its input bit selects and encrypts the chunk in one batch.
func EvalDCF(p *PRG, b int, k *DCFKeys, xs []uint64, out []uint8) {
	const chunk = 1024
	n := k.N
	var s, in, c [chunk]block
	var t, v [chunk]uint64
	for base := 0; base < k.Count; base += chunk {
		m := min(chunk, k.Count-base)
		copy(s[:m], k.seeds[base:base+m])
		for j := 0; j < m; j++ {
			t[j], v[j] = uint64(b), 0
		}
		for l := 0; l < n; l++ {
			shift := uint(n - 1 - l)
			x := xs[base : base+m]
			for j := range in[:m] {
				in[j] = block{s[j].lo ^ x[j]>>shift&1, s[j].hi}
			}
			p.mmoBlocks(c[:m], in[:m])
			cws := k.cws[l*k.Count+base : l*k.Count+base+m]
			for j, w := range cws {
				dir := x[j] >> shift & 1
				cj := c[j]
				tm := -t[j] // all ones when t = 1
				v[j] ^= cj.lo>>1&1 ^ t[j]&(w.lo>>2)&1
				s[j] = block{(cj.lo ^ w.lo&tm) & seedMask, cj.hi ^ w.hi&tm}
				t[j] = cj.lo&1 ^ t[j]&(w.lo>>dir)&1
			}
		}
		for j := 0; j < m; j++ {
			out[base+j] = uint8((v[j] ^ convert(s[j]) ^ t[j]&uint64(k.final[base+j])) & 1)
		}
	}
}

// mmoBlocks is mmo over seed blocks, viewed in place as bytes (little-
// endian hosts; others convert).
func (p *PRG) mmoBlocks(dst, src []block) {
	if len(src) == 0 {
		return
	}
	if !littleEndian() {
		in, out := make([]byte, 16*len(src)), make([]byte, 16*len(src))
		for i, b := range src {
			binary.LittleEndian.PutUint64(in[16*i:], b.lo)
			binary.LittleEndian.PutUint64(in[16*i+8:], b.hi)
		}
		p.mmo(out, in)
		for i := range dst {
			dst[i] = block{binary.LittleEndian.Uint64(out[16*i:]), binary.LittleEndian.Uint64(out[16*i+8:])}
		}
		return
	}
	p.mmo(blockBytes(dst), blockBytes(src))
}

// blockBytes views blocks as their 16-byte little-endian encodings.
func blockBytes(v []block) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(v))), 16*len(v))
}

func littleEndian() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}
