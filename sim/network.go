package sim

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Network is a link between the parties: bandwidth per direction (a
// full-duplex link: both directions carry their bandwidth at once) and
// one-way latency. A round costs one latency; see the package
// documentation for the time formula.
type Network struct {
	Name string `json:"name"`
	// BitsPerSecond is the bandwidth of each direction.
	BitsPerSecond float64 `json:"bits_per_second"`
	// Latency is the one-way delay (half the round-trip time).
	Latency time.Duration `json:"latency_ns"`
	// Source says where the numbers come from.
	Source string `json:"source,omitempty"`
}

// Validate rejects non-positive bandwidth and negative latency.
func (n Network) Validate() error {
	if !(n.BitsPerSecond > 0) {
		return fmt.Errorf("sim: network %q has bandwidth %g bit/s; it must be positive", n.Name, n.BitsPerSecond)
	}
	if n.Latency < 0 {
		return fmt.Errorf("sim: network %q has negative latency %v", n.Name, n.Latency)
	}
	return nil
}

func (n Network) String() string {
	return fmt.Sprintf("%s (%s, %v one-way)", n.Name, formatRate(n.BitsPerSecond), n.Latency)
}

// transfer is the time to move bytes over one direction.
func (n Network) transfer(bytes int64) time.Duration {
	if bytes <= 0 {
		return 0
	}
	return time.Duration(float64(bytes) * 8 / n.BitsPerSecond * float64(time.Second))
}

// LAN is the setting the 2PC transformer papers call LAN: 3 Gbps, as in
// the BOLT and Iron rows of the survey table (papers.md §5.2, secondary),
// with 0.15 ms one-way latency (assumption: a datacenter LAN; the papers'
// RTTs were not seen).
func LAN() Network {
	return Network{Name: "lan", BitsPerSecond: 3e9, Latency: 150 * time.Microsecond,
		Source: "3 Gbps: survey Table 12 (BOLT, Iron), papers.md §5.2 (secondary); latency assumed"}
}

// LAN5G is PUMA's 5 Gbps LAN (papers.md §5.1, secondary), same latency
// assumption as LAN.
func LAN5G() Network {
	return Network{Name: "lan-5g", BitsPerSecond: 5e9, Latency: 150 * time.Microsecond,
		Source: "5 Gbps: PUMA/MPCFormer rows of survey Table 12, papers.md §5.1 (secondary); latency assumed"}
}

// WAN is a 100 Mbps link with 40 ms one-way latency (80 ms RTT): the
// bandwidth the survey quotes for Iron's WAN run (papers.md §5.2,
// secondary); the latency is an assumption (unconfirmed).
func WAN() Network {
	return Network{Name: "wan", BitsPerSecond: 100e6, Latency: 40 * time.Millisecond,
		Source: "100 Mbps: survey Table 8 (Iron at 100 Mbps), papers.md §5.2 (secondary); 80 ms RTT assumed"}
}

// WANFast is a 400 Mbps, 20 ms one-way link (assumption: the upper end of
// the WAN settings 2PC papers use; unconfirmed).
func WANFast() Network {
	return Network{Name: "wan-fast", BitsPerSecond: 400e6, Latency: 20 * time.Millisecond,
		Source: "assumption (unconfirmed)"}
}

// InProcess is the "link" of the in-process secure engine: both parties
// share one machine's memory, so there is no latency and no transfer time
// to speak of (1 Pbps stands for unbounded). The cost of moving bytes
// between the parties' goroutines is compute, which Ours counts in its
// kernels (ours/round, ours/open).
func InProcess() Network {
	return Network{Name: "in-process", BitsPerSecond: 1e15, Latency: 0,
		Source: "both parties in one process (secure.Engine): no network delay"}
}

// Networks lists the presets.
func Networks() []Network { return []Network{LAN(), LAN5G(), WAN(), WANFast()} }

// CustomNetwork is a named link of the given bandwidth and one-way
// latency. Use it for a shaped loopback run: pass the shaper's settings,
// and the estimate prices the same link the real run was given.
func CustomNetwork(name string, bitsPerSecond float64, latency time.Duration) (Network, error) {
	n := Network{Name: name, BitsPerSecond: bitsPerSecond, Latency: latency, Source: "custom"}
	return n, n.Validate()
}

// ParseNetwork accepts a preset name (lan, lan-5g, wan, wan-fast) or
// "RATE/LATENCY" such as "1Gbps/0.5ms" or "200mbps/30ms" (latency is
// one-way; units bps, kbps, mbps, gbps and Go durations).
func ParseNetwork(s string) (Network, error) {
	for _, n := range append(Networks(), InProcess()) {
		if strings.EqualFold(n.Name, s) {
			return n, nil
		}
	}
	rate, lat, ok := strings.Cut(s, "/")
	if !ok {
		var names []string
		for _, n := range Networks() {
			names = append(names, n.Name)
		}
		return Network{}, fmt.Errorf("sim: unknown network %q (want %s, or RATE/LATENCY like 1Gbps/0.5ms)", s, strings.Join(names, ", "))
	}
	bps, err := parseRate(rate)
	if err != nil {
		return Network{}, err
	}
	d, err := time.ParseDuration(strings.TrimSpace(lat))
	if err != nil {
		return Network{}, fmt.Errorf("sim: network latency %q: %v", lat, err)
	}
	return CustomNetwork(s, bps, d)
}

func parseRate(s string) (float64, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	mult := 1.0
	for _, u := range []struct {
		suffix string
		m      float64
	}{{"gbps", 1e9}, {"mbps", 1e6}, {"kbps", 1e3}, {"bps", 1}} {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSuffix(t, u.suffix), u.m
			break
		}
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(t), 64)
	if err != nil || v <= 0 {
		return 0, fmt.Errorf("sim: bandwidth %q is not a positive rate like 1Gbps or 100mbps", s)
	}
	return v * mult, nil
}

func formatRate(bps float64) string {
	switch {
	case bps >= 1e12:
		return "unbounded"
	case bps >= 1e9:
		return strconv.FormatFloat(bps/1e9, 'g', 4, 64) + " Gbps"
	case bps >= 1e6:
		return strconv.FormatFloat(bps/1e6, 'g', 4, 64) + " Mbps"
	default:
		return strconv.FormatFloat(bps/1e3, 'g', 4, 64) + " kbps"
	}
}
