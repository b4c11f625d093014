package sim

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"fmt"
	"os"
	"runtime"
	"time"

	"github.com/marill-go/marill/mpc/ring"
)

// CalibrateOptions bound the time Calibrate spends.
type CalibrateOptions struct {
	// Name labels the profile (default "measured-<hostname>").
	Name string
	// PerKernel is the minimum time each kernel is run for (default
	// 200 ms); the rate is the best of three such runs.
	PerKernel time.Duration
}

// Calibrate measures this machine's rates for the kernels Work counts and
// returns them as a Compute profile (one core, the families' work being
// per party, except the plaintext matmul: the client computes its frozen
// layers on every core while its peer waits, as the engines do):
//
//   - plaintext float64 matmul: ring.MatMulFloat64Parallel on 256×256×256,
//     every core
//   - Z_2^64 matmul: ring.MatMul on 256×256×256
//   - elementwise ring ops: ring.Mul on 2^16-element vectors
//   - plaintext elementwise ops: a float64 multiply-add loop
//   - PRG: AES-128-CTR keystream (crypto/aes, crypto/cipher)
//   - AES blocks: one block per Encrypt call, the FSS tree-node pattern
//
// HE and silent-OT rates are not measurable without those libraries; the
// profile keeps DevVM2Core's stated values for them and says so in Source.
// The secure engine's kernels (FSS gates and others) can be added with
// Compute.SetKernel.
func Calibrate(ctx context.Context, opts CalibrateOptions) (Compute, error) {
	if opts.PerKernel <= 0 {
		opts.PerKernel = 200 * time.Millisecond
	}
	if opts.Name == "" {
		host, _ := os.Hostname()
		opts.Name = "measured-" + host
	}
	stated := DevVM2Core()
	c := Compute{
		Name: opts.Name,
		Source: fmt.Sprintf("calibrate on %s/%s, %d CPUs, %s; HE and silent-OT rates stated (dev-vm-2core)",
			runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version()),
		HEMulsPerSec: stated.HEMulsPerSec, HEEncsPerSec: stated.HEEncsPerSec, COTsPerSec: stated.COTsPerSec,
	}
	const d = 256
	fa, fb, fc := make([]float64, d*d), make([]float64, d*d), make([]float64, d*d)
	ua, ub, uc := make([]uint64, d*d), make([]uint64, d*d), make([]uint64, d*d)
	for i := range fa {
		fa[i], fb[i] = float64(i%7)-3, float64(i%5)-2
		ua[i], ub[i] = uint64(i)*0x9e3779b97f4a7c15, uint64(i)*0xbf58476d1ce4e5b9
	}
	const vec = 1 << 16
	va, vb, vc := make([]uint64, vec), make([]uint64, vec), make([]uint64, vec)
	xa, xb := make([]float64, vec), make([]float64, vec)
	for i := range va {
		va[i], vb[i], xa[i], xb[i] = uint64(i)*3, uint64(i)*5, float64(i), 1.0001
	}
	key := make([]byte, 16)
	block, err := aes.NewCipher(key)
	if err != nil {
		return Compute{}, fmt.Errorf("sim: calibrate: %w", err)
	}
	buf := make([]byte, 1<<20)
	blk := make([]byte, 16)
	kernels := []struct {
		rate *float64
		per  float64 // units per run
		run  func()
	}{
		{&c.PlainMACsPerSec, d * d * d, func() { ring.MatMulFloat64Parallel(fc, fa, fb, d, d, d, runtime.NumCPU()) }},
		{&c.RingMACsPerSec, d * d * d, func() { ring.MatMul(uc, ua, ub, d, d, d) }},
		{&c.RingOpsPerSec, vec, func() { ring.Mul(vc, va, vb) }},
		{&c.PlainOpsPerSec, vec, func() {
			for i := range xa {
				xa[i] = xa[i]*xb[i] + 1
			}
		}},
		{&c.PRGBytesPerSec, float64(len(buf)), func() {
			iv := make([]byte, 16)
			cipher.NewCTR(block, iv).XORKeyStream(buf, buf)
		}},
		{&c.AESBlocksPerSec, 4096, func() {
			for i := 0; i < 4096; i++ {
				block.Encrypt(blk, blk)
			}
		}},
	}
	for _, k := range kernels {
		best := 0.0
		for trial := 0; trial < 3; trial++ {
			if err := ctx.Err(); err != nil {
				return Compute{}, fmt.Errorf("sim: calibrate stopped: %w", err)
			}
			start := time.Now()
			runs := 0
			for time.Since(start) < opts.PerKernel/3 || runs == 0 {
				k.run()
				runs++
			}
			if r := k.per * float64(runs) / time.Since(start).Seconds(); r > best {
				best = r
			}
		}
		*k.rate = best
	}
	return c, c.Validate()
}
