package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/marill-go/marill/marill"
	"github.com/marill-go/marill/mpc"
	"github.com/marill-go/marill/mpc/deploy"
)

// binary is the marill-party command, built once for the tests that
// start processes.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "marill-party-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "marill-party")
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	build := exec.Command(goTool, "build", "-o", binary, ".")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building marill-party: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// syncBuffer collects a process's output while it runs.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// proc is a running marill-party process.
type proc struct {
	name           string
	cmd            *exec.Cmd
	stdout, stderr syncBuffer
	done           chan struct{}
	err            error
	exited         time.Time
}

func start(t *testing.T, name string, args ...string) *proc {
	t.Helper()
	p := &proc{name: name, cmd: exec.Command(binary, args...), done: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.err = p.cmd.Wait()
		p.exited = time.Now()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			p.cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("%s stdout:\n%s\n%s stderr:\n%s", p.name, p.stdout.String(), p.name, p.stderr.String())
		}
	})
	return p
}

// wait returns the process's exit error, failing the test after timeout.
func (p *proc) wait(t *testing.T, timeout time.Duration) error {
	t.Helper()
	select {
	case <-p.done:
		return p.err
	case <-time.After(timeout):
		t.Fatalf("%s still running after %v\nstderr:\n%s", p.name, timeout, p.stderr.String())
	}
	return nil
}

