package proto

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	"github.com/marill-go/marill/mpc/fss"
	"github.com/marill-go/marill/mpc/transport"
)

// Material on the wire: when the dealer is its own process, each item it
// produces travels to its party as one offline frame:
//
//	uvarint  declared size (the bytes the item accounts for; see Material)
//	byte     kind (open, trunc, mul, matmul, cmp, select, lookup, weight)
//	fields   vectors of words as uvarint(len+1) then little-endian words
//	         (len+1 = 0 encodes "absent"); bit vectors packed eight to a
//	         byte; DCF keys as fss writes them
//
// Decoding checks every length against the bytes present before
// allocating and rejects trailing bytes, unknown kinds and items of the
// wrong shape with an error naming the problem.

const (
	kindOpen byte = iota + 1
	kindTrunc
	kindMul
	kindMatMul
	kindCmp
	kindSelect
	kindLookupClient
	kindLookupServer
	kindWeightClient
	kindWeightServer
)

// EncodeMaterial appends the wire form of a dealer item, with the size it
// accounts for, to b.
func EncodeMaterial(b []byte, item any, declared int64) ([]byte, error) {
	if declared < 0 {
		return b, fmt.Errorf("proto: material of negative size %d", declared)
	}
	b = binary.AppendUvarint(b, uint64(declared))
	switch m := item.(type) {
	case openMat:
		b = appendWords(append(b, kindOpen), m.r)
	case truncMat:
		b = appendWords(appendWords(append(b, kindTrunc), m.rk), m.msb)
	case mulMat:
		b = appendWords(append(b, kindMul), m.rxy)
	case matMat:
		b = appendWords(append(b, kindMatMul), m.rxy)
	case cmpMat:
		var err error
		if b, err = m.keys.AppendBinary(append(b, kindCmp)); err != nil {
			return b, err
		}
		b = appendBits(b, m.msb)
	case selMat:
		b = appendWords(appendWords(appendBits(append(b, kindSelect), m.rho), m.rhoA), m.rxRho)
	case lutMat:
		if m.tabs != nil {
			b = appendWords(appendWords(append(b, kindLookupServer), m.rl), m.tabs)
		} else {
			b = appendBytes(appendWords(append(b, kindLookupClient), m.rl), m.key)
		}
	case weightClientMat:
		b = appendWords(appendWords(append(b, kindWeightClient), m.a), m.c0)
	case weightServerMat:
		b = appendWords(appendWords(append(b, kindWeightServer), m.b), m.c1)
	default:
		return b, fmt.Errorf("proto: no wire form for material %T", item)
	}
	return b, nil
}

// DecodeMaterial reads one item written by EncodeMaterial.
func DecodeMaterial(b []byte) (item any, declared int64, err error) {
	d, w := binary.Uvarint(b)
	if w <= 0 || d > 1<<62 {
		return nil, 0, errors.New("proto: malformed material: size")
	}
	b = b[w:]
	if len(b) == 0 {
		return nil, 0, errors.New("proto: malformed material: no kind")
	}
	kind := b[0]
	r := &reader{b: b[1:]}
	switch kind {
	case kindOpen:
		item = openMat{r.words()}
	case kindTrunc:
		item = truncMat{r.words(), r.words()}
	case kindMul:
		item = mulMat{r.words()}
	case kindMatMul:
		item = matMat{r.words()}
	case kindCmp:
		keys, rest, err := fss.ReadDCFKeys(r.b)
		if err != nil {
			return nil, 0, fmt.Errorf("proto: malformed material: %w", err)
		}
		r.b = rest
		item = cmpMat{keys, r.bits()}
	case kindSelect:
		item = selMat{rho: r.bits(), rhoA: r.words(), rxRho: r.words()}
	case kindLookupClient:
		item = lutMat{rl: r.words(), key: r.bytes()}
	case kindLookupServer:
		item = lutMat{rl: r.words(), tabs: r.words()}
	case kindWeightClient:
		item = weightClientMat{r.words(), r.words()}
	case kindWeightServer:
		item = weightServerMat{r.words(), r.words()}
	default:
		return nil, 0, fmt.Errorf("proto: malformed material: unknown kind %d", kind)
	}
	if r.err != nil {
		return nil, 0, r.err
	}
	if len(r.b) != 0 {
		return nil, 0, fmt.Errorf("proto: malformed material: %d trailing bytes", len(r.b))
	}
	if err := checkShape(item); err != nil {
		return nil, 0, err
	}
	return item, int64(d), nil
}

