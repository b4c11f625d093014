package fss

import (
	"encoding/binary"
	"fmt"
)

// AppendBinary appends the keys' wire form to b: N and Count as uvarints,
// then the seeds and the level-major correction words as little-endian
// 64-bit pairs, then the final bits packed eight to a byte. Its length is
// Bytes() plus the two uvarints.
func (k *DCFKeys) AppendBinary(b []byte) ([]byte, error) {
	if len(k.seeds) != k.Count || len(k.cws) != k.N*k.Count || len(k.final) != k.Count {
		return b, fmt.Errorf("fss: malformed keys (%d seeds, %d correction words, %d final bits for %d keys of %d bits)",
			len(k.seeds), len(k.cws), len(k.final), k.Count, k.N)
	}
	b = binary.AppendUvarint(b, uint64(k.N))
	b = binary.AppendUvarint(b, uint64(k.Count))
	for _, s := range k.seeds {
		b = binary.LittleEndian.AppendUint64(b, s.lo)
		b = binary.LittleEndian.AppendUint64(b, s.hi)
	}
	for _, c := range k.cws {
		b = binary.LittleEndian.AppendUint64(b, c.lo)
		b = binary.LittleEndian.AppendUint64(b, c.hi)
	}
	packed := make([]byte, (k.Count+7)/8)
	for i, f := range k.final {
		packed[i/8] |= (f & 1) << uint(i%8)
	}
	return append(b, packed...), nil
}

// ReadDCFKeys decodes keys written by AppendBinary from the front of b
// and returns the rest. It rejects widths outside 1..64, counts the data
// cannot hold, and truncated input, without allocating more than b
// justifies.
func ReadDCFKeys(b []byte) (*DCFKeys, []byte, error) {
	n, w := binary.Uvarint(b)
	if w <= 0 || n < 1 || n > 64 {
		return nil, b, fmt.Errorf("fss: malformed DCF keys: input width")
	}
	b = b[w:]
	count, w := binary.Uvarint(b)
	if w <= 0 {
		return nil, b, fmt.Errorf("fss: malformed DCF keys: key count")
	}
	b = b[w:]
	per := 16 * (n + 1) // bytes per key besides its final bit (packed)
	if count > uint64(len(b))/per {
		return nil, b, fmt.Errorf("fss: malformed DCF keys: %d keys do not fit in %d bytes", count, len(b))
	}
	c := int(count)
	need := 16*c*(int(n)+1) + (c+7)/8
	if len(b) < need {
		return nil, b, fmt.Errorf("fss: DCF keys truncated: %d bytes, want %d", len(b), need)
	}
	k := &DCFKeys{N: int(n), Count: c, seeds: make([]block, c), cws: make([]block, c*int(n)), final: make([]uint8, c)}
	read := func() block {
		v := block{binary.LittleEndian.Uint64(b), binary.LittleEndian.Uint64(b[8:])}
		b = b[16:]
		return v
	}
	for i := range k.seeds {
		k.seeds[i] = read()
	}
	for i := range k.cws {
		k.cws[i] = read()
	}
	for i := range k.final {
		k.final[i] = b[i/8] >> uint(i%8) & 1
	}
	return k, b[(c+7)/8:], nil
}
