package transport

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/marill-go/marill/mpc/transport/pki"
)

// The netem experiment: a ping-pong and a bulk transfer over the TLS
// stream between two network namespaces joined by a veth pair whose both
// ends are shaped by tc.
const (
	netemPings     = 30
	netemBulk      = 8 << 20
	netemFrame     = 64 << 10
	netemDelay     = 5 * time.Millisecond // per direction
	netemRateMbit  = 100
	netemRunHash   = "netem test"
	netemHelloVers = "marill-go/netem-test"
)

func TestNetem(t *testing.T) {
	if testing.Short() {
		t.Skip("builds network namespaces")
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root to create network namespaces")
	}
	for _, tool := range []string{"ip", "tc"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("needs %s (Debian: apt-get install iproute2)", tool)
		}
	}
	run := func(args ...string) error {
		out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
		if err != nil {
			return fmt.Errorf("%s: %v: %s", strings.Join(args, " "), err, bytes.TrimSpace(out))
		}
		return nil
	}
	id := os.Getpid() % 10000
	nsA, nsB := fmt.Sprintf("marill%da", id), fmt.Sprintf("marill%db", id)
	vA, vB := fmt.Sprintf("mrl%da", id), fmt.Sprintf("mrl%db", id)
	subnet := fmt.Sprintf("10.213.%d", id%250)
	ipA, ipB := subnet+".1", subnet+".2"
	// Deleting the namespaces removes the veth pair too; registered before
	// anything is created, so a failure half-way still cleans up.
	t.Cleanup(func() {
		run("ip", "netns", "del", nsA)
		run("ip", "netns", "del", nsB)
		run("ip", "link", "del", vA)
	})
	if err := run("ip", "netns", "add", nsA); err != nil {
		t.Skipf("cannot create network namespaces here: %v", err)
	}
	steps := [][]string{
		{"ip", "netns", "add", nsB},
		{"ip", "link", "add", vA, "type", "veth", "peer", "name", vB},
		{"ip", "link", "set", vA, "netns", nsA},
		{"ip", "link", "set", vB, "netns", nsB},
		{"ip", "-n", nsA, "addr", "add", ipA + "/24", "dev", vA},
		{"ip", "-n", nsB, "addr", "add", ipB + "/24", "dev", vB},
		{"ip", "-n", nsA, "link", "set", vA, "up"},
		{"ip", "-n", nsB, "link", "set", vB, "up"},
		{"ip", "-n", nsA, "link", "set", "lo", "up"},
		{"ip", "-n", nsB, "link", "set", "lo", "up"},
	}
	for _, s := range steps {
		if err := run(s...); err != nil {
			t.Fatal(err)
		}
	}
	// netem delays and rate-limits; a kernel without sch_netem (some VMs)
	// still has tbf, which rate-limits only.
	withNetem := true
	rate := fmt.Sprintf("%dmbit", netemRateMbit)
	for _, end := range [][2]string{{nsA, vA}, {nsB, vB}} {
		err := run("ip", "netns", "exec", end[0], "tc", "qdisc", "add", "dev", end[1], "root", "netem",
			"delay", netemDelay.String(), "rate", rate, "limit", "10000")
		if err != nil && withNetem && strings.Contains(err.Error(), "unknown") {
			t.Logf("netem is missing from this kernel (%v): shaping the rate with tbf, latency unchecked", err)
			withNetem = false
		}
		if !withNetem {
			err = run("ip", "netns", "exec", end[0], "tc", "qdisc", "add", "dev", end[1], "root", "tbf",
				"rate", rate, "burst", "32kb", "latency", "100ms")
		}
		if err != nil {
			t.Fatal(err)
		}
	}

	dir := t.TempDir()
	if err := pki.WriteDeployment(dir, map[string][]string{pki.Server: {ipB}, pki.Client: {ipA}}); err != nil {
		t.Fatal(err)
	}
	env := []string{"MARILL_PKI=" + dir, "MARILL_ADDR=" + ipB + ":7770"}
	server := childCommand("netem-server", env, "ip", "netns", "exec", nsB)
	if err := server.Start(); err != nil {
		t.Fatal(err)
	}
	defer server.Process.Kill()
	client := childCommand("netem-client", env, "ip", "netns", "exec", nsA)
	out, err := client.Output()
	if err != nil {
		t.Fatalf("client: %v\n%s", err, out)
	}
	if err := server.Wait(); err != nil {
		t.Fatalf("server: %v", err)
	}
	var rtt, elapsed time.Duration
	found := false
	for sc := bufio.NewScanner(bytes.NewReader(out)); sc.Scan(); {
		if _, err := fmt.Sscanf(sc.Text(), "NETEM rtt=%d elapsed=%d", &rtt, &elapsed); err == nil {
			found = true
		}
	}
	if !found {
		t.Fatalf("no measurement in the client's output:\n%s", out)
	}
	mbit := float64(netemBulk) * 8 / elapsed.Seconds() / 1e6
	t.Logf("median RTT %v (netem: %v), %d MiB in %v = %.1f Mbit/s payload (link %d Mbit/s)",
		rtt, withNetem, netemBulk>>20, elapsed, mbit, netemRateMbit)
	if withNetem {
		if want := 2 * netemDelay; rtt < want*9/10 || rtt > want*2 {
			t.Errorf("median RTT %v, want about %v", rtt, want)
		}
	}
	if mbit > netemRateMbit*1.1 || mbit < netemRateMbit*0.5 {
		t.Errorf("throughput %.1f Mbit/s on a %d Mbit/s link", mbit, netemRateMbit)
	}
}

