package deploy

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/marill-go/marill/marill"
	"github.com/marill-go/marill/mpc/fxp"
	"github.com/marill-go/marill/mpc/transport"
)

// ProtocolVersion is what the parties announce in their handshake hello.
// It changes whenever a change in this build would make two parties
// exchange different bytes for the same run (the protocols, the material's
// wire form, this package's start and done messages), so that two builds
// that cannot run together refuse each other up front.
const ProtocolVersion = "marill-go/2pc-dealer/1"

// Protocol is the only protocol the parties run: two-party computation
// with a trusted dealer (package mpc/secure).
const Protocol = "2pc-dealer"

// Spec is a run description: what the three parties must agree on before
// they compute. All of it is public, and a Spec holds nothing private —
// the server's weights, the client's prompt and the dealer's seed are
// given to RunServer, RunClient and RunDealer through Options — so the
// same file can be copied to every host.
//
// Its JSON form, e.g.
//
//	{"model": "tiny-bert", "seq_len": 8,
//	 "knobs": {"freeze_layers": 1, "lora_rank": 2, "merge_heads": 2},
//	 "pretrained": {"seed": 42}, "idle_timeout": "5s"}
//
// is read by ParseSpec. Resolve checks it and fills in defaults; Public
// is the canonical form the handshake hashes.
type Spec struct {
	// Model is a preset name (marill.Preset: "bert-base", "tiny-gpt2",
	// ...). Config, when set, gives the shape in full instead.
	Model  string         `json:"model,omitempty"`
	Config *marill.Config `json:"config,omitempty"`
	// Layers, when positive, keeps the bottom Layers blocks of the model
	// (a quick way to run one block of a large model).
	Layers int `json:"layers,omitempty"`
	// SeqLen is the prompt length: public, and the client's prompt must
	// have exactly this many tokens. 0 keeps the config's.
	SeqLen int `json:"seq_len,omitempty"`
	// Knobs are the fine-tuning choices (freezing, LoRA, head merging,
	// approximations). Their Seed and Perturb make the server's private
	// weights and do not belong here: give them to the server alone
	// (Weights), or Resolve refuses the description.
	Knobs marill.Knobs `json:"knobs"`
	// Pretrained names the public pretrained weights every party builds
	// the model from.
	Pretrained Pretrained `json:"pretrained"`
	// Numerics are the fixed-point parameters (zero: fxp.Default()).
	Numerics fxp.Params `json:"numerics"`
	// Protocol must be "2pc-dealer" (the default).
	Protocol string `json:"protocol,omitempty"`
	// IdleTimeout is how long a party waits for a silent peer before it
	// gives up (transport.StreamOptions.IdleTimeout; 0: 5 s). Every party
	// must use the same value (each sends keepalives at a third of it),
	// so it is part of the description.
	IdleTimeout Duration `json:"idle_timeout,omitempty"`
	// Preload runs the offline phase first: the parties receive all of
	// the dealer's material, and only then start the online phase
	// together, so that its time is measured alone (what the simulator
	// estimates). It costs the whole material's size in each party's
	// memory. Without it the dealer streams material as the run needs
	// it, a bounded amount ahead.
	Preload bool `json:"preload,omitempty"`
}

// Pretrained names the public pretrained weights: a seed (weights drawn
// by marill.NewPretrained) or a published checkpoint
// (marill.LoadPretrained; the seed then fills in missing task heads).
type Pretrained struct {
	Seed uint64 `json:"seed"`
	// Checkpoint is the checkpoint's path on this host. Paths differ
	// between hosts, so only the file's SHA-256 is part of the run.
	Checkpoint string `json:"checkpoint,omitempty"`
	// SHA256 is the checkpoint's hex SHA-256. A party that has the file
	// checks it; the dealer, which needs no weights, may run without the
	// file when the digest is given. Empty: computed from the file.
	SHA256 string `json:"sha256,omitempty"`
}

// Duration is a time.Duration written in JSON as a Go duration string
// ("5s", "1m30s").
type Duration time.Duration

// MarshalText writes the duration as "5s".
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// UnmarshalText parses a Go duration string.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("deploy: idle_timeout: %w", err)
	}
	*d = Duration(v)
	return nil
}

// ParseSpec reads a run description's JSON. Unknown fields are errors, so
// a misspelt knob does not silently fall back to its default.
func ParseSpec(b []byte) (Spec, error) {
	var s Spec
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(&s); err != nil {
		return Spec{}, fmt.Errorf("deploy: run description: %w", err)
	}
	if d.More() {
		return Spec{}, errors.New("deploy: run description: trailing data after the JSON object")
	}
	return s, nil
}

