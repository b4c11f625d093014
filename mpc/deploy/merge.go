package deploy

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/marill-go/marill/mpc"
	"github.com/marill-go/marill/mpc/secure"
	"github.com/marill-go/marill/mpc/transport"
	"github.com/marill-go/marill/sim"
)

// Merge joins the parties' own reports of one distributed run into the
// report the in-process engine gives for the same run
// (secure.MergeViews): per operation the rounds, the bytes each party
// sent, the offline bytes each party received (the dealer's material,
// which crossed the dealer's links and which each party counted as it
// took it, plus the server's masked weights) and the larger of the two
// parties' measured times.
//
// The dealer's report is optional. Given, it must agree with the parties'
// views operation by operation: the material the dealer sent to each
// party is what that party counted as received less what the other party
// sent it offline over their own link. A disagreement means the reports
// come from different runs (or a party's report was edited) and is an
// error.
func Merge(client, server, dealer *mpc.Report) (*mpc.Report, error) {
	merged, err := secure.MergeViews(client, server)
	if err != nil {
		return nil, fmt.Errorf("deploy: %w", err)
	}
	merged.Engine = "secure/2pc-dealer (distributed: merged views)"
	merged.Notes = []string{"distributed run: merged from the client's and the server's own reports (each party's bytes as it sent them, " +
		"each party's offline bytes as it received them; rounds and time the larger of the two views; time measured, network included)."}
	note := func(ns ...string) {
		for _, n := range ns {
			if !slices.Contains(merged.Notes, n) {
				merged.Notes = append(merged.Notes, n)
			}
		}
	}
	note(client.Notes...)
	note(server.Notes...)
	if dealer == nil {
		return merged, nil
	}
	if len(dealer.Rows) != len(merged.Rows) {
		return nil, fmt.Errorf("deploy: the dealer's report has %d rows and the parties' %d: not the same run", len(dealer.Rows), len(merged.Rows))
	}
	for i, d := range dealer.Rows {
		c, s := client.Rows[i], server.Rows[i]
		if d.Scope != c.Scope || d.Op != c.Op {
			return nil, fmt.Errorf("deploy: row %d is %s/%s in the dealer's report and %s/%s in the parties': not the same run", i, d.Scope, d.Op, c.Scope, c.Op)
		}
		// A party's offline column in its own view is the dealer's
		// material plus what the other party sent it offline; the other
		// party's view records the latter as its own offline sends.
		toClient := c.OfflineClient - s.OfflineClient
		toServer := s.OfflineServer - c.OfflineServer
		if d.OfflineClient != toClient || d.OfflineServer != toServer {
			return nil, fmt.Errorf("deploy: row %d (%s/%s): the dealer sent %d bytes of material to the client and %d to the server, the parties counted %d and %d: not the same run",
				i, d.Scope, d.Op, d.OfflineClient, d.OfflineServer, toClient, toServer)
		}
	}
	note(dealer.Notes...)
	note("the dealer's report agrees with the parties' on the material of every operation.")
	return merged, nil
}

// ParseShaping reads a network to emulate as "RATE/LATENCY[/JITTER]" —
// the simulator's network syntax (sim.ParseNetwork: "100mbps/10ms",
// "1gbps/0.5ms", or a preset name such as lan or wan) with an optional
// jitter bound — and returns the transport shaping of one direction.
// Latency is one-way. "" and "none" mean no shaping.
func ParseShaping(s string) (transport.Shaping, sim.Network, error) {
	if s == "" || s == "none" {
		return transport.Shaping{}, sim.Network{}, nil
	}
	var jitter time.Duration
	if parts := strings.Split(s, "/"); len(parts) == 3 {
		j, err := time.ParseDuration(parts[2])
		if err != nil || j < 0 {
			return transport.Shaping{}, sim.Network{}, fmt.Errorf("deploy: shaping %q: bad jitter %q", s, parts[2])
		}
		jitter = j
		s = parts[0] + "/" + parts[1]
	}
	n, err := sim.ParseNetwork(s)
	if err != nil {
		return transport.Shaping{}, sim.Network{}, fmt.Errorf("deploy: shaping: %w", err)
	}
	if n.BitsPerSecond <= 0 {
		return transport.Shaping{}, sim.Network{}, errors.New("deploy: shaping: the bandwidth must be positive")
	}
	sh := transport.Shaping{Latency: n.Latency, Jitter: jitter, Seed: 1}
	if n.BitsPerSecond < 1e15 { // sim's "unbounded" links
		sh.Bandwidth = n.BitsPerSecond / 8
	}
	return sh, n, nil
}
