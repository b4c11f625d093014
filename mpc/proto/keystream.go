package proto

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"unsafe"
)

// keystream is AES-128-CTR from a zero counter under a per-use key, read
// as little-endian 64-bit words: word p is bytes [8p, 8p+8) of the stream.
// The dealer expands it sequentially at AES-CTR speed; a party reads any
// single word with one block encryption. It carries a party's share of a
// truth table in 16 bytes instead of the table.
type keystream struct{ block cipher.Block }

func newKeystream(key []byte) keystream {
	b, err := aes.NewCipher(key)
	if err != nil {
		panic(err) // keys are always 16 bytes
	}
	return keystream{b}
}

// word returns word p.
func (k keystream) word(p uint64) uint64 {
	var ctr, out [16]byte
	binary.BigEndian.PutUint64(ctr[8:], p/2)
	k.block.Encrypt(out[:], ctr[:])
	return binary.LittleEndian.Uint64(out[(p%2)*8:])
}

// fill writes words [from, from+len(dst)) of the stream (from even).
func (k keystream) fill(dst []uint64, from uint64) {
	if len(dst) == 0 {
		return
	}
	var iv [16]byte
	binary.BigEndian.PutUint64(iv[8:], from/2)
	b := wordBytes(dst)
	clear(b)
	cipher.NewCTR(k.block, iv[:]).XORKeyStream(b, b)
	if !littleEndian() {
		for i, v := range dst {
			dst[i] = binary.LittleEndian.Uint64(b[8*i:])
			_ = v
		}
	}
}

// wordBytes views a word slice as its bytes (no copy).
func wordBytes(v []uint64) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(v))), 8*len(v))
}

// littleEndian reports the host byte order.
func littleEndian() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}