// LoadSpec reads a run description from a file.
func LoadSpec(path string) (Spec, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Spec{}, fmt.Errorf("deploy: %w", err)
	}
	s, err := ParseSpec(b)
	if err != nil {
		return Spec{}, fmt.Errorf("%w (in %s)", err, path)
	}
	return s, nil
}

// JSON returns the description as indented JSON, as ParseSpec reads it.
func (s Spec) JSON() ([]byte, error) {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("deploy: %w", err)
	}
	return append(b, '\n'), nil
}

// Limits on a model's dimensions (Resolve).
const (
	maxLayers = 1 << 12
	maxWidth  = 1 << 24
)

// Resolved is a checked run description: the model's full config, the
// knobs, the numerics and the canonical public form that the parties
// hash.
type Resolved struct {
	Spec
	// ModelConfig is the model's full config (preset, layers and
	// sequence length applied).
	ModelConfig marill.Config
	// Timeout is the idle timeout in force.
	Timeout time.Duration
	public  []byte
}

// Resolve checks the description and fills in its defaults. A pretrained
// checkpoint without a digest is hashed from the file here; with a digest,
// the file (when present on this host) must match it.
func (s Spec) Resolve() (*Resolved, error) {
	var cfg marill.Config
	switch {
	case s.Config != nil:
		cfg = *s.Config
	case s.Model != "":
		var err error
		if cfg, err = marill.Preset(s.Model); err != nil {
			return nil, fmt.Errorf("deploy: run description: %w", err)
		}
	default:
		return nil, errors.New("deploy: run description: no model (give a preset name or a config)")
	}
	if s.Layers < 0 || s.Layers > cfg.Layers {
		return nil, fmt.Errorf("deploy: run description: layers %d outside 0..%d", s.Layers, cfg.Layers)
	}
	if s.Layers > 0 {
		cfg.Layers = s.Layers
	}
	if s.SeqLen < 0 {
		return nil, fmt.Errorf("deploy: run description: negative seq_len %d", s.SeqLen)
	}
	if s.SeqLen > 0 {
		cfg.SeqLen = s.SeqLen
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("deploy: run description: %w", err)
	}
	// Bounds far beyond any model a party could hold, so that a broken
	// description fails here instead of exhausting memory later.
	for _, d := range []struct {
		name     string
		v, limit int
	}{{"layers", cfg.Layers, maxLayers}, {"hidden", cfg.Hidden, maxWidth}, {"ffn", cfg.FFN, maxWidth},
		{"vocab", cfg.Vocab, maxWidth}, {"max_positions", cfg.MaxPositions, maxWidth}, {"heads", cfg.Heads, maxWidth}} {
		if d.v > d.limit {
			return nil, fmt.Errorf("deploy: run description: model %s = %d, more than %d", d.name, d.v, d.limit)
		}
	}
	if s.Knobs.Seed != 0 || s.Knobs.Perturb != 0 {
		return nil, errors.New("deploy: run description: knobs.seed and knobs.perturb make the server's private weights; " +
			"give them to the server alone (marill-party server -seed, -perturb), not in the description every party reads")
	}
	if err := s.Knobs.Validate(cfg); err != nil {
		return nil, fmt.Errorf("deploy: run description: %w", err)
	}
	if s.Numerics == (fxp.Params{}) {
		s.Numerics = fxp.Default()
	}
	if err := s.Numerics.Validate(); err != nil {
		return nil, fmt.Errorf("deploy: run description: numerics: %w", err)
	}
	if s.Protocol == "" {
		s.Protocol = Protocol
	}
	if s.Protocol != Protocol {
		return nil, fmt.Errorf("deploy: run description: protocol %q: this build runs only %q", s.Protocol, Protocol)
	}
	if s.IdleTimeout < 0 {
		return nil, fmt.Errorf("deploy: run description: negative idle_timeout %v", time.Duration(s.IdleTimeout))
	}
	if s.IdleTimeout == 0 {
		s.IdleTimeout = Duration(transport.DefaultIdleTimeout)
	}
	if err := s.Pretrained.check(); err != nil {
		return nil, err
	}
	r := &Resolved{Spec: s, ModelConfig: cfg, Timeout: time.Duration(s.IdleTimeout)}
	var err error
	if r.public, err = json.MarshalIndent(r.publicForm(), "", "  "); err != nil {
		return nil, fmt.Errorf("deploy: %w", err)
	}
	r.public = append(r.public, '\n')
	return r, nil
}

