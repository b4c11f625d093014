package study

import (
	"context"
	"fmt"
	"sync"

	"github.com/marill-go/marill/marill"
	"github.com/marill-go/marill/mpc"
	"github.com/marill-go/marill/mpc/plain"
)

// PlanEvaluator derives, from the model's placement plan (marill.Plan), the
// exact MPC-side counts of a point: no values are computed and no cost model
// is involved, so every figure is an exact count.
//
//	mpc_layers, client_layers      transformer blocks in MPC / run by the client alone
//	secure_macs                    multiply-accumulates of interactive (secret × secret) products
//	local_macs                     of secret × public products, local on shares
//	client_macs                    of the client's plaintext products
//	softmax_elements               attention scores normalised in MPC
//	mpc_gelu_elements, mpc_silu_elements, mpc_norm_elements
//	                               elements through interactive GeLU, SiLU, layer/RMS norm
//	interactive_ops                interactive operations (protocol invocations)
//	params, private_params         parameters of the fine-tuned model, and the server's private ones
//
// Protocols and networks do not change a plan: points that differ only in
// them get the same figures.
func PlanEvaluator() Evaluator { return planEvaluator{} }

type planEvaluator struct{}

func (planEvaluator) Name() string { return "plan" }

func (planEvaluator) Evaluate(ctx context.Context, p Point) ([]Metric, error) {
	ft, err := fineTuned(p, 1)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	plan := ft.Plan()
	tot := plan.Total()
	var gelu, silu, norm int64
	for _, r := range plan.Ops {
		if r.Place != mpc.Interactive {
			continue
		}
		switch r.Op {
		case mpc.OpGeLU:
			gelu += r.Elements
		case mpc.OpSiLU:
			silu += r.Elements
		case mpc.OpLayerNorm, mpc.OpRMSNorm:
			norm += r.Elements
		}
	}
	params, private := ft.ParamCount()
	return []Metric{
		{"mpc_layers", float64(plan.MPCLayers())},
		{"client_layers", float64(plan.ClientLayers())},
		{"secure_macs", float64(tot.SecureMACs)},
		{"local_macs", float64(tot.LocalMACs)},
		{"client_macs", float64(tot.ClientMACs)},
		{"softmax_elements", float64(tot.SoftmaxElements)},
		{"mpc_gelu_elements", float64(gelu)},
		{"mpc_silu_elements", float64(silu)},
		{"mpc_norm_elements", float64(norm)},
		{"interactive_ops", float64(tot.Interactive)},
		{"params", float64(params)},
		{"private_params", float64(private)},
	}, nil
}

// fineTuned builds the point's fine-tuned model from seeded pretrained
// weights (generated lazily: free until an engine asks for values).
func fineTuned(p Point, seed uint64) (*marill.Model, error) {
	cfg, err := p.Config()
	if err != nil {
		return nil, err
	}
	pre, err := marill.NewPretrained(cfg, seed)
	if err != nil {
		return nil, fmt.Errorf("study: %w", err)
	}
	ft, err := pre.FineTune(p.Knobs())
	if err != nil {
		return nil, fmt.Errorf("study: %w", err)
	}
	return ft, nil
}

// AccuracyOptions configure AccuracyEvaluator.
type AccuracyOptions struct {
	// Seed draws the pretrained weights, InputSeed the prompt.
	Seed, InputSeed uint64
	// MaxParams refuses models with more parameters (default 20M): every
	// point runs the model three times in the clear.
	MaxParams int64
}

