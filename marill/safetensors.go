package marill

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"sort"

	"github.com/marill-go/marill/mpc"
)

// The safetensors format (https://huggingface.co/docs/safetensors): an
// 8-byte little-endian header length N, N bytes of JSON mapping each tensor
// name to {"dtype", "shape", "data_offsets": [begin, end]} (offsets into
// the data section that follows) plus an optional "__metadata__" map of
// strings, then the raw little-endian tensor data.

// MaxSafetensorsHeader is the largest header accepted (the format's own
// limit is 100 MB).
const MaxSafetensorsHeader = 100 << 20

// dtypeSize is the element width of the dtypes the reader understands.
func dtypeSize(dtype string) (int, bool) {
	switch dtype {
	case "F64":
		return 8, true
	case "F32":
		return 4, true
	case "F16", "BF16":
		return 2, true
	}
	return 0, false
}

// otherDtypeSize covers dtypes that may appear in a checkpoint (index
// buffers, masks) and are only skipped.
func otherDtypeSize(dtype string) (int, bool) {
	switch dtype {
	case "I64", "U64":
		return 8, true
	case "I32", "U32":
		return 4, true
	case "I16", "U16":
		return 2, true
	case "I8", "U8", "BOOL", "F8_E4M3", "F8_E5M2":
		return 1, true
	}
	return 0, false
}

// TensorInfo describes one tensor of a safetensors file.
type TensorInfo struct {
	Name  string
	DType string
	Shape []int
	begin int64
	end   int64
}

// Safetensors is an open safetensors file. Tensors are read on demand.
type Safetensors struct {
	Metadata map[string]string
	tensors  map[string]TensorInfo
	r        io.ReaderAt
	data     int64 // offset of the data section
	closer   io.Closer
}

// OpenSafetensors opens and validates a safetensors file.
func OpenSafetensors(path string) (*Safetensors, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("marill: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("marill: %w", err)
	}
	s, err := ReadSafetensors(f, st.Size())
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%w (file %s)", err, path)
	}
	s.closer = f
	return s, nil
}

// ReadSafetensors validates the header of a safetensors image of the given
// size: the header must be valid JSON within bounds, every tensor's dtype
// known, its offsets inside the data section and consistent with its shape,
// and the tensors must tile the data section without gaps or overlaps.
func ReadSafetensors(r io.ReaderAt, size int64) (*Safetensors, error) {
	if size < 8 {
		return nil, fmt.Errorf("marill: safetensors: %d bytes is too short for the 8-byte header length", size)
	}
	var lb [8]byte
	if _, err := r.ReadAt(lb[:], 0); err != nil {
		return nil, fmt.Errorf("marill: safetensors: reading header length: %w", err)
	}
	n := binary.LittleEndian.Uint64(lb[:])
	if n > MaxSafetensorsHeader {
		return nil, fmt.Errorf("marill: safetensors: header length %d exceeds the %d-byte limit", n, MaxSafetensorsHeader)
	}
	if int64(n) > size-8 {
		return nil, fmt.Errorf("marill: safetensors: header length %d runs past the end of the %d-byte file", n, size)
	}
	hdr := make([]byte, n)
	if _, err := r.ReadAt(hdr, 8); err != nil {
		return nil, fmt.Errorf("marill: safetensors: reading header: %w", err)
	}
	var raw map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(hdr))
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("marill: safetensors: header is not a JSON object: %w", err)
	}
	if rest := bytes.TrimRight(hdr[dec.InputOffset():], " \t\r\n"); len(rest) > 0 {
		return nil, fmt.Errorf("marill: safetensors: %d bytes of trailing data after the JSON header", len(rest))
	}
	s := &Safetensors{tensors: map[string]TensorInfo{}, r: r, data: 8 + int64(n)}
	dataLen := size - s.data
	var infos []TensorInfo
	for name, msg := range raw {
		if name == "__metadata__" {
			if err := json.Unmarshal(msg, &s.Metadata); err != nil {
				return nil, fmt.Errorf("marill: safetensors: __metadata__ must map strings to strings: %w", err)
			}
			continue
		}
		var t struct {
			DType   string  `json:"dtype"`
			Shape   []int64 `json:"shape"`
			Offsets []int64 `json:"data_offsets"`
		}
		if err := json.Unmarshal(msg, &t); err != nil {
			return nil, fmt.Errorf("marill: safetensors: tensor %q: %w", name, err)
		}
		width, ok := dtypeSize(t.DType)
		if !ok {
			width, ok = otherDtypeSize(t.DType)
		}
		if !ok {
			return nil, fmt.Errorf("marill: safetensors: tensor %q has unknown dtype %q", name, t.DType)
		}
		if len(t.Offsets) != 2 {
			return nil, fmt.Errorf("marill: safetensors: tensor %q needs data_offsets [begin, end], got %v", name, t.Offsets)
		}
		begin, end := t.Offsets[0], t.Offsets[1]
		if begin < 0 || end < begin || end > dataLen {
			return nil, fmt.Errorf("marill: safetensors: tensor %q offsets [%d, %d] are outside the %d-byte data section", name, begin, end, dataLen)
		}
		elems := int64(1)
		shape := make([]int, len(t.Shape))
		for i, d := range t.Shape {
			if d < 0 || (d > 0 && elems > math.MaxInt64/8/d) {
				return nil, fmt.Errorf("marill: safetensors: tensor %q has invalid shape %v", name, t.Shape)
			}
			elems *= d
			shape[i] = int(d)
		}
		if elems*int64(width) != end-begin {
			return nil, fmt.Errorf("marill: safetensors: tensor %q is %s %v (%d bytes) but its offsets span %d bytes", name, t.DType, t.Shape, elems*int64(width), end-begin)
		}
		info := TensorInfo{Name: name, DType: t.DType, Shape: shape, begin: begin, end: end}
		s.tensors[name] = info
		infos = append(infos, info)
	}
	sort.Slice(infos, func(i, j int) bool {
		if infos[i].begin != infos[j].begin {
			return infos[i].begin < infos[j].begin
		}
		return infos[i].end < infos[j].end
	})
	var pos int64
	for _, t := range infos {
		if t.begin != pos {
			if t.begin < pos {
				return nil, fmt.Errorf("marill: safetensors: tensor %q overlaps the tensor before it", t.Name)
			}
			return nil, fmt.Errorf("marill: safetensors: %d unindexed bytes before tensor %q", t.begin-pos, t.Name)
		}
		pos = t.end
	}
	if pos != dataLen {
		return nil, fmt.Errorf("marill: safetensors: the data section has %d bytes but the tensors cover %d", dataLen, pos)
	}
	return s, nil
}

