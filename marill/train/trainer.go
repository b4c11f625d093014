package train

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/marill-go/marill/marill"
	"github.com/marill-go/marill/marill/train/tape"
)

// Options configure an optimisation run (pretraining, fine-tuning, each
// stage of distillation). The zero value is usable: every field has a
// default.
type Options struct {
	// Epochs over the training examples (default 3). Steps, if positive,
	// sets the number of optimizer steps instead.
	Epochs float64
	Steps  int
	// BatchSize is the number of examples per step (default 32).
	BatchSize int
	// LR is AdamW's peak learning rate (default 1e-3); LoRALR, if
	// positive, is the rate of LoRA adapters (adapters usually want a
	// larger one).
	LR, LoRALR float64
	// Warmup is the fraction of steps of linear warm-up (default 0.06);
	// Schedule is the decay after it (default Linear, to zero).
	Warmup   float64
	Schedule Schedule
	// WeightDecay is AdamW's decoupled decay of weight matrices (norms
	// and biases are not decayed); default 0.01, negative for none.
	WeightDecay float64
	// ClipNorm clips the gradient's global L2 norm (default 1, negative
	// for no clipping).
	ClipNorm float64
	// Beta1, Beta2, Eps are Adam's (defaults 0.9, 0.999, 1e-8).
	Beta1, Beta2, Eps float64
	// Seed drives the order of examples (and masking, in pretraining).
	// Runs with the same seed and options give the same weights, whatever
	// the number of threads.
	Seed uint64
	// Threads run examples of a batch at once (default: one per core).
	Threads int
	// Log receives a progress line every LogEvery steps (default: ten
	// lines per run); nil logs nothing.
	Log      io.Writer
	LogEvery int
}

func (o Options) withDefaults() Options {
	if o.Epochs == 0 {
		o.Epochs = 3
	}
	if o.BatchSize == 0 {
		o.BatchSize = 32
	}
	if o.LR == 0 {
		o.LR = 1e-3
	}
	if o.Warmup == 0 {
		o.Warmup = 0.06
	}
	if o.WeightDecay == 0 {
		o.WeightDecay = 0.01
	}
	o.WeightDecay = math.Max(o.WeightDecay, 0)
	if o.ClipNorm == 0 {
		o.ClipNorm = 1
	}
	if o.Beta1 == 0 {
		o.Beta1 = 0.9
	}
	if o.Beta2 == 0 {
		o.Beta2 = 0.999
	}
	if o.Eps == 0 {
		o.Eps = 1e-8
	}
	if o.Threads <= 0 {
		o.Threads = runtime.NumCPU()
	}
	return o
}

// Validate reports the first option out of range.
func (o Options) Validate() error {
	bad := func(f string, format string, args ...any) error {
		return fmt.Errorf("train: Options.%s %s", f, fmt.Sprintf(format, args...))
	}
	switch {
	case o.Epochs < 0 || math.IsNaN(o.Epochs):
		return bad("Epochs", "= %g is negative", o.Epochs)
	case o.Steps < 0:
		return bad("Steps", "= %d is negative", o.Steps)
	case o.BatchSize < 0:
		return bad("BatchSize", "= %d is negative", o.BatchSize)
	case o.LR < 0 || math.IsNaN(o.LR) || o.LoRALR < 0 || math.IsNaN(o.LoRALR):
		return bad("LR", "and LoRALR must not be negative")
	case o.Warmup < 0 || o.Warmup >= 1:
		return bad("Warmup", "= %g is outside [0, 1)", o.Warmup)
	case o.Schedule > Constant:
		return bad("Schedule", "= %v is unknown", o.Schedule)
	case o.Beta1 < 0 || o.Beta1 >= 1 || o.Beta2 < 0 || o.Beta2 >= 1:
		return bad("Beta1", "and Beta2 must be in [0, 1)")
	case o.Eps < 0:
		return bad("Eps", "= %g is negative", o.Eps)
	case o.LogEvery < 0:
		return bad("LogEvery", "= %d is negative", o.LogEvery)
	}
	return nil
}

// Log is the account of one optimisation run.
type Log struct {
	// What was trained ("pretrain", "finetune", "distill/layers", ...).
	What string
	// Steps taken, examples seen (with repeats), and epochs.
	Steps, Examples int
	Epochs          float64
	// Loss is the mean training loss of each step.
	Loss []float64
	// Seconds is the wall time of the run.
	Seconds float64
}

// FinalLoss is the mean loss over the last tenth of the steps.
func (l *Log) FinalLoss() float64 {
	if len(l.Loss) == 0 {
		return math.NaN()
	}
	k := max(len(l.Loss)/10, 1)
	s := 0.0
	for _, v := range l.Loss[len(l.Loss)-k:] {
		s += v
	}
	return s / float64(k)
}

// ExamplesPerSecond is the training throughput.
func (l *Log) ExamplesPerSecond() float64 {
	if l.Seconds == 0 {
		return 0
	}
	return float64(l.Examples) / l.Seconds
}

