package deploy

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/marill-go/marill/marill"
	"github.com/marill-go/marill/mpc"
	"github.com/marill-go/marill/mpc/transport/pki"
)

// three is the outcome of one run of the three roles.
type three struct {
	dealer, server, client          *Result
	dealerErr, serverErr, clientErr error
	ended                           map[string]time.Time // when each role returned
}

func (r three) ok() bool { return r.dealerErr == nil && r.serverErr == nil && r.clientErr == nil }

func (r three) String() string {
	return fmt.Sprintf("dealer: %v\nserver: %v\nclient: %v", r.dealerErr, r.serverErr, r.clientErr)
}

// setup configures runThree.
type setup struct {
	// ctx is every role's context unless roleCtx has one for the role.
	ctx     context.Context
	roleCtx map[string]context.Context
	// ca, when set, issues each role's certificate (TLS); nil runs over
	// plain TCP.
	ca *pki.CA
	// adjust changes a role's options before it starts.
	adjust func(role string, o *Options)
	// roleSpec gives a role another run description.
	roleSpec map[string]Spec
}

// runThree runs the dealer, the server and the client of spec as three
// goroutines over loopback TCP, each with only its own options, the way
// three processes would. The server's weights are drawn from seed 3 with
// perturbation 0.5, the dealer's seed is 7 and the prompt is
// marill.RandomInput(model, 5).
func runThree(t testing.TB, spec Spec, s setup) three {
	t.Helper()
	if s.ctx == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		s.ctx = ctx
	}
	specFor := func(role string) Spec {
		if sp, ok := s.roleSpec[role]; ok {
			return sp
		}
		return spec
	}
	ctxFor := func(role string) context.Context {
		if c, ok := s.roleCtx[role]; ok {
			return c
		}
		return s.ctx
	}
	base := func(role string) Options {
		o := Options{Wait: 20 * time.Second}
		if s.ca == nil {
			o.Insecure = true
		} else {
			id, err := s.ca.Issue(role, nil, 0)
			if err != nil {
				panic(err)
			}
			o.Identity = id
		}
		return o
	}
	var (
		out   three
		mu    sync.Mutex
		wg    sync.WaitGroup
		addrs = map[string]chan string{pki.Dealer: make(chan string, 1), pki.Server: make(chan string, 1)}
	)
	out.ended = map[string]time.Time{}
	end := func(role string) {
		mu.Lock()
		out.ended[role] = time.Now()
		mu.Unlock()
		if c := addrs[role]; c != nil {
			select {
			case c <- "": // it never listened: let the others fail fast
			default:
			}
		}
	}
	wg.Add(3)
	go func() {
		defer wg.Done()
		o := base(pki.Dealer)
		o.Listen = "127.0.0.1:0"
		o.DealerSeed = SeedBytes(7)
		o.Listening = func(a net.Addr) { addrs[pki.Dealer] <- a.String() }
		if s.adjust != nil {
			s.adjust(pki.Dealer, &o)
		}
		out.dealer, out.dealerErr = RunDealer(ctxFor(pki.Dealer), specFor(pki.Dealer), o)
		end(pki.Dealer)
	}()
	d := <-addrs[pki.Dealer]
	go func() {
		defer wg.Done()
		o := base(pki.Server)
		o.Listen = "127.0.0.1:0"
		o.Dealer = d
		o.Weights = Weights{Seed: 3, Perturb: 0.5}
		o.Listening = func(a net.Addr) { addrs[pki.Server] <- a.String() }
		if s.adjust != nil {
			s.adjust(pki.Server, &o)
		}
		out.server, out.serverErr = RunServer(ctxFor(pki.Server), specFor(pki.Server), o)
		end(pki.Server)
	}()
	sa := <-addrs[pki.Server]
	go func() {
		defer wg.Done()
		defer end(pki.Client)
		o := base(pki.Client)
		o.Dealer, o.Server = d, sa
		r, err := specFor(pki.Client).Resolve()
		if err != nil {
			out.clientErr = err
			return
		}
		o.Input = marill.RandomInput(r.ModelConfig, 5)
		if s.adjust != nil {
			s.adjust(pki.Client, &o)
		}
		out.client, out.clientErr = RunClient(ctxFor(pki.Client), specFor(pki.Client), o)
	}()
	wg.Wait()
	return out
}