// Close releases the file.
func (s *Safetensors) Close() error {
	if s.closer != nil {
		return s.closer.Close()
	}
	return nil
}

// Names lists the tensors in sorted order.
func (s *Safetensors) Names() []string {
	names := make([]string, 0, len(s.tensors))
	for n := range s.tensors {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Info describes a tensor.
func (s *Safetensors) Info(name string) (TensorInfo, bool) {
	t, ok := s.tensors[name]
	return t, ok
}

// Tensor reads a floating-point tensor, converting it to float64.
func (s *Safetensors) Tensor(name string) (*mpc.Dense, error) {
	t, ok := s.tensors[name]
	if !ok {
		return nil, fmt.Errorf("marill: safetensors: no tensor %q", name)
	}
	width, ok := dtypeSize(t.DType)
	if !ok {
		return nil, fmt.Errorf("marill: safetensors: tensor %q has dtype %s; only F64, F32, F16 and BF16 load as weights", name, t.DType)
	}
	buf := make([]byte, t.end-t.begin)
	if _, err := s.r.ReadAt(buf, s.data+t.begin); err != nil {
		return nil, fmt.Errorf("marill: safetensors: reading %q: %w", name, err)
	}
	n := len(buf) / width
	v := make([]float64, n)
	for i := range v {
		b := buf[i*width:]
		switch t.DType {
		case "F64":
			v[i] = math.Float64frombits(binary.LittleEndian.Uint64(b))
		case "F32":
			v[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(b)))
		case "BF16":
			v[i] = float64(math.Float32frombits(uint32(binary.LittleEndian.Uint16(b)) << 16))
		case "F16":
			v[i] = float64(halfToFloat32(binary.LittleEndian.Uint16(b)))
		}
		if math.IsNaN(v[i]) || math.IsInf(v[i], 0) {
			return nil, fmt.Errorf("marill: safetensors: tensor %q element %d is %g", name, i, v[i])
		}
	}
	shape := mpc.Shape(t.Shape)
	if len(shape) == 0 {
		shape = mpc.Shape{1}
	}
	return mpc.NewDense(shape, v)
}

// NamedTensor is a tensor to write.
type NamedTensor struct {
	Name   string
	Tensor *mpc.Dense
}

// WriteSafetensors writes tensors in the given dtype (F32, F16, BF16 or
// F64) with optional metadata, in the order given.
func WriteSafetensors(w io.Writer, tensors []NamedTensor, dtype string, meta map[string]string) error {
	width, ok := dtypeSize(dtype)
	if !ok {
		return fmt.Errorf("marill: safetensors: cannot write dtype %q (want F64, F32, F16 or BF16)", dtype)
	}
	type entry struct {
		DType   string  `json:"dtype"`
		Shape   []int   `json:"shape"`
		Offsets []int64 `json:"data_offsets"`
	}
	hdr := map[string]any{}
	if len(meta) > 0 {
		hdr["__metadata__"] = meta
	}
	var off int64
	seen := map[string]bool{}
	for _, t := range tensors {
		if t.Name == "__metadata__" || seen[t.Name] {
			return fmt.Errorf("marill: safetensors: duplicate or reserved tensor name %q", t.Name)
		}
		seen[t.Name] = true
		n := int64(t.Tensor.Len() * width)
		hdr[t.Name] = entry{DType: dtype, Shape: t.Tensor.Shape(), Offsets: []int64{off, off + n}}
		off += n
	}
	hb, err := json.Marshal(hdr)
	if err != nil {
		return fmt.Errorf("marill: safetensors: %w", err)
	}
	// Pad the header with spaces to a multiple of 8 bytes, as the reference
	// implementation does, so the data section is aligned.
	for len(hb)%8 != 0 {
		hb = append(hb, ' ')
	}
	var lb [8]byte
	binary.LittleEndian.PutUint64(lb[:], uint64(len(hb)))
	if _, err := w.Write(lb[:]); err != nil {
		return fmt.Errorf("marill: safetensors: %w", err)
	}
	if _, err := w.Write(hb); err != nil {
		return fmt.Errorf("marill: safetensors: %w", err)
	}
	buf := make([]byte, 0, 1<<16)
	for _, t := range tensors {
		for _, x := range t.Tensor.Data() {
			switch dtype {
			case "F64":
				buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(x))
			case "F32":
				buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(float32(x)))
			case "BF16":
				buf = binary.LittleEndian.AppendUint16(buf, float32ToBF16(float32(x)))
			case "F16":
				buf = binary.LittleEndian.AppendUint16(buf, float32ToHalf(float32(x)))
			}
			if len(buf) >= 1<<16-8 {
				if _, err := w.Write(buf); err != nil {
					return fmt.Errorf("marill: safetensors: %w", err)
				}
				buf = buf[:0]
			}
		}
	}
	if _, err := w.Write(buf); err != nil {
		return fmt.Errorf("marill: safetensors: %w", err)
	}
	return nil
}

