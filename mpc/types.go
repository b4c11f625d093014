package mpc

import (
	"fmt"
	"strconv"
	"strings"
)

// Visibility says who can see a tensor's values in the clear.
type Visibility uint8

const (
	// Public values are known to both parties: architecture constants and
	// the public pretrained weights.
	Public Visibility = iota
	// Client values are known only to the client (P0): the prompt and the
	// hidden states of frozen layers the client runs in plaintext.
	Client
	// Server values are known only to the server (P1): its fine-tuned
	// weights (private layers, LoRA adapters, the task head).
	Server
	// Shared values are additively secret-shared between the two parties;
	// neither sees them in the clear.
	Shared
)

var visibilityNames = [...]string{"public", "client", "server", "shared"}

func (v Visibility) String() string {
	if int(v) < len(visibilityNames) {
		return visibilityNames[v]
	}
	return "Visibility(" + strconv.Itoa(int(v)) + ")"
}

// Placement says who computes an operation and whether it needs interaction.
type Placement uint8

const (
	// OnPublic: every operand is public; both parties compute it locally.
	OnPublic Placement = iota
	// OnClient: the client computes it in plaintext (frozen layers).
	OnClient
	// OnServer: the server computes it in plaintext.
	OnServer
	// OnShares: each party computes locally on its shares (secret × public,
	// additions); no messages.
	OnShares
	// Interactive: the parties run an MPC protocol and exchange messages.
	Interactive
)

var placementNames = [...]string{"public", "client", "server", "local", "mpc"}

func (p Placement) String() string {
	if int(p) < len(placementNames) {
		return placementNames[p]
	}
	return "Placement(" + strconv.Itoa(int(p)) + ")"
}

// ParsePlacement is the inverse of Placement.String.
func ParsePlacement(s string) (Placement, error) {
	for i, n := range placementNames {
		if n == s {
			return Placement(i), nil
		}
	}
	return 0, fmt.Errorf("mpc: unknown placement %q (want one of %s)", s, strings.Join(placementNames[:], ", "))
}

// GeLUKind selects the GeLU form. The zero value is "unset": models resolve
// it to their native form, engines reject it.
type GeLUKind uint8

const (
	GeLUUnset GeLUKind = iota
	// GeLUExact is x·Φ(x) (BERT's erf form).
	GeLUExact
	// GeLUTanh is 0.5x(1+tanh(√(2/π)(x+0.044715x³))) (GPT-2's "gelu_new").
	GeLUTanh
	// GeLUQuad is MPCFormer's replacement 0.125x² + 0.25x + 0.5.
	GeLUQuad
	// GeLUReLU replaces GeLU by max(x, 0).
	GeLUReLU
)

var geluNames = [...]string{"unset", "exact", "tanh", "quad", "relu"}

func (k GeLUKind) String() string { return kindName(geluNames[:], int(k), "GeLUKind") }

// ParseGeLUKind is the inverse of GeLUKind.String.
func ParseGeLUKind(s string) (GeLUKind, error) {
	i, err := parseKind(geluNames[:], s, "GeLU")
	return GeLUKind(i), err
}

// SoftmaxKind selects the attention normalisation.
type SoftmaxKind uint8

const (
	SoftmaxUnset SoftmaxKind = iota
	// SoftmaxExact is exp(x−max)/Σexp(x−max).
	SoftmaxExact
	// Softmax2Quad is MPCFormer's (x+c)²/Σ(x+c)², c = 5.
	Softmax2Quad
	// Softmax2ReLU is MPCFormer's (ReLU(x)+ε/n)/(ΣReLU(x)+ε).
	Softmax2ReLU
)

var softmaxNames = [...]string{"unset", "exact", "2quad", "2relu"}

func (k SoftmaxKind) String() string { return kindName(softmaxNames[:], int(k), "SoftmaxKind") }

// ParseSoftmaxKind is the inverse of SoftmaxKind.String.
func ParseSoftmaxKind(s string) (SoftmaxKind, error) {
	i, err := parseKind(softmaxNames[:], s, "softmax")
	return SoftmaxKind(i), err
}

// SiLUKind selects the SiLU (swish) form used by LLaMA's gated FFN.
type SiLUKind uint8