// AccuracyEvaluator measures, by running the plain engine, how far a point's
// outputs move from float64 ground truth:
//
//	fxp_max_abs_err, fxp_rel_err    fixed-point emulation of the secure numerics
//	                                (plain.NewFixed) against float64, same model
//	knob_max_abs_err, knob_rel_err  the fine-tuned model (merged heads,
//	                                approximations) against the pretrained
//	                                model, both float64, before any retraining
//	fxp_argmax_agree, knob_argmax_agree  1 if the top logit is the same
//	logits_max_abs                  the largest float64 logit
//
// Relative errors are the largest absolute difference over the largest
// absolute reference logit. These are measurements, so the evaluator is slow:
// use it with small models (tiny-*, or short prompts). Pretrained models are
// built once per (model, sequence length) and shared by the workers.
func AccuracyEvaluator(opts AccuracyOptions) Evaluator {
	if opts.MaxParams == 0 {
		opts.MaxParams = 20_000_000
	}
	return &accuracyEvaluator{opts: opts, models: map[string]*pretrained{}}
}

type accuracyEvaluator struct {
	opts   AccuracyOptions
	mu     sync.Mutex
	models map[string]*pretrained
}

// pretrained is a shared model and its float64 output, computed once.
type pretrained struct {
	once  sync.Once
	model *marill.Model
	in    marill.Input
	out   *mpc.Dense
	err   error
}

func (*accuracyEvaluator) Name() string { return "accuracy" }

func (e *accuracyEvaluator) pretrained(ctx context.Context, cfg marill.Config) *pretrained {
	key := fmt.Sprintf("%s/%d", cfg.Name, cfg.SeqLen)
	e.mu.Lock()
	pm, ok := e.models[key]
	if !ok {
		pm = &pretrained{}
		e.models[key] = pm
	}
	e.mu.Unlock()
	pm.once.Do(func() {
		pm.model, pm.err = marill.NewPretrained(cfg, e.opts.Seed)
		if pm.err != nil {
			return
		}
		pm.model.Materialize()
		pm.in = marill.RandomInput(cfg, e.opts.InputSeed)
		// A cancelled context would poison the shared entry, so the shared
		// reference run ignores it; it is one forward pass.
		pm.out, pm.err = pm.model.Forward(context.WithoutCancel(ctx), plain.New(), pm.in)
	})
	return pm
}

func (e *accuracyEvaluator) Evaluate(ctx context.Context, p Point) ([]Metric, error) {
	cfg, err := p.Config()
	if err != nil {
		return nil, err
	}
	if n := cfg.ParamCount(); n > e.opts.MaxParams {
		return nil, fmt.Errorf("study: %s has %d parameters, more than AccuracyOptions.MaxParams = %d", cfg.Name, n, e.opts.MaxParams)
	}
	pm := e.pretrained(ctx, cfg)
	if pm.err != nil {
		return nil, fmt.Errorf("study: %w", pm.err)
	}
	ft, err := pm.model.FineTune(p.Knobs())
	if err != nil {
		return nil, fmt.Errorf("study: %w", err)
	}
	exact, err := ft.Forward(ctx, plain.New(), pm.in)
	if err != nil {
		return nil, fmt.Errorf("study: float64 run: %w", err)
	}
	fixed, err := ft.Forward(ctx, plain.NewFixed(), pm.in)
	if err != nil {
		return nil, fmt.Errorf("study: fixed-point run: %w", err)
	}
	fxpAbs, fxpRel, err := mpc.Compare(fixed, exact)
	if err != nil {
		return nil, fmt.Errorf("study: %w", err)
	}
	knobAbs, knobRel, err := mpc.Compare(exact, pm.out)
	if err != nil {
		return nil, fmt.Errorf("study: %w", err)
	}
	agree := func(a, b *mpc.Dense) float64 {
		if a.Argmax() == b.Argmax() {
			return 1
		}
		return 0
	}
	return []Metric{
		{"fxp_max_abs_err", fxpAbs},
		{"fxp_rel_err", fxpRel},
		{"fxp_argmax_agree", agree(fixed, exact)},
		{"knob_max_abs_err", knobAbs},
		{"knob_rel_err", knobRel},
		{"knob_argmax_agree", agree(exact, pm.out)},
		{"logits_max_abs", exact.MaxAbs()},
	}, nil
}