// checkShape rejects items whose parts disagree in length, so a party
// never indexes past a vector a malicious or broken dealer shortened.
func checkShape(item any) error {
	bad := func(what string) error { return fmt.Errorf("proto: malformed material: %s", what) }
	switch m := item.(type) {
	case truncMat:
		if len(m.rk) != len(m.msb) {
			return bad("truncation pair lengths differ")
		}
	case cmpMat:
		if m.keys.Count != len(m.msb) {
			return bad("comparison keys and mask bits differ in count")
		}
	case selMat:
		if len(m.rho) != len(m.rhoA) || (m.rxRho != nil && len(m.rxRho) != len(m.rho)) {
			return bad("selection vectors differ in length")
		}
	case lutMat:
		if m.key != nil && len(m.key) != 16 {
			return bad("keystream key is not 16 bytes")
		}
		if m.tabs == nil && m.key == nil {
			return bad("lookup with neither tables nor key")
		}
		if m.tabs != nil && len(m.rl) > 0 && len(m.tabs)%len(m.rl) != 0 {
			return bad("lookup tables do not divide into the elements")
		}
	}
	return nil
}

func appendWords(b []byte, v []uint64) []byte {
	if v == nil {
		return binary.AppendUvarint(b, 0)
	}
	b = binary.AppendUvarint(b, uint64(len(v))+1)
	if littleEndian() {
		return append(b, wordBytes(v)...)
	}
	for _, x := range v {
		b = binary.LittleEndian.AppendUint64(b, x)
	}
	return b
}

func appendBits(b []byte, v []uint8) []byte {
	if v == nil {
		return binary.AppendUvarint(b, 0)
	}
	b = binary.AppendUvarint(b, uint64(len(v))+1)
	packed := make([]byte, (len(v)+7)/8)
	for i, x := range v {
		packed[i/8] |= (x & 1) << uint(i%8)
	}
	return append(b, packed...)
}

func appendBytes(b []byte, v []byte) []byte {
	if v == nil {
		return binary.AppendUvarint(b, 0)
	}
	return append(binary.AppendUvarint(b, uint64(len(v))+1), v...)
}

// reader decodes vectors, remembering the first error.
type reader struct {
	b   []byte
	err error
}

// length reads a vector's length (ok false for an absent vector) and
// checks that size bytes per element are present.
func (r *reader) length(size float64) (int, bool) {
	if r.err != nil {
		return 0, false
	}
	n, w := binary.Uvarint(r.b)
	if w <= 0 {
		r.err = errors.New("proto: malformed material: vector length")
		return 0, false
	}
	r.b = r.b[w:]
	if n == 0 {
		return 0, false
	}
	n--
	if float64(n)*size > float64(len(r.b))+1 {
		r.err = fmt.Errorf("proto: malformed material: a vector of %d elements in %d bytes", n, len(r.b))
		return 0, false
	}
	return int(n), true
}

func (r *reader) words() []uint64 {
	n, ok := r.length(8)
	if !ok {
		return nil
	}
	if len(r.b) < 8*n {
		r.err = errors.New("proto: malformed material: truncated words")
		return nil
	}
	v := make([]uint64, n)
	if littleEndian() {
		copy(wordBytes(v), r.b)
	} else {
		for i := range v {
			v[i] = binary.LittleEndian.Uint64(r.b[8*i:])
		}
	}
	r.b = r.b[8*n:]
	return v
}