const (
	SiLUUnset SiLUKind = iota
	// SiLUExact is x·σ(x).
	SiLUExact
	// SiLUQuad is MPCFormer's Quad 0.125x² + 0.25x + 0.5 used as a
	// distillation-recovered replacement, as for GeLU.
	SiLUQuad
	// SiLUReLU replaces SiLU by max(x, 0).
	SiLUReLU
)

var siluNames = [...]string{"unset", "exact", "quad", "relu"}

func (k SiLUKind) String() string { return kindName(siluNames[:], int(k), "SiLUKind") }

// ParseSiLUKind is the inverse of SiLUKind.String.
func ParseSiLUKind(s string) (SiLUKind, error) {
	i, err := parseKind(siluNames[:], s, "SiLU")
	return SiLUKind(i), err
}

// TwoQuadC is the constant c of MPCFormer's 2Quad softmax.
const TwoQuadC = 5.0

// TwoReLUEps is the ε of MPCFormer's 2ReLU softmax.
const TwoReLUEps = 1e-12

func kindName(names []string, i int, typ string) string {
	if i >= 0 && i < len(names) {
		return names[i]
	}
	return typ + "(" + strconv.Itoa(i) + ")"
}

func parseKind(names []string, s, what string) (int, error) {
	for i, n := range names[1:] {
		if strings.EqualFold(n, s) {
			return i + 1, nil
		}
	}
	return 0, fmt.Errorf("mpc: unknown %s kind %q (want one of %s)", what, s, strings.Join(names[1:], ", "))
}

// Shape is a tensor's dimensions, outermost first. Engines use rank 1 to 3:
// vectors, [rows, cols] matrices and [heads, rows, cols] batches.
type Shape []int

// Size is the number of elements.
func (s Shape) Size() int {
	n := 1
	for _, d := range s {
		n *= d
	}
	return n
}

// Equal reports whether two shapes are identical.
func (s Shape) Equal(t Shape) bool {
	if len(s) != len(t) {
		return false
	}
	for i := range s {
		if s[i] != t[i] {
			return false
		}
	}
	return true
}

// Clone returns a copy.
func (s Shape) Clone() Shape { return append(Shape(nil), s...) }

// Rows is the size of the second-to-last dimension (1 for vectors).
func (s Shape) Rows() int {
	if len(s) < 2 {
		return 1
	}
	return s[len(s)-2]
}

// Cols is the size of the last dimension.
func (s Shape) Cols() int {
	if len(s) == 0 {
		return 1
	}
	return s[len(s)-1]
}

func (s Shape) String() string {
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = strconv.Itoa(d)
	}
	return "[" + strings.Join(parts, "×") + "]"
}

// Validate reports a shape with no dimensions or a non-positive dimension.
func (s Shape) Validate() error {
	if len(s) == 0 {
		return fmt.Errorf("mpc: empty shape")
	}
	for _, d := range s {
		if d <= 0 {
			return fmt.Errorf("mpc: shape %v has a non-positive dimension", s)
		}
	}
	return nil
}

// MarshalText writes the kind's name.
func (k GeLUKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText parses a kind name ("unset" included).
func (k *GeLUKind) UnmarshalText(b []byte) error {
	if string(b) == "unset" || len(b) == 0 {
		*k = GeLUUnset
		return nil
	}
	v, err := ParseGeLUKind(string(b))
	*k = v
	return err
}

// MarshalText writes the kind's name.
func (k SoftmaxKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText parses a kind name ("unset" included).
func (k *SoftmaxKind) UnmarshalText(b []byte) error {
	if string(b) == "unset" || len(b) == 0 {
		*k = SoftmaxUnset
		return nil
	}
	v, err := ParseSoftmaxKind(string(b))
	*k = v
	return err
}

// MarshalText writes the kind's name.
func (k SiLUKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText parses a kind name ("unset" included).
func (k *SiLUKind) UnmarshalText(b []byte) error {
	if string(b) == "unset" || len(b) == 0 {
		*k = SiLUUnset
		return nil
	}
	v, err := ParseSiLUKind(string(b))
	*k = v
	return err
}