// inProcess runs the same model (the server's weights) on the
// in-process engine with runThree's dealer seed and prompt.
func inProcess(t *testing.T, spec Spec, w Weights) (*mpc.Dense, *mpc.Report) {
	t.Helper()
	r, err := spec.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	out, rep, err := r.RunInProcess(context.Background(), w, 7, marill.RandomInput(r.ModelConfig, 5))
	if err != nil {
		t.Fatal(err)
	}
	return out, rep
}

func sameCosts(a, b mpc.Row) bool {
	return a.Rounds == b.Rounds && a.SentClient == b.SentClient && a.SentServer == b.SentServer &&
		a.OfflineClient == b.OfflineClient && a.OfflineServer == b.OfflineServer
}

// Three parties over loopback TCP compute what the in-process engine
// computes, bit for bit, and their merged reports are its report.
func TestDistributedRunMatchesInProcess(t *testing.T) {
	for _, tc := range []struct {
		name  string
		model string
		knobs marill.Knobs
	}{
		{"tiny-bert knobs", "tiny-bert", marill.Knobs{FreezeLayers: 1, LoRARank: 2, MergeHeads: 2}},
		{"tiny-gpt2 standard", "tiny-gpt2", marill.Knobs{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec := Spec{Model: tc.model, SeqLen: 6, Knobs: tc.knobs, Pretrained: Pretrained{Seed: 42}}
			res := runThree(t, spec, setup{})
			if !res.ok() {
				t.Fatal(res)
			}
			want, wantRep := inProcess(t, spec, Weights{Seed: 3, Perturb: 0.5})
			if abs, _, err := mpc.Compare(res.client.Output, want); err != nil || abs != 0 {
				t.Errorf("distributed logits differ from the in-process engine's by %g (%v)", abs, err)
			}
			merged, err := Merge(res.client.Report, res.server.Report, res.dealer.Report)
			if err != nil {
				t.Fatal(err)
			}
			if len(merged.Rows) != len(wantRep.Rows) {
				t.Fatalf("%d merged rows, %d in process", len(merged.Rows), len(wantRep.Rows))
			}
			for i, w := range wantRep.Rows {
				g := merged.Rows[i]
				if g.Scope != w.Scope || g.Op != w.Op || g.Place != w.Place || !sameCosts(g, w) {
					t.Errorf("row %d: merged %s/%s %+v, in-process %s/%s %+v", i, g.Scope, g.Op, g.Cost, w.Scope, w.Op, w.Cost)
				}
			}
			gt, wt := merged.Total(), wantRep.Total()
			t.Logf("rounds %d, sent %d/%d, offline %d/%d (in process: %d, %d/%d, %d/%d)", gt.Rounds, gt.SentClient, gt.SentServer,
				gt.OfflineClient, gt.OfflineServer, wt.Rounds, wt.SentClient, wt.SentServer, wt.OfflineClient, wt.OfflineServer)
			if gt.Rounds == 0 || gt.OfflineClient == 0 || gt.OfflineServer == 0 {
				t.Errorf("nothing ran under MPC: %+v", gt.Cost)
			}
			if !strings.Contains(merged.String(), "agrees with the parties'") {
				t.Errorf("merged report:\n%s", merged)
			}
			// A dealer's report that does not match the parties' is refused.
			forged, err := mpc.ParseReport(mustJSON(t, res.dealer.Report))
			if err != nil {
				t.Fatal(err)
			}
			for i := range forged.Rows {
				if forged.Rows[i].OfflineServer > 0 {
					forged.Rows[i].OfflineServer++
					break
				}
			}
			if _, err := Merge(res.client.Report, res.server.Report, forged); err == nil || !strings.Contains(err.Error(), "not the same run") {
				t.Errorf("a forged dealer report: %v", err)
			}
			shifted := *res.server.Report
			shifted.Rows = shifted.Rows[1:]
			if _, err := Merge(res.client.Report, &shifted, nil); err == nil || !strings.Contains(err.Error(), "not the same run") {
				t.Errorf("views of different runs: %v", err)
			}
		})
	}
}

func mustJSON(t *testing.T, r *mpc.Report) []byte {
	t.Helper()
	b, err := r.JSON()
	if err != nil {
		t.Fatal(err)
	}
	return b
}
