package sim

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"
)

// Compute is a machine's speed at the kernels Work counts, as rates per
// second (per party: each party runs on its own machine of this kind).
// A zero rate makes the matching work free; Time reports which kinds of
// work had no rate.
//
// Its JSON form is what "marill-sim calibrate" writes:
//
//	{"name": "...", "source": "...", "plain_macs_per_sec": 1.2e9, ...,
//	 "kernels": {"fss.dcf.eval": 1.5e-7}}
//
// with kernels in seconds per element.
type Compute struct {
	Name   string `json:"name"`
	Source string `json:"source,omitempty"`

	PlainMACsPerSec float64 `json:"plain_macs_per_sec"`
	PlainOpsPerSec  float64 `json:"plain_ops_per_sec"`
	RingMACsPerSec  float64 `json:"ring_macs_per_sec"`
	RingOpsPerSec   float64 `json:"ring_ops_per_sec"`
	PRGBytesPerSec  float64 `json:"prg_bytes_per_sec"`
	AESBlocksPerSec float64 `json:"aes_blocks_per_sec"`
	// HEMulsPerSec and HEEncsPerSec are at ring degree N = 4096.
	HEMulsPerSec float64 `json:"he_muls_per_sec,omitempty"`
	HEEncsPerSec float64 `json:"he_encs_per_sec,omitempty"`
	COTsPerSec   float64 `json:"cots_per_sec,omitempty"`
	// Kernels are seconds per element of named kernels (see Work.Kernels).
	Kernels map[string]float64 `json:"kernels,omitempty"`
}

// Time is the compute time of w on this machine, and the kinds of work
// that had no rate (and so cost nothing).
func (c Compute) Time(w Work) (time.Duration, []string) {
	var s float64
	var missing []string
	add := func(n, rate float64, what string) {
		if n == 0 {
			return
		}
		if rate <= 0 {
			missing = append(missing, what)
			return
		}
		s += n / rate
	}
	add(w.PlainMACs, c.PlainMACsPerSec, "plain MACs")
	add(w.PlainOps, c.PlainOpsPerSec, "plain ops")
	add(w.RingMACs, c.RingMACsPerSec, "ring MACs")
	add(w.RingOps, c.RingOpsPerSec, "ring ops")
	add(w.PRGBytes, c.PRGBytesPerSec, "PRG bytes")
	add(w.AESBlocks, c.AESBlocksPerSec, "AES blocks")
	add(w.HEMuls, c.HEMulsPerSec, "HE products")
	add(w.HEEncs, c.HEEncsPerSec, "HE encryptions")
	add(w.COTs, c.COTsPerSec, "silent COTs")
	for _, k := range w.Kernels {
		if k.Count == 0 {
			continue
		}
		if sec, ok := c.Kernels[k.Name]; ok && sec > 0 {
			s += k.Count * sec
		} else {
			missing = append(missing, "kernel "+k.Name)
		}
	}
	return time.Duration(s * float64(time.Second)), missing
}

// zero reports whether the profile times nothing (network time only).
func (c Compute) zero() bool {
	return c.PlainMACsPerSec == 0 && c.PlainOpsPerSec == 0 && c.RingMACsPerSec == 0 && c.RingOpsPerSec == 0 &&
		c.PRGBytesPerSec == 0 && c.AESBlocksPerSec == 0 && c.HEMulsPerSec == 0 && c.HEEncsPerSec == 0 &&
		c.COTsPerSec == 0 && len(c.Kernels) == 0
}

// Validate rejects negative or non-finite rates.
func (c Compute) Validate() error {
	rates := map[string]float64{
		"plain_macs_per_sec": c.PlainMACsPerSec, "plain_ops_per_sec": c.PlainOpsPerSec,
		"ring_macs_per_sec": c.RingMACsPerSec, "ring_ops_per_sec": c.RingOpsPerSec,
		"prg_bytes_per_sec": c.PRGBytesPerSec, "aes_blocks_per_sec": c.AESBlocksPerSec,
		"he_muls_per_sec": c.HEMulsPerSec, "he_encs_per_sec": c.HEEncsPerSec, "cots_per_sec": c.COTsPerSec,
	}
	for k, v := range c.Kernels {
		rates["kernels."+k] = v
	}
	names := make([]string, 0, len(rates))
	for k := range rates {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if v := rates[k]; v < 0 || v != v || v > 1e300 {
			return fmt.Errorf("sim: compute profile %q: %s = %g is not a finite non-negative rate", c.Name, k, v)
		}
	}
	return nil
}

// JSON encodes the profile as "marill-sim calibrate" writes it.
func (c Compute) JSON() ([]byte, error) { return json.MarshalIndent(c, "", "  ") }

// ParseCompute decodes a profile written by JSON (or by hand).
func ParseCompute(b []byte) (Compute, error) {
	var c Compute
	if err := json.Unmarshal(b, &c); err != nil {
		return Compute{}, fmt.Errorf("sim: decode compute profile: %w", err)
	}
	if c.Name == "" {
		return Compute{}, fmt.Errorf("sim: compute profile has no name")
	}
	return c, c.Validate()
}