// check fills in or verifies the checkpoint's digest.
func (p *Pretrained) check() error {
	if p.SHA256 != "" {
		b, err := hex.DecodeString(p.SHA256)
		if err != nil || len(b) != sha256.Size {
			return fmt.Errorf("deploy: run description: pretrained.sha256 %q is not a hex SHA-256", p.SHA256)
		}
		p.SHA256 = strings.ToLower(p.SHA256)
	}
	if p.Checkpoint == "" {
		if p.SHA256 != "" {
			return errors.New("deploy: run description: pretrained.sha256 without a checkpoint")
		}
		return nil
	}
	sum, err := fileSHA256(p.Checkpoint)
	switch {
	case err != nil && p.SHA256 == "":
		return fmt.Errorf("deploy: pretrained checkpoint: %w (a party without the file needs its sha256 in the description)", err)
	case err != nil:
		return nil // the dealer needs no weights: the digest stands for the file
	case p.SHA256 != "" && sum != p.SHA256:
		return fmt.Errorf("deploy: pretrained checkpoint %s has SHA-256 %s, the description says %s: not the same file", p.Checkpoint, sum, p.SHA256)
	}
	p.SHA256 = sum
	return nil
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil {
		return "", err
	} else if !st.Mode().IsRegular() {
		return "", fmt.Errorf("%s is not a regular file", path)
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// publicRun is the canonical public form: everything that decides the
// bytes the parties exchange, and nothing that differs between hosts
// (paths) or is private.
type publicRun struct {
	Protocol   string        `json:"protocol"`
	Model      marill.Config `json:"model"`
	Knobs      marill.Knobs  `json:"knobs"`
	Pretrained struct {
		Seed   uint64 `json:"seed"`
		SHA256 string `json:"sha256,omitempty"`
	} `json:"pretrained"`
	Numerics    fxp.Params `json:"numerics"`
	IdleTimeout Duration   `json:"idle_timeout"`
	Preload     bool       `json:"preload"`
}

func (r *Resolved) publicForm() publicRun {
	p := publicRun{Protocol: r.Protocol, Model: r.ModelConfig, Knobs: canonicalKnobs(r.Knobs, r.ModelConfig),
		Numerics: r.Numerics, IdleTimeout: r.IdleTimeout, Preload: r.Preload}
	p.Pretrained.Seed = r.Pretrained.Seed
	p.Pretrained.SHA256 = r.Pretrained.SHA256
	return p
}

// canonicalKnobs writes equivalent knobs one way (freezing as the list of
// frozen blocks, the default LoRA targets and scale, no merging as 1), so
// that "freeze_fraction 0.5" on one host and "freeze_layers 1" on another
// describe the same run.
func canonicalKnobs(k marill.Knobs, cfg marill.Config) marill.Knobs {
	frozen := k.FrozenLayers(cfg.Layers)
	c := marill.Knobs{MergeHeads: k.Merge(), GeLU: k.GeLU, Softmax: k.Softmax, SiLU: k.SiLU, LoRARank: k.LoRARank}
	for _, f := range frozen {
		if f {
			c.Frozen = frozen
			break
		}
	}
	if k.LoRARank > 0 {
		c.LoRATargets = k.Targets(cfg.Arch)
		c.LoRAAlpha = k.LoRAAlpha
		if c.LoRAAlpha == 0 {
			c.LoRAAlpha = float64(k.LoRARank)
		}
	}
	return c
}

// Public returns the canonical public form as JSON: what Hash hashes and
// what two parties whose hashes differ exchange to name the fields that
// differ.
func (r *Resolved) Public() []byte { return append([]byte(nil), r.public...) }

// Hash is the run's hash as the handshake compares it:
// transport.RunHash of Public.
func (r *Resolved) Hash() [32]byte { return transport.RunHash(r.public) }

// HashString is Hash in hex.
func (r *Resolved) HashString() string {
	h := r.Hash()
	return hex.EncodeToString(h[:])
}

// DiffPublic names the fields in which two canonical public forms (as
// Public returns them) differ, as "path: ours X, theirs Y", sorted.
func DiffPublic(ours, theirs []byte) ([]string, error) {
	var a, b any
	if err := json.Unmarshal(ours, &a); err != nil {
		return nil, fmt.Errorf("deploy: %w", err)
	}
	if err := json.Unmarshal(theirs, &b); err != nil {
		return nil, fmt.Errorf("deploy: the peer's run description: %w", err)
	}
	var diffs []string
	diffValues("", a, b, &diffs)
	sort.Strings(diffs)
	return diffs, nil
}

func diffValues(path string, a, b any, out *[]string) {
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if aok && bok {
		keys := map[string]bool{}
		for k := range am {
			keys[k] = true
		}
		for k := range bm {
			keys[k] = true
		}
		for k := range keys {
			p := k
			if path != "" {
				p = path + "." + k
			}
			diffValues(p, am[k], bm[k], out)
		}
		return
	}
	if !reflect.DeepEqual(a, b) {
		*out = append(*out, fmt.Sprintf("%s: ours %s, the peer's %s", path, show(a), show(b)))
	}
}

func show(v any) string {
	if v == nil {
		return "(unset)"
	}
	b, _ := json.Marshal(v)
	return string(b)
}