func (r *reader) bits() []uint8 {
	n, ok := r.length(1.0 / 8)
	if !ok {
		return nil
	}
	nb := (n + 7) / 8
	if len(r.b) < nb {
		r.err = errors.New("proto: malformed material: truncated bits")
		return nil
	}
	v := make([]uint8, n)
	for i := range v {
		v[i] = r.b[i/8] >> uint(i%8) & 1
	}
	r.b = r.b[nb:]
	return v
}

func (r *reader) bytes() []byte {
	n, ok := r.length(1)
	if !ok {
		return nil
	}
	if len(r.b) < n {
		r.err = errors.New("proto: malformed material: truncated bytes")
		return nil
	}
	v := append([]byte(nil), r.b[:n]...)
	r.b = r.b[n:]
	return v
}

// Sender is the dealer's Material when the dealer is its own process: Put
// encodes each item and sends it to its party as an offline frame over
// that party's link. The links' backpressure (transport.StreamOptions
// MaxQueued) keeps the dealer at most a bounded amount ahead of the
// parties, so key material is produced and consumed as the run goes.
type Sender struct {
	mu    sync.Mutex
	conns [2]transport.Conn
	bytes [2]int64
	buf   []byte
}

var _ Material = (*Sender)(nil)

// NewSender returns the dealer's Material over links to the client and to
// the server. Traffic on them counts as offline.
func NewSender(client, server transport.Conn) *Sender {
	client.Meter().SetPhase(transport.Offline)
	server.Meter().SetPhase(transport.Offline)
	return &Sender{conns: [2]transport.Conn{client, server}}
}

// Put sends an item to its party.
func (s *Sender) Put(to Role, item any, bytes int64) error {
	if to > Server {
		return fmt.Errorf("proto: material for %v", to)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := EncodeMaterial(s.buf[:0], item, bytes)
	if err != nil {
		return err
	}
	s.buf = b
	if err := s.conns[to].Send(b); err != nil {
		return fmt.Errorf("proto: sending material to the %v: %w", to, err)
	}
	s.bytes[to] += bytes
	return nil
}

// Take is not available to the dealer.
func (s *Sender) Take(r Role) (any, error) {
	return nil, fmt.Errorf("proto: the dealer's material sender has nothing to take")
}

// Bytes is the size of the material sent to r so far.
func (s *Sender) Bytes(r Role) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r > Server {
		return 0
	}
	return s.bytes[r]
}

// Receiver is a party's Material when the dealer is its own process: Take
// reads the next item from the dealer's link.
type Receiver struct {
	mu    sync.Mutex
	conn  transport.Conn
	role  Role
	bytes int64
}

var _ Material = (*Receiver)(nil)

// NewReceiver returns role's Material over its link from the dealer.
func NewReceiver(role Role, conn transport.Conn) (*Receiver, error) {
	if role > Server {
		return nil, fmt.Errorf("proto: only the client and the server receive material, not the %v", role)
	}
	conn.Meter().SetPhase(transport.Offline)
	return &Receiver{conn: conn, role: role}, nil
}

// Put is not available to a party.
func (r *Receiver) Put(Role, any, int64) error {
	return fmt.Errorf("proto: the %v cannot produce material", r.role)
}

// Take receives and decodes the next item.
func (r *Receiver) Take(role Role) (any, error) {
	if role != r.role {
		return nil, fmt.Errorf("proto: the %v's material receiver asked for the %v's", r.role, role)
	}
	b, err := r.conn.Recv()
	if err != nil {
		return nil, fmt.Errorf("proto: material from the dealer: %w", err)
	}
	item, declared, err := DecodeMaterial(b)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.bytes += declared
	r.mu.Unlock()
	return item, nil
}

// Bytes is the size of the material received so far (0 for the other
// party).
func (r *Receiver) Bytes(role Role) int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	if role != r.role {
		return 0
	}
	return r.bytes
}