// LoadCompute reads a profile from a JSON file.
func LoadCompute(path string) (Compute, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Compute{}, fmt.Errorf("sim: %w", err)
	}
	return ParseCompute(b)
}

// SetKernel records seconds per element of a named kernel, returning the
// updated profile (the receiver is not changed).
func (c Compute) SetKernel(name string, secondsPerElement float64) Compute {
	k := make(map[string]float64, len(c.Kernels)+1)
	for n, v := range c.Kernels {
		k[n] = v
	}
	k[name] = secondsPerElement
	c.Kernels = k
	return c
}

// DevVM2Core is the 2-vCPU development VM the reference notes measured
// (go-ecosystem.md §6a, §6d, §6e): blocked scalar uint64 matmul 2.3
// GMAC/s, AES-128-CTR 9.7 GB/s, fixed-key AES one block per call 0.88 GB/s
// (55 M blocks/s), lattigo BGV at N = 4096: ct×pt product 25.3 µs,
// encryption 1.01 ms. Plaintext float64 rates and elementwise ring ops are
// assumptions (4 GFLOP/s matmul, 1 G elementwise ops/s) until calibrate
// measures them; silent-OT throughput (10 M COT/s per core, the order
// Ferret-style extension reaches) is an assumption (unconfirmed: no Go
// implementation exists to time). The kernels of our own protocols (the
// Ours family's ours/* units) are proto.Calibrate's figures at 2^16
// elements on the same 2-vCPU VM, measured on 2026-11-21 ("marill-sim
// calibrate" writes them for any machine).
func DevVM2Core() Compute {
	return Compute{
		Name:            "dev-vm-2core",
		Source:          "go-ecosystem.md §6 measurements on the 2-vCPU VM; plain rates and COTs assumed; ours/* kernels calibrated 2026-11-21",
		PlainMACsPerSec: 4e9, PlainOpsPerSec: 1e9,
		RingMACsPerSec: 2.3e9, RingOpsPerSec: 1e9,
		PRGBytesPerSec: 9.7e9, AESBlocksPerSec: 55e6,
		HEMulsPerSec: 1 / 25.3e-6, HEEncsPerSec: 1 / 1.01e-3,
		COTsPerSec: 10e6,
		Kernels: map[string]float64{
			KernelRound: 1.56e-6, KernelOpen: 19.3e-9, KernelTrunc: 2.11e-9, KernelMul: 2.39e-9,
			KernelDCFBit: 7.31e-9, KernelSelect: 17.2e-9, KernelLookup: 48.3e-9, KernelLocal: 2.36e-9,
			KernelWeightMAC: 0.197e-9, KernelBeaverMAC: 1.15e-9, KernelLocalMAC: 0.385e-9,
		},
	}
}

// Server32Core is a 32-core server assumed to scale the dev VM's rates
// linearly with cores (16×): an assumption, stated so the what-if tables
// can be read for a machine like the ones the papers used (e.g. Iron's
// AWS c5.9xlarge, 36 vCPU; papers.md §5.2).
func Server32Core() Compute {
	c := DevVM2Core().Scaled(16)
	c.Name = "server-32core"
	c.Source = "dev-vm-2core × 16 (assumption: linear scaling to 32 cores)"
	return c
}

// Scaled returns the profile with every rate multiplied by f (kernel
// times divided by f).
func (c Compute) Scaled(f float64) Compute {
	c.PlainMACsPerSec *= f
	c.PlainOpsPerSec *= f
	c.RingMACsPerSec *= f
	c.RingOpsPerSec *= f
	c.PRGBytesPerSec *= f
	c.AESBlocksPerSec *= f
	c.HEMulsPerSec *= f
	c.HEEncsPerSec *= f
	c.COTsPerSec *= f
	if c.Kernels != nil {
		k := make(map[string]float64, len(c.Kernels))
		for n, v := range c.Kernels {
			k[n] = v / f
		}
		c.Kernels = k
	}
	return c
}

// NoCompute makes every kind of work free: estimated time is network time
// only.
func NoCompute() Compute { return Compute{Name: "network-only", Source: "compute not modelled"} }

// Computes lists the stated profiles.
func Computes() []Compute { return []Compute{DevVM2Core(), Server32Core(), NoCompute()} }

// ComputeByName returns a stated profile by name, or loads a JSON file if
// name ends in ".json".
func ComputeByName(name string) (Compute, error) {
	if strings.HasSuffix(name, ".json") {
		return LoadCompute(name)
	}
	var names []string
	for _, c := range Computes() {
		if strings.EqualFold(c.Name, name) {
			return c, nil
		}
		names = append(names, c.Name)
	}
	return Compute{}, fmt.Errorf("sim: unknown compute profile %q (have %s, or a calibrate .json file)", name, strings.Join(names, ", "))
}