// netemConnect connects a netem child to its peer over TLS and runs the
// handshake. The server listens, the client dials.
func netemConnect(ctx context.Context, role, peer string) (*Stream, error) {
	id, err := pki.LoadIdentity(os.Getenv("MARILL_PKI"), role)
	if err != nil {
		return nil, err
	}
	addr := os.Getenv("MARILL_ADDR")
	var nc net.Conn
	if role == pki.Server {
		ln, err := Listen(addr, id)
		if err != nil {
			return nil, err
		}
		defer ln.Close()
		nc, _, err = ln.Accept(ctx, peer)
		if err != nil {
			return nil, err
		}
	} else if nc, err = Dial(ctx, addr, id, peer); err != nil {
		return nil, err
	}
	s, err := NewStream(nc, StreamOptions{Context: ctx})
	if err != nil {
		return nil, err
	}
	if _, err := Handshake(ctx, s, Hello{Version: netemHelloVers, Role: role, Run: RunHash([]byte(netemRunHash))}, peer); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// netemServer echoes the pings, takes the bulk transfer and acknowledges
// it.
func netemServer() error {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s, err := netemConnect(ctx, pki.Server, pki.Client)
	if err != nil {
		return err
	}
	defer s.Close()
	for range netemPings {
		p, err := s.Recv()
		if err != nil {
			return err
		}
		if err := s.Send(p); err != nil {
			return err
		}
	}
	for left := netemBulk; left > 0; {
		p, err := s.Recv()
		if err != nil {
			return err
		}
		left -= len(p)
	}
	return s.Send([]byte{1})
}

// netemClient measures and prints "NETEM rtt=<ns> elapsed=<ns>".
func netemClient() error {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s, err := netemConnect(ctx, pki.Client, pki.Server)
	if err != nil {
		return err
	}
	defer s.Close()
	rtts := make([]time.Duration, netemPings)
	for i := range rtts {
		start := time.Now()
		if err := s.Send(make([]byte, 8)); err != nil {
			return err
		}
		if _, err := s.Recv(); err != nil {
			return err
		}
		rtts[i] = time.Since(start)
	}
	slices.Sort(rtts)
	start := time.Now()
	p := make([]byte, netemFrame)
	for range netemBulk / netemFrame {
		if err := s.Send(p); err != nil {
			return err
		}
	}
	if _, err := s.Recv(); err != nil {
		return err
	}
	fmt.Printf("NETEM rtt=%d elapsed=%d\n", rtts[len(rtts)/2], time.Since(start))
	return nil
}
