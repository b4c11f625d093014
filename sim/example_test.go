package sim_test

import (
	"context"
	"fmt"

	"github.com/marill-go/marill/marill"
	"github.com/marill-go/marill/mpc"
	"github.com/marill-go/marill/sim"
)

// Price BERT-base at 128 tokens under SIGMA (2PC-Dealer): the transformer
// blocks' online bytes, rounds and key material match the published run.
func Example() {
	ctx := context.Background()
	r, err := sim.SimulateConfig(ctx, marill.BERTBase(), marill.Knobs{},
		sim.Options{Family: sim.NewSIGMA(), Network: sim.LAN(), Compute: sim.NoCompute()})
	if err != nil {
		panic(err)
	}
	b := sim.Blocks(r)
	fmt.Printf("online %s, %d rounds, key %s per party\n",
		mpc.FormatBytes(b.Sent()), b.Rounds, mpc.FormatBytes(b.OfflineClient))
	// Output: online 1014.6 MiB, 1129 rounds, key 16.80 GiB per party
}

// The simulator is an mpc.Engine: model code runs on it unchanged.
func ExampleNew() {
	e, err := sim.New(sim.Options{Family: sim.NewCrypTen(), Network: sim.WAN(), Compute: sim.NoCompute()})
	if err != nil {
		panic(err)
	}
	x := e.Share(e.Input(mpc.Zeros(128, 768), mpc.Client))
	w := e.Input(mpc.Zeros(768, 768), mpc.Server)
	e.GeLU(e.MatMul(x, w), mpc.GeLUQuad)
	t := e.Report().Total()
	fmt.Println(t.Rounds, mpc.FormatBytes(t.Sent()), t.Time)
	// Output: 2 12.0 MiB 583.316479ms
}

// Marill's what-if for OpenLLaMA-3B in the 3PC setting (PUMA): the gains
// of all three techniques over standard fine-tuning.
func ExampleRunWhatIf() {
	f, _ := sim.FamilyForSetting(sim.ThreePC)
	w, err := sim.RunWhatIf(context.Background(), marill.OpenLLaMA3Bv2(),
		sim.Options{Family: f, Network: sim.LAN(), Compute: sim.NoCompute()},
		sim.WhatIfOptions{Freeze: 0.5, LoRARank: 8, MergeHeads: 4})
	if err != nil {
		panic(err)
	}
	tg, cg, _, _ := w.Marill()
	fmt.Printf("time %.2f×, communication %.2f×\n", tg, cg)
	// Output: time 2.45×, communication 2.46×
}

// Networks are presets or RATE/LATENCY strings (latency one-way).
func ExampleParseNetwork() {
	n, err := sim.ParseNetwork("1Gbps/0.5ms")
	fmt.Println(n, err)
	// Output: 1Gbps/0.5ms (1 Gbps, 500µs one-way) <nil>
}
