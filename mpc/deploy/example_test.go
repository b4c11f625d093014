package deploy_test

import (
	"context"
	"fmt"
	"log"
	"net"
	"sync"
	"time"

	"github.com/marill-go/marill/marill"
	"github.com/marill-go/marill/mpc"
	"github.com/marill-go/marill/mpc/deploy"
)

// Three parties in one process, over loopback TCP: the dealer listens,
// the server listens for the client and dials the dealer, the client
// dials both. Each role gets only its own private input. Their merged
// reports are the in-process engine's report, and the client's logits
// are bit for bit the in-process engine's with the same dealer seed.
func Example() {
	spec := deploy.Spec{Model: "tiny-gpt2", SeqLen: 6, Pretrained: deploy.Pretrained{Seed: 42},
		Knobs: marill.Knobs{FreezeLayers: 1, LoRARank: 2, MergeHeads: 2}}
	r, err := spec.Resolve()
	if err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	prompt := marill.RandomInput(r.ModelConfig, 1)
	weights := deploy.Weights{Seed: 5, Perturb: 0.5} // the server's secret
	// Insecure: plain TCP, for one machine only. Across hosts, give each
	// party Identity: pki.LoadIdentity(dir, role) instead.
	base := deploy.Options{Insecure: true, Wait: 30 * time.Second}

	dealerAt, serverAt := make(chan string, 1), make(chan string, 1)
	var dealer, server, client *deploy.Result
	var errs [3]error
	var wg sync.WaitGroup
	wg.Add(3)
	go func() {
		defer wg.Done()
		o := base
		o.Listen, o.DealerSeed = "127.0.0.1:0", deploy.SeedBytes(9)
		o.Listening = func(a net.Addr) { dealerAt <- a.String() }
		dealer, errs[0] = deploy.RunDealer(ctx, spec, o)
	}()
	d := <-dealerAt
	go func() {
		defer wg.Done()
		o := base
		o.Listen, o.Dealer, o.Weights = "127.0.0.1:0", d, weights
		o.Listening = func(a net.Addr) { serverAt <- a.String() }
		server, errs[1] = deploy.RunServer(ctx, spec, o)
	}()
	s := <-serverAt
	go func() {
		defer wg.Done()
		o := base
		o.Dealer, o.Server, o.Input = d, s, prompt
		client, errs[2] = deploy.RunClient(ctx, spec, o)
	}()
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			log.Fatal(err)
		}
	}
	merged, err := deploy.Merge(client.Report, server.Report, dealer.Report)
	if err != nil {
		log.Fatal(err)
	}

	// The same run in process (all secrets in one place: a check only).
	want, wantReport, err := r.RunInProcess(ctx, weights, 9, prompt)
	if err != nil {
		log.Fatal(err)
	}
	diff, _, _ := mpc.Compare(client.Output, want)
	got, in := merged.Total(), wantReport.Total()
	fmt.Println("logits:", client.Output.Shape(), "differ from in-process by", diff)
	fmt.Println("rounds:", got.Rounds, "in process:", in.Rounds)
	fmt.Println("same bytes:", got.SentClient == in.SentClient && got.SentServer == in.SentServer &&
		got.OfflineClient == in.OfflineClient && got.OfflineServer == in.OfflineServer)
	// Output:
	// logits: [1×64] differ from in-process by 0
	// rounds: 80 in process: 80
	// same bytes: true
}