// halfToFloat32 decodes IEEE 754 binary16.
func halfToFloat32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := int(h>>10) & 0x1f
	mant := uint32(h & 0x3ff)
	switch exp {
	case 0:
		if mant == 0 {
			return math.Float32frombits(sign)
		}
		// Subnormal: value = mant · 2^−24.
		f := float32(mant) * float32(math.Ldexp(1, -24))
		if sign != 0 {
			f = -f
		}
		return f
	case 0x1f:
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	}
	return math.Float32frombits(sign | uint32(exp-15+127)<<23 | mant<<13)
}

// float32ToHalf encodes binary16 with round-to-nearest-even; values beyond
// the half range become ±Inf.
func float32ToHalf(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int(b>>23&0xff) - 127 + 15
	mant := b & 0x7fffff
	if b&0x7fffffff > 0x7f800000 { // NaN
		return sign | 0x7e00
	}
	if exp >= 0x1f {
		return sign | 0x7c00
	}
	if exp <= 0 {
		if exp < -10 {
			return sign
		}
		mant |= 0x800000
		shift := uint(14 - exp)
		h := uint16(mant >> shift)
		rem := mant & (1<<shift - 1)
		halfway := uint32(1) << (shift - 1)
		if rem > halfway || (rem == halfway && h&1 == 1) {
			h++
		}
		return sign | h
	}
	h := sign | uint16(exp)<<10 | uint16(mant>>13)
	rem := mant & 0x1fff
	if rem > 0x1000 || (rem == 0x1000 && h&1 == 1) {
		h++ // may carry into the exponent, which is correct rounding
	}
	return h
}

// float32ToBF16 keeps the upper 16 bits with round-to-nearest-even.
func float32ToBF16(f float32) uint16 {
	b := math.Float32bits(f)
	if b&0x7fffffff > 0x7f800000 {
		return uint16(b>>16) | 0x40
	}
	b += 0x7fff + (b>>16)&1
	return uint16(b >> 16)
}
