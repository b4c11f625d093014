package deploy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"

	"github.com/marill-go/marill/marill"
	"github.com/marill-go/marill/mpc"
	"github.com/marill-go/marill/mpc/secure"
)

// Weights are the server's private fine-tuned weights: a checkpoint
// written by marill's Model.Save, or a seed from which they are drawn
// (marill.Knobs Seed and Perturb).
type Weights struct {
	// Checkpoint is a fine-tuned model saved by Model.Save. Its config
	// and knobs must be the run description's; only its private tensors
	// are used (the public ones come from the description's pretrained
	// weights, exactly as the client's do, and are only checked against
	// them).
	Checkpoint string
	// Seed and Perturb draw the private weights when there is no
	// checkpoint (see marill.Knobs): Perturb 0 keeps the pretrained
	// values and starts LoRA's B at zero.
	Seed    uint64
	Perturb float64
}

// PublicModel returns the fine-tuned-shaped model every party can build
// from the run description alone: public pretrained weights and the
// knobs. Its private weights are placeholders drawn from seed 0 that the
// client and the dealer never read (the engine hands them only to the
// server). The dealer needs shapes only and passes shapesOnly, which
// skips the pretrained checkpoint (weights are drawn lazily, so nothing
// is computed).
func (r *Resolved) PublicModel(shapesOnly bool) (*marill.Model, error) {
	pre, err := r.pretrained(shapesOnly)
	if err != nil {
		return nil, err
	}
	m, err := pre.FineTune(r.Knobs)
	if err != nil {
		return nil, fmt.Errorf("deploy: %w", err)
	}
	return m, nil
}

func (r *Resolved) pretrained(shapesOnly bool) (*marill.Model, error) {
	var (
		pre *marill.Model
		err error
	)
	if r.Pretrained.Checkpoint == "" || shapesOnly {
		pre, err = marill.NewPretrained(r.ModelConfig, r.Pretrained.Seed)
	} else {
		pre, err = marill.LoadPretrained(r.ModelConfig, r.Pretrained.Checkpoint, r.Pretrained.Seed)
	}
	if err != nil {
		return nil, fmt.Errorf("deploy: pretrained weights: %w", err)
	}
	return pre, nil
}

// ServerModel returns the server's model: the public model with the
// server's private weights.
func (r *Resolved) ServerModel(w Weights) (*marill.Model, error) {
	if w.Checkpoint == "" {
		pre, err := r.pretrained(false)
		if err != nil {
			return nil, err
		}
		k := r.Knobs
		k.Seed, k.Perturb = w.Seed, w.Perturb
		m, err := pre.FineTune(k)
		if err != nil {
			return nil, fmt.Errorf("deploy: %w", err)
		}
		return m, nil
	}
	if w.Seed != 0 || w.Perturb != 0 {
		return nil, errors.New("deploy: give the private weights as a checkpoint or as a seed, not both")
	}
	m, err := r.PublicModel(false)
	if err != nil {
		return nil, err
	}
	ck, err := marill.Load(w.Checkpoint)
	if err != nil {
		return nil, fmt.Errorf("deploy: %w", err)
	}
	if err := r.matchCheckpoint(ck, w.Checkpoint); err != nil {
		return nil, err
	}
	for _, p := range m.Params() {
		q, err := ck.Param(p.Name)
		if err != nil {
			return nil, fmt.Errorf("deploy: checkpoint %s: %w", w.Checkpoint, err)
		}
		if !q.Shape().Equal(p.Shape()) {
			return nil, fmt.Errorf("deploy: checkpoint %s: %s has shape %v, the run's model %v", w.Checkpoint, p.Name, q.Shape(), p.Shape())
		}
		if p.Vis == mpc.Server {
			if err := p.Set(q.Data()); err != nil {
				return nil, fmt.Errorf("deploy: %w", err)
			}
			continue
		}
		// Public weights must be bit-identical at both parties (the
		// client and the server each multiply their shares by them), so
		// they come from the pretrained weights, never from the
		// checkpoint; a checkpoint fine-tuned from other weights is
		// refused rather than silently giving wrong logits. The
		// tolerance admits a checkpoint stored in a narrower dtype.
		if i, ok := sameWithin(p.Data(), q.Data(), 1e-2); !ok {
			return nil, fmt.Errorf("deploy: checkpoint %s was not fine-tuned from the run's pretrained weights: public %s[%d] is %g there and %g in the pretrained model",
				w.Checkpoint, p.Name, i, q.Data()[i], p.Data()[i])
		}
	}
	m.Origin = "private weights from " + w.Checkpoint
	return m, nil
}

// matchCheckpoint checks that a fine-tuned checkpoint has the run's shape
// and knobs (its sequence length and name are labels, not weights).
func (r *Resolved) matchCheckpoint(ck *marill.Model, path string) error {
	if !ck.FineTuned {
		return fmt.Errorf("deploy: %s holds a pretrained model, not a fine-tuned one", path)
	}
	a, b := ck.Config, r.ModelConfig
	a.Name, a.SeqLen, b.Name, b.SeqLen = "", 0, "", 0
	if a != b {
		return fmt.Errorf("deploy: checkpoint %s is a %s, the run description's model is a %s", path, jsonString(ck.Config), jsonString(r.ModelConfig))
	}
	ours, theirs := canonicalKnobs(r.Knobs, r.ModelConfig), canonicalKnobs(ck.Knobs, ck.Config)
	if jsonString(ours) != jsonString(theirs) {
		return fmt.Errorf("deploy: checkpoint %s was fine-tuned with knobs %s, the run description says %s", path, ck.Knobs, r.Knobs)
	}
	return nil
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// sameWithin reports whether a and b agree elementwise within a relative
// tolerance (of the larger magnitude, with an absolute floor for values
// near zero), or the first index where they do not.
func sameWithin(a, b []float64, rel float64) (int, bool) {
	for i := range a {
		d := math.Abs(a[i] - b[i])
		if d > rel*math.Max(math.Abs(a[i]), math.Abs(b[i]))+1e-6 || math.IsNaN(d) {
			return i, false
		}
	}
	return 0, true
}

// RunInProcess runs the description's model with the server's weights w
// on the in-process engine (secure.New) whose dealer seed is seed, for
// input: the run a distributed one with Options.DealerSeed SeedBytes(seed)
// must reproduce, logits bit for bit and report row for row (rounds and
// bytes). It holds every secret in one process: for tests and checks.
func (r *Resolved) RunInProcess(ctx context.Context, w Weights, seed uint64, input marill.Input) (*mpc.Dense, *mpc.Report, error) {
	m, err := r.ServerModel(w)
	if err != nil {
		return nil, nil, err
	}
	e, err := secure.New(secure.Options{Seed: seed, Numerics: r.Numerics})
	if err != nil {
		return nil, nil, fmt.Errorf("deploy: %w", err)
	}
	defer e.Close()
	out, err := m.Forward(ctx, e, input)
	if err != nil {
		return nil, nil, fmt.Errorf("deploy: in process: %w", err)
	}
	return out, e.Report(), nil
}
