package kernel

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"sync"
	"time"
)

// ProtocolVersion is the version of the Jupyter messaging protocol the
// kernel speaks.
const ProtocolVersion = "5.3"

// delimiter separates the routing identities of a message from its
// signed parts.
const delimiter = "<IDS|MSG>"

// Header is a message header. Every message carries its own, and replies
// and outputs carry the header of the request they answer as their parent.
type Header struct {
	MsgID    string `json:"msg_id"`
	Session  string `json:"session"`
	Username string `json:"username"`
	// Date is ISO 8601 with a time zone.
	Date    string `json:"date"`
	MsgType string `json:"msg_type"`
	Version string `json:"version"`
}

// Message is a Jupyter message as it travels over ZeroMQ:
//
//	identities… "<IDS|MSG>" signature header parent_header metadata content buffers…
//
// The four JSON parts are signed with HMAC-SHA256 under the connection's
// key, as hex. Identities route replies on ROUTER sockets; on IOPub the
// first frame is a topic.
type Message struct {
	Identities [][]byte
	Header     Header
	// ParentHeader, Metadata and Content are JSON objects.
	ParentHeader json.RawMessage
	Metadata     json.RawMessage
	Content      json.RawMessage
	Buffers      [][]byte

	// rawHeader is the header exactly as received, echoed as the parent of
	// replies (it may carry fields Header does not know).
	rawHeader json.RawMessage
}

// parent returns the header to put in the parent_header of a reply to m.
func (m *Message) parent() json.RawMessage {
	if m == nil {
		return json.RawMessage("{}")
	}
	if m.rawHeader != nil {
		return m.rawHeader
	}
	b, _ := json.Marshal(m.Header)
	return b
}

// Signer signs and verifies messages with a connection's key. A Signer
// with an empty key signs nothing and accepts only empty signatures, as
// the protocol says for connections without authentication.
type Signer struct {
	key  []byte
	pool sync.Pool

	mu   sync.Mutex
	seen map[string]bool // recent signatures, to reject replays
	ring []string
	next int
}

// seenLimit is how many recent signatures the Signer remembers.
const seenLimit = 4096

// NewSigner returns a Signer for a connection file's key and
// signature_scheme. Only hmac-sha256 is supported (an empty scheme means
// it).
func NewSigner(scheme, key string) (*Signer, error) {
	if scheme != "" && scheme != "hmac-sha256" {
		return nil, fmt.Errorf("kernel: signature scheme %q is not supported (only hmac-sha256)", scheme)
	}
	s := &Signer{key: []byte(key), seen: map[string]bool{}, ring: make([]string, seenLimit)}
	s.pool.New = func() any { return hmac.New(sha256.New, s.key) }
	return s, nil
}

// Sign returns the hex HMAC-SHA256 of the four signed parts.
func (s *Signer) Sign(header, parent, metadata, content []byte) string {
	if len(s.key) == 0 {
		return ""
	}
	h := s.pool.Get().(hash.Hash)
	defer s.pool.Put(h)
	h.Reset()
	h.Write(header)
	h.Write(parent)
	h.Write(metadata)
	h.Write(content)
	return hex.EncodeToString(h.Sum(nil))
}

// Errors of Decode.
var (
	ErrBadSignature = errors.New("kernel: bad message signature")
	ErrReplay       = errors.New("kernel: message signature seen before (a replay)")
)

// Decode parses and verifies a message's frames. A message whose
// signature does not match, or repeats a recent one, is an error
// (ErrBadSignature, ErrReplay).
func (s *Signer) Decode(frames [][]byte) (*Message, error) {
	i := 0
	for i < len(frames) && string(frames[i]) != delimiter {
		i++
	}
	if i == len(frames) {
		return nil, fmt.Errorf("kernel: message without the %s delimiter", delimiter)
	}
	if len(frames) < i+6 {
		return nil, fmt.Errorf("kernel: message has %d frames after the delimiter, want at least 5", len(frames)-i-1)
	}
	sig, parts := frames[i+1], frames[i+2:i+6]
	want := s.Sign(parts[0], parts[1], parts[2], parts[3])
	if !hmac.Equal(sig, []byte(want)) {
		return nil, ErrBadSignature
	}
	if want != "" && !s.remember(want) {
		return nil, ErrReplay
	}
	m := &Message{
		Identities:   frames[:i],
		rawHeader:    json.RawMessage(parts[0]),
		ParentHeader: json.RawMessage(parts[1]),
		Metadata:     json.RawMessage(parts[2]),
		Content:      json.RawMessage(parts[3]),
		Buffers:      frames[i+6:],
	}
	if err := json.Unmarshal(parts[0], &m.Header); err != nil {
		return nil, fmt.Errorf("kernel: message header: %w", err)
	}
	if m.Header.MsgType == "" {
		return nil, errors.New("kernel: message header has no msg_type")
	}
	return m, nil
}

// remember records a signature; false if it was seen recently.
func (s *Signer) remember(sig string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.seen[sig] {
		return false
	}
	if old := s.ring[s.next]; old != "" {
		delete(s.seen, old)
	}
	s.ring[s.next] = sig
	s.next = (s.next + 1) % len(s.ring)
	s.seen[sig] = true
	return true
}

// Encode returns a message's frames, signed.
func (s *Signer) Encode(m *Message) ([][]byte, error) {
	header := m.rawHeader
	if header == nil {
		var err error
		if header, err = json.Marshal(m.Header); err != nil {
			return nil, fmt.Errorf("kernel: %w", err)
		}
	}
	parts := [4][]byte{header, orEmpty(m.ParentHeader), orEmpty(m.Metadata), orEmpty(m.Content)}
	frames := make([][]byte, 0, len(m.Identities)+6+len(m.Buffers))
	frames = append(frames, m.Identities...)
	frames = append(frames, []byte(delimiter), []byte(s.Sign(parts[0], parts[1], parts[2], parts[3])))
	frames = append(frames, parts[:]...)
	return append(frames, m.Buffers...), nil
}

func orEmpty(b json.RawMessage) []byte {
	if len(bytes.TrimSpace(b)) == 0 {
		return []byte("{}")
	}
	return b
}

// newID returns a random UUID (version 4) for messages and sessions.
func newID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// timestamp is the header date format (ISO 8601, UTC, microseconds).
func timestamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000Z") }