func (l *Log) String() string {
	return fmt.Sprintf("%s: %d steps, %d examples (%.2f epochs) in %.1fs (%.0f examples/s), final loss %.4f",
		l.What, l.Steps, l.Examples, l.Epochs, l.Seconds, l.ExamplesPerSecond(), l.FinalLoss())
}

// lossFunc runs example i on e (a tape engine whose trainable sources are
// the run's), seeds the gradients of its loss times scale, and returns
// the loss. The trainer then runs Backward and resets the tape. worker
// numbers the engine (0 ≤ worker < Threads), for losses that keep
// per-worker state such as a teacher's engine.
type lossFunc func(ctx context.Context, e *tape.Engine, worker, i int, scale float64) (float64, error)

// tie is a derived parameter equal to a trained one's transpose (GPT-2's
// LM head and token embeddings): its gradient is folded into the base's,
// and it is refreshed after each update.
type tie struct {
	derived, base *marill.Param
}

// trainer runs minibatch AdamW over a fixed parameter list.
type trainer struct {
	opts   Options
	params []*marill.Param
	ties   []tie
	// sources are params then tied derived parameters; off their offsets
	// in the flat gradient vector of length size.
	sources []*marill.Param
	off     []int
	size    int
	adam    *adamW
	engines []*tape.Engine
}

func newTrainer(opts Options, params []*marill.Param, ties []tie) (*trainer, error) {
	if len(params) == 0 {
		return nil, fmt.Errorf("train: nothing to train (no trainable parameters)")
	}
	t := &trainer{opts: opts, params: params, ties: ties}
	t.sources = append(t.sources, params...)
	for _, x := range ties {
		t.sources = append(t.sources, x.derived)
	}
	for _, p := range t.sources {
		t.off = append(t.off, t.size)
		t.size += p.Size()
	}
	nParams := 0
	for _, p := range params {
		nParams += p.Size()
	}
	t.adam = newAdamW(nParams, opts.Beta1, opts.Beta2, opts.Eps)
	for i := 0; i < opts.Threads; i++ {
		e := tape.New()
		for _, p := range t.sources {
			e.Train(p)
		}
		t.engines = append(t.engines, e)
	}
	return t, nil
}

// chunks is how many parts a batch is cut into. Each part's gradient is
// summed on one engine and the parts are added in order, so the result
// does not depend on how many threads ran them.
const chunks = 4

// stepsFor resolves the number of steps for n examples.
func (o Options) stepsFor(n int) int {
	if o.Steps > 0 {
		return o.Steps
	}
	return max(int(math.Ceil(o.Epochs*float64(n)/float64(o.BatchSize))), 1)
}

// run takes steps optimizer steps over n examples.
func (t *trainer) run(ctx context.Context, what string, n, steps int, loss lossFunc) (*Log, error) {
	o := t.opts
	if n == 0 {
		return nil, fmt.Errorf("train: %s: no examples", what)
	}
	start := time.Now()
	log := &Log{What: what, Steps: steps}
	warmup := int(math.Round(o.Warmup * float64(steps)))
	logEvery := o.LogEvery
	if logEvery == 0 {
		logEvery = max(steps/10, 1)
	}
	grads := make([][]float64, chunks)
	for i := range grads {
		grads[i] = make([]float64, t.size)
	}
	total := make([]float64, t.size)
	var order []int
	epoch, pos := -1, 0
	next := func() int {
		if pos == len(order) {
			epoch++
			order = rand.New(rand.NewPCG(o.Seed, uint64(epoch))).Perm(n)
			pos = 0
		}
		pos++
		return order[pos-1]
	}
	for step := 0; step < steps; step++ {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("train: %s stopped at step %d: %w", what, step, err)
		}
		batch := make([]int, min(o.BatchSize, max(n, 1)))
		for i := range batch {
			batch[i] = next()
		}
		lossSum, err := t.batch(ctx, batch, grads, loss)
		if err != nil {
			return nil, fmt.Errorf("train: %s, step %d: %w", what, step, err)
		}
		mean := lossSum / float64(len(batch))
		if math.IsNaN(mean) || math.IsInf(mean, 0) {
			return nil, fmt.Errorf("train: %s, step %d: the loss is %g (try a lower learning rate)", what, step, mean)
		}
		clear(total)
		for _, g := range grads {
			addInto(total, g)
		}
		t.foldTies(total)
		lr := LearningRate(o.LR, step, steps, warmup, o.Schedule)
		gnorm, err := t.update(total, lr)
		if err != nil {
			return nil, fmt.Errorf("train: %s, step %d: %w (try a lower learning rate)", what, step, err)
		}
		log.Loss = append(log.Loss, mean)
		log.Examples += len(batch)
		if o.Log != nil && ((step+1)%logEvery == 0 || step == steps-1) {
			el := time.Since(start).Seconds()
			fmt.Fprintf(o.Log, "%s step %d/%d loss %.4f lr %.2e grad %.3f (%.0f examples/s)\n",
				what, step+1, steps, windowMean(log.Loss, logEvery), lr, gnorm, float64(log.Examples)/el)
		}
	}
	log.Epochs = float64(log.Examples) / float64(n)
	log.Seconds = time.Since(start).Seconds()
	return log, nil
}