// waitFor waits until the process's stderr mentions text.
func (p *proc) waitFor(t *testing.T, text string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !strings.Contains(p.stderr.String(), text) {
		select {
		case <-p.done:
			t.Fatalf("%s exited (%v) before saying %q\nstderr:\n%s", p.name, p.err, text, p.stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not say %q within %v\nstderr:\n%s", p.name, text, timeout, p.stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// addr waits for a process's -addr-file.
func addr(t *testing.T, p *proc, file string) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if b, err := os.ReadFile(file); err == nil && bytes.HasSuffix(b, []byte("\n")) {
			return strings.TrimSpace(string(b))
		}
		select {
		case <-p.done:
			t.Fatalf("%s exited (%v) before listening\nstderr:\n%s", p.name, p.err, p.stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not listen within 20s", p.name)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// deployment is a directory with a run description and certificates.
type deployment struct {
	dir, run, certs string
	spec            deploy.Spec
}

func newDeployment(t *testing.T, spec deploy.Spec) deployment {
	t.Helper()
	d := deployment{dir: t.TempDir(), spec: spec}
	d.run, d.certs = filepath.Join(d.dir, "run.json"), filepath.Join(d.dir, "certs")
	b, err := spec.JSON()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(d.run, b, 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"certs", "-dir", d.certs, "-hosts", "client=127.0.0.1,server=127.0.0.1,dealer=127.0.0.1"}, &out, &out); err != nil {
		t.Fatal(err)
	}
	return d
}

func (d deployment) file(name string) string { return filepath.Join(d.dir, name) }

// parties are the three processes of one run.
type parties struct{ dealer, server, client *proc }

// startParties starts the dealer, then the server, then the client, each
// with the deployment's run description and certificates plus extra
// flags of its own.
func startParties(t *testing.T, d deployment, dealerArgs, serverArgs, clientArgs []string) parties {
	t.Helper()
	common := []string{"-run", d.run, "-certs", d.certs}
	if d.certs == "" {
		common = []string{"-run", d.run, "-insecure"}
	}
	dl := start(t, "dealer", append(append([]string{"dealer"}, common...), append([]string{"-listen", "127.0.0.1:0", "-addr-file", d.file("dealer.addr"),
		"-seed", "7", "-report", d.file("dealer.json")}, dealerArgs...)...)...)
	da := addr(t, dl, d.file("dealer.addr"))
	sv := start(t, "server", append(append([]string{"server"}, common...), append([]string{"-listen", "127.0.0.1:0", "-addr-file", d.file("server.addr"),
		"-dealer", da, "-seed", "3", "-perturb", "0.5", "-report", d.file("server.json")}, serverArgs...)...)...)
	sa := addr(t, sv, d.file("server.addr"))
	cl := start(t, "client", append(append([]string{"client"}, common...), append([]string{"-connect", sa, "-dealer", da,
		"-input-seed", "5", "-report", d.file("client.json"), "-out", d.file("logits.json")}, clientArgs...)...)...)
	return parties{dl, sv, cl}
}

// succeed waits for the three processes to exit 0.
func (ps parties) succeed(t *testing.T) {
	t.Helper()
	for _, p := range []*proc{ps.client, ps.server, ps.dealer} {
		if err := p.wait(t, 60*time.Second); err != nil {
			t.Fatalf("%s: %v\n%s", p.name, err, p.stderr.String())
		}
	}
}

// sameLogits checks the client's -out file against want, bit for bit.
func sameLogits(t *testing.T, d deployment, want *mpc.Dense) {
	t.Helper()
	var got output
	if err := json.Unmarshal(mustRead(t, d.file("logits.json")), &got); err != nil {
		t.Fatal(err)
	}
	g, err := mpc.NewDense(got.Shape, got.Data)
	if err != nil {
		t.Fatal(err)
	}
	if abs, _, err := mpc.Compare(g, want); err != nil || abs != 0 {
		t.Errorf("the processes' logits differ from the in-process engine's by %g (%v)", abs, err)
	}
}

// inProcess runs the deployment's model on the in-process engine with
// the processes' seeds and prompt.
func inProcess(t *testing.T, spec deploy.Spec) (*mpc.Dense, *mpc.Report) {
	t.Helper()
	r, err := spec.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	out, rep, err := r.RunInProcess(context.Background(), deploy.Weights{Seed: 3, Perturb: 0.5}, 7, marill.RandomInput(r.ModelConfig, 5))
	if err != nil {
		t.Fatal(err)
	}
	return out, rep
}

// Over plain TCP, with the client–server link shaped and the offline
// phase first, the processes still compute the in-process logits; every
// party warns that the link is insecure, and refuses a non-loopback
// address.
func TestInsecureShapedPreloaded(t *testing.T) {
	spec := deploy.Spec{Model: "tiny-llama", SeqLen: 4, Knobs: marill.Knobs{LoRARank: 2}, Pretrained: deploy.Pretrained{Seed: 42}, Preload: true}
	d := newDeployment(t, spec)
	d.certs = ""
	shape := []string{"-shape", "1gbps/2ms"}
	start := time.Now()
	ps := startParties(t, d, nil, shape, shape)
	ps.succeed(t)
	for _, p := range []*proc{ps.client, ps.server, ps.dealer} {
		if !strings.Contains(p.stderr.String(), "WARNING: -insecure") {
			t.Errorf("%s did not warn:\n%s", p.name, p.stderr.String())
		}
	}
	want, wantRep := inProcess(t, spec)
	sameLogits(t, d, want)
	// Every round costs at least the shaped 2 ms one way.
	if rounds, took := wantRep.Total().Rounds, time.Since(start); took < time.Duration(rounds)*2*time.Millisecond {
		t.Errorf("%d rounds at 2 ms took %v: not shaped", rounds, took)
	}
	if !strings.Contains(ps.client.stdout.String(), "offline") || !strings.Contains(ps.client.stderr.String(), "preloaded") {
		t.Errorf("no offline phase:\n%s\n%s", ps.client.stdout.String(), ps.client.stderr.String())
	}
	var out bytes.Buffer
	err := run(context.Background(), []string{"dealer", "-run", d.run, "-insecure", "-listen", "192.0.2.1:7000"}, &out, &out)
	if err == nil || !strings.Contains(err.Error(), "not a loopback address") {
		t.Errorf("insecure on a routable address: %v", err)
	}
}

// Three processes on loopback, over TLS with the deployment's
// certificates, compute the in-process engine's logits bit for bit, and
// "merge" of their reports gives the in-process report's rounds and
// bytes row by row.
func TestThreeProcesses(t *testing.T) {
	for _, tc := range []struct {
		model string
		knobs marill.Knobs
	}{
		{"tiny-bert", marill.Knobs{FreezeLayers: 1, LoRARank: 2, MergeHeads: 2}},
		{"tiny-gpt2", marill.Knobs{FreezeLayers: 1, LoRARank: 2, MergeHeads: 2, Softmax: mpc.Softmax2Quad}},
	} {
		t.Run(tc.model, func(t *testing.T) {
			spec := deploy.Spec{Model: tc.model, SeqLen: 6, Knobs: tc.knobs, Pretrained: deploy.Pretrained{Seed: 42}}
			d := newDeployment(t, spec)
			ps := startParties(t, d, nil, nil, nil)
			ps.succeed(t)
			if !strings.Contains(ps.client.stdout.String(), "client: done") {
				t.Errorf("client output:\n%s", ps.client.stdout.String())
			}
			want, wantRep := inProcess(t, spec)
			sameLogits(t, d, want)
			var out, errs bytes.Buffer
			if err := run(context.Background(), []string{"merge", "-format", "json", d.file("client.json"), d.file("server.json"), d.file("dealer.json")}, &out, &errs); err != nil {
				t.Fatal(err, errs.String())
			}
			merged, err := mpc.ParseReport(out.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			if len(merged.Rows) != len(wantRep.Rows) {
				t.Fatalf("%d merged rows, %d in process", len(merged.Rows), len(wantRep.Rows))
			}
			for i, w := range wantRep.Rows {
				m := merged.Rows[i]
				if m.Scope != w.Scope || m.Op != w.Op || m.Rounds != w.Rounds || m.SentClient != w.SentClient || m.SentServer != w.SentServer ||
					m.OfflineClient != w.OfflineClient || m.OfflineServer != w.OfflineServer {
					t.Errorf("row %d: merged %s/%s %+v, in process %s/%s %+v", i, m.Scope, m.Op, m.Cost, w.Scope, w.Op, w.Cost)
				}
			}
			tot := merged.Total()
			t.Logf("%s: %d rounds, sent %s / %s, offline %s / %s", tc.model, tot.Rounds, mpc.FormatBytes(tot.SentClient),
				mpc.FormatBytes(tot.SentServer), mpc.FormatBytes(tot.OfflineClient), mpc.FormatBytes(tot.OfflineServer))
			if merged.Meta.Network != "tls 1.3" {
				t.Errorf("network %q", merged.Meta.Network)
			}
		})
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// failed fails the test unless the process exits with an error within
// timeout, its stderr saying each of parts.
func failed(t *testing.T, p *proc, timeout time.Duration, parts ...string) {
	t.Helper()
	err := p.wait(t, timeout)
	if err == nil {
		t.Errorf("%s exited 0, want a failure", p.name)
		return
	}
	for _, part := range parts {
		if !strings.Contains(p.stderr.String(), part) {
			t.Errorf("%s's error does not mention %q:\n%s", p.name, part, p.stderr.String())
		}
	}
}

// Killing any party mid-run (kill -9) makes the other two exit non-zero
// within the idle timeout plus a little, each naming the party that went
// away. The victim is caught mid-run by the stall test hook.
func TestKilledParty(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	spec := deploy.Spec{Model: "tiny-bert", SeqLen: 6, Knobs: marill.Knobs{LoRARank: 2}, Pretrained: deploy.Pretrained{Seed: 42},
		IdleTimeout: deploy.Duration(2 * time.Second)}
	stall := []string{"-stall-after", "20", "-stall", "1m"}
	for _, victim := range []string{"server", "dealer", "client"} {
		t.Run(victim, func(t *testing.T) {
			d := newDeployment(t, spec)
			args := map[string][]string{victim: stall}
			ps := startParties(t, d, args["dealer"], args["server"], args["client"])
			v := map[string]*proc{"server": ps.server, "dealer": ps.dealer, "client": ps.client}[victim]
			v.waitFor(t, "stalling", 30*time.Second)
			time.Sleep(100 * time.Millisecond)
			killed := time.Now()
			if err := v.cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			slack := time.Duration(spec.IdleTimeout) + 3*time.Second
			named := false
			for _, p := range []*proc{ps.client, ps.server, ps.dealer} {
				if p == v {
					continue
				}
				// Each survivor names the peer it lost; at least one
				// names the victim (the other may see the first survivor
				// leave before it).
				failed(t, p, 30*time.Second, "went away mid-run")
				named = named || strings.Contains(p.stderr.String(), "the "+victim+" went away mid-run")
				if took := p.exited.Sub(killed); took > slack {
					t.Errorf("%s exited %v after the %s was killed (idle timeout %v)", p.name, took, victim, time.Duration(spec.IdleTimeout))
				} else {
					t.Logf("%s exited %v after the kill", p.name, took.Round(time.Millisecond))
				}
			}
			if !named {
				t.Errorf("no survivor names the %s", victim)
			}
		})
	}
}

// A hung party (SIGSTOP: no byte, not even a keepalive) is declared dead
// after the idle timeout; a busy one (stalled, its links alive) is not.
func TestHungAndBusyParties(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	spec := deploy.Spec{Model: "tiny-bert", SeqLen: 6, Knobs: marill.Knobs{LoRARank: 2}, Pretrained: deploy.Pretrained{Seed: 42},
		IdleTimeout: deploy.Duration(time.Second)}
	t.Run("hung server", func(t *testing.T) {
		d := newDeployment(t, spec)
		ps := startParties(t, d, nil, []string{"-stall-after", "20", "-stall", "1m"}, nil)
		ps.server.waitFor(t, "stalling", 30*time.Second)
		stopped := time.Now()
		if err := ps.server.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
			t.Fatal(err)
		}
		defer ps.server.cmd.Process.Signal(syscall.SIGKILL)
		failed(t, ps.client, 30*time.Second, "the server sent nothing, not even a keepalive, for 1s: presumed dead")
		// The last keepalive came at most a third of the timeout before.
		if took := ps.client.exited.Sub(stopped); took < 600*time.Millisecond || took > 4*time.Second {
			t.Errorf("the client gave up %v after the server hung (idle timeout 1s)", took)
		}
		failed(t, ps.dealer, 30*time.Second, "deploy: dealer:")
	})
	t.Run("busy server", func(t *testing.T) {
		d := newDeployment(t, spec)
		start := time.Now()
		ps := startParties(t, d, nil, []string{"-stall-after", "20", "-stall", "3s"}, nil)
		ps.succeed(t)
		if took := time.Since(start); took < 3*time.Second {
			t.Errorf("the run took %v: the server did not stall", took)
		}
	})
}

// A client with another deployment's certificate, or with a run
// description that differs from the others', is refused before anything
// is computed, with an error that says why.
func TestRefusedClients(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	spec := deploy.Spec{Model: "tiny-bert", SeqLen: 6, Knobs: marill.Knobs{LoRARank: 2, MergeHeads: 2}, Pretrained: deploy.Pretrained{Seed: 42}}
	t.Run("another deployment's certificate", func(t *testing.T) {
		d := newDeployment(t, spec)
		other := newDeployment(t, spec)
		ps := startParties(t, d, []string{"-wait", "3s"}, []string{"-wait", "10s"}, []string{"-certs", other.certs})
		failed(t, ps.client, 10*time.Second, "not from this deployment's CA")
		failed(t, ps.dealer, 10*time.Second, "no client connected within 3s")
		failed(t, ps.server, 15*time.Second, "the dealer ended the setup")
		if !strings.Contains(ps.dealer.stderr.String(), "refused a connection") {
			t.Errorf("the dealer did not log the refused client:\n%s", ps.dealer.stderr.String())
		}
		if _, err := os.Stat(d.file("logits.json")); err == nil {
			t.Error("the refused client wrote an output")
		}
	})
	t.Run("different knobs", func(t *testing.T) {
		d := newDeployment(t, spec)
		ps := startParties(t, d, nil, nil, []string{"-merge", "1"})
		failed(t, ps.client, 10*time.Second, "run description differs", "knobs.merge_heads: ours 1, the peer's 2")
		failed(t, ps.dealer, 10*time.Second, "run description differs", "knobs.merge_heads: ours 2, the peer's 1")
		// The dealer may stop before or after the server's handshake.
		failed(t, ps.server, 10*time.Second, "deploy: server: the dealer")
		if e := ps.server.stderr.String(); !strings.Contains(e, "ended the setup") && !strings.Contains(e, "hung up during the handshake") {
			t.Errorf("server:\n%s", e)
		}
		for _, f := range []string{"client.json", "server.json", "dealer.json", "logits.json"} {
			if _, err := os.Stat(d.file(f)); err == nil {
				t.Errorf("%s written although the run was refused", f)
			}
		}
		// The hash command shows the difference before running.
		var a, b bytes.Buffer
		if err := run(context.Background(), []string{"hash", "-run", d.run}, &a, &a); err != nil {
			t.Fatal(err)
		}
		if err := run(context.Background(), []string{"hash", "-run", d.run, "-merge", "1"}, &b, &b); err != nil {
			t.Fatal(err)
		}
		if a.String()[:64] == b.String()[:64] || !strings.Contains(ps.client.stderr.String(), strings.TrimSpace(b.String()[:64])) {
			t.Errorf("hash printed %q and %q; the client's error:\n%s", a.String(), b.String(), ps.client.stderr.String())
		}
	})
}

// Bad command lines fail with an error naming the problem.
func TestCommandLineErrors(t *testing.T) {
	dir := t.TempDir()
	certs := filepath.Join(dir, "certs")
	var sink bytes.Buffer
	if err := run(context.Background(), []string{"certs", "-dir", certs}, &sink, &sink); err != nil {
		t.Fatal(err)
	}
	runFile := filepath.Join(dir, "run.json")
	if err := os.WriteFile(runFile, []byte(`{"model": "tiny-bert", "seq_len": 4}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "no command"},
		{[]string{"party"}, `unknown command "party"`},
		{[]string{"certs", "-dir", certs}, "ca.pem"},
		{[]string{"certs"}, "no -dir"},
		{[]string{"certs", "-dir", filepath.Join(dir, "c2"), "-hosts", "boss=h"}, "boss"},
		{[]string{"dealer", "-listen", ":0", "-certs", certs}, "no model"},
		{[]string{"dealer", "-model", "tiny-bert", "-listen", ":0"}, "no -certs DIR"},
		{[]string{"dealer", "-model", "tiny-bert", "-listen", ":0", "-certs", dir}, "ca.pem"},
		{[]string{"dealer", "-model", "tiny-bert", "-insecure", "-certs", certs}, "choose one"},
		{[]string{"client", "-run", runFile, "-certs", certs, "-seed", "3"}, "-seed is not a client flag"},
		{[]string{"client", "-run", runFile, "-certs", certs, "-listen", ":0"}, "-listen is not a client flag"},
		{[]string{"dealer", "-run", runFile, "-certs", certs, "-shape", "wan"}, "-shape is not a dealer flag"},
		{[]string{"client", "-run", runFile, "-certs", certs, "-connect", "x:1", "-dealer", "x:2"}, "no prompt"},
		{[]string{"client", "-run", runFile, "-certs", certs, "-ids", "1,x"}, `"x" is not a token id`},
		{[]string{"client", "-run", runFile, "-certs", certs, "-ids", "1,2", "-input-seed", "1"}, "not both"},
		{[]string{"client", "-run", runFile, "-certs", certs, "-ids", "1,2", "-dealer", "x:2", "-connect", "x:1"}, "the prompt has 2 tokens"},
		{[]string{"server", "-run", runFile, "-certs", certs, "-shape", "fast"}, "-shape"},
		{[]string{"server", "-run", filepath.Join(dir, "none.json"), "-certs", certs}, "none.json"},
		{[]string{"server", "-model", "tiny-bert", "-lora-targets", "qq", "-certs", certs}, "-lora-targets"},
		{[]string{"server", "-model", "tiny-bert", "-softmax", "3quad", "-certs", certs}, "-softmax"},
		{[]string{"merge", runFile}, "want client.json server.json"},
		{[]string{"merge", runFile, runFile}, "merge"},
		{[]string{"hash", "-model", "tiny-bert", "-merge", "3"}, "MergeHeads = 3"},
		{[]string{"hash", "-model", "tiny-bert", "-timeout", "-1s"}, "negative idle_timeout"},
	} {
		var out bytes.Buffer
		err := run(context.Background(), c.args, &out, &out)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want one mentioning %q", c.args, err, c.want)
		}
	}
}
