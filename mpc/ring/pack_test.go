package ring

import (
	"math/rand/v2"
	"testing"
)

func TestPackRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	for bits := 1; bits <= 64; bits++ {
		for _, n := range []int{0, 1, 2, 7, 8, 9, 63, 64, 65, 1000} {
			v := make([]uint64, n)
			for i := range v {
				v[i] = r.Uint64()
			}
			prefix := []byte{0xAA, 0xBB}
			b := Pack(prefix, v, bits)
			if b[0] != 0xAA || b[1] != 0xBB {
				t.Fatalf("bits=%d n=%d: Pack changed the bytes it appends to", bits, n)
			}
			b = b[2:]
			if len(b) != PackedLen(n, bits) {
				t.Fatalf("bits=%d n=%d: %d bytes, want %d", bits, n, len(b), PackedLen(n, bits))
			}
			got := make([]uint64, n)
			if err := Unpack(got, b, bits); err != nil {
				t.Fatal(err)
			}
			for i := range v {
				if got[i] != v[i]&Mask(bits) {
					t.Fatalf("bits=%d n=%d: value %d = %#x, want %#x", bits, n, i, got[i], v[i]&Mask(bits))
				}
			}
		}
	}
	if err := Unpack(make([]uint64, 3), []byte{1}, 7); err == nil {
		t.Errorf("a short buffer must be refused")
	}
}
