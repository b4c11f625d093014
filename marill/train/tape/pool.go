package tape

import "math/bits"

// pool recycles float64 buffers between passes: a training run does the
// same passes thousands of times, and reusing their buffers keeps the
// garbage collector out of the inner loop. Buffers are kept by power-of-
// two capacity class, at most poolDepth per class.
type pool struct {
	free [64][][]float64
}

const poolDepth = 256

func class(n int) int {
	if n <= 1 {
		return 0
	}
	return bits.Len(uint(n - 1))
}

// get returns a buffer of length n with undefined contents.
func (p *pool) get(n int) []float64 {
	c := class(n)
	if l := len(p.free[c]); l > 0 {
		b := p.free[c][l-1]
		p.free[c][l-1] = nil
		p.free[c] = p.free[c][:l-1]
		return b[:n]
	}
	return make([]float64, n, 1<<c)
}

// zeros returns a zeroed buffer of length n.
func (p *pool) zeros(n int) []float64 {
	b := p.get(n)
	clear(b)
	return b
}

// put gives a buffer back.
func (p *pool) put(b []float64) {
	if cap(b) == 0 {
		return
	}
	c := class(cap(b))
	if 1<<c != cap(b) || len(p.free[c]) >= poolDepth {
		return // not one of ours, or the class is full
	}
	p.free[c] = append(p.free[c], b[:0])
}