func windowMean(xs []float64, k int) float64 {
	k = min(k, len(xs))
	s := 0.0
	for _, v := range xs[len(xs)-k:] {
		s += v
	}
	return s / float64(k)
}

// batch runs the examples of one step, cut into chunks that the engines
// take in turn, and leaves chunk c's summed gradient in grads[c].
func (t *trainer) batch(ctx context.Context, batch []int, grads [][]float64, loss lossFunc) (float64, error) {
	scale := 1 / float64(len(batch))
	losses := make([]float64, chunks)
	errs := make([]error, chunks)
	work := make(chan int, chunks)
	for c := 0; c < chunks; c++ {
		work <- c
	}
	close(work)
	var wg sync.WaitGroup
	for w, e := range t.engines {
		wg.Add(1)
		go func(w int, e *tape.Engine) {
			defer wg.Done()
			c := -1
			defer func() {
				// A panic in a loss must not end the process: it becomes
				// the step's error (and the tape, mid-pass, is dropped).
				if v := recover(); v != nil {
					e.Reset()
					errs[max(c, 0)] = fmt.Errorf("panic in worker %d: %v", w, v)
					for range work { // let the other workers finish
					}
				}
			}()
			for c = range work {
				e.ZeroGrad()
				part := batch[c*len(batch)/chunks : (c+1)*len(batch)/chunks]
				for _, i := range part {
					if err := ctx.Err(); err != nil {
						errs[c] = err
						break
					}
					l, err := loss(ctx, e, w, i, scale)
					if err == nil {
						err = e.Backward(nil)
					}
					e.Reset()
					if err != nil {
						errs[c] = err
						break
					}
					losses[c] += l
				}
				g := grads[c]
				for k, p := range t.sources {
					copy(g[t.off[k]:t.off[k]+p.Size()], e.Grad(p))
				}
			}
		}(w, e)
	}
	wg.Wait()
	sum := 0.0
	for c := 0; c < chunks; c++ {
		if errs[c] != nil {
			return 0, errs[c]
		}
		sum += losses[c]
	}
	return sum, nil
}

// foldTies adds each derived parameter's gradient, transposed, into its
// base's.
func (t *trainer) foldTies(g []float64) {
	for i, x := range t.ties {
		k := len(t.params) + i
		d := g[t.off[k] : t.off[k]+x.derived.Size()]
		bi := t.index(x.base)
		if bi < 0 {
			continue
		}
		b := g[t.off[bi] : t.off[bi]+x.base.Size()]
		r, c := x.base.Shape()[0], x.base.Shape()[1] // derived is c×r
		for j := 0; j < c; j++ {
			for i := 0; i < r; i++ {
				b[i*c+j] += d[j*r+i]
			}
		}
	}
}

func (t *trainer) index(p *marill.Param) int {
	for i, q := range t.params {
		if q == p {
			return i
		}
	}
	return -1
}

// update clips the gradient and takes one AdamW step on every parameter;
// it returns the gradient norm before clipping.
func (t *trainer) update(g []float64, lr float64) (float64, error) {
	o := t.opts
	gnorm := clipNorm(g[:len(t.adam.m)], o.ClipNorm)
	if math.IsNaN(gnorm) || math.IsInf(gnorm, 0) {
		return gnorm, fmt.Errorf("the gradient norm is %g", gnorm)
	}
	t.adam.t++
	off := 0
	for k, p := range t.params {
		w := append([]float64(nil), p.Data()...)
		rate := lr
		if o.LoRALR > 0 && isAdapter(p) {
			rate = lr * o.LoRALR / o.LR
		}
		decay := 0.0
		if len(p.Shape()) >= 2 {
			decay = o.WeightDecay
		}
		t.adam.step(w, g[t.off[k]:t.off[k]+p.Size()], off, rate, decay)
		off += p.Size()
		if err := p.Set(w); err != nil {
			return gnorm, err
		}
	}
	for _, x := range t.ties {
		r, c := x.base.Shape()[0], x.base.Shape()[1]
		d := make([]float64, r*c)
		b := x.base.Data()
		for i := 0; i < r; i++ {
			for j := 0; j < c; j++ {
				d[j*r+i] = b[i*c+j]
			}
		}
		if err := x.derived.Set(d); err != nil {
			return gnorm, err
		}
	}
	return gnorm, nil
}

func isAdapter(p *marill.Param) bool {
	return strings.HasSuffix(p.Name, ".lora_a") || strings.HasSuffix(p.Name, ".lora_b")
}

func addInto(dst, src []float64) {
	for i, v := range src {
		dst[i] += v
	}
}
