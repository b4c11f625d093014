package pki

import (
	"crypto/tls"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestWriteAndLoadDeployment(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "deploy")
	hosts := map[string][]string{Server: {"10.0.0.2", "server.example", " "}, Dealer: {"::1"}}
	if err := WriteDeployment(dir, hosts); err != nil {
		t.Fatal(err)
	}
	for _, r := range Roles() {
		st, err := os.Stat(filepath.Join(dir, KeyFile(r)))
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v", KeyFile(r), st.Mode().Perm())
		}
		id, err := LoadIdentity(dir, r)
		if err != nil {
			t.Fatal(err)
		}
		leaf := id.Certificate.Leaf
		if id.Role != r || leaf.Subject.CommonName != r || !slices.Contains(leaf.DNSNames, r) {
			t.Errorf("%s: identity %q, CN %q, DNS %v", r, id.Role, leaf.Subject.CommonName, leaf.DNSNames)
		}
		if got, err := RoleOf(leaf); got != r || err != nil {
			t.Errorf("RoleOf: %q %v", got, err)
		}
	}
	srv, _ := LoadIdentity(dir, Server)
	leaf := srv.Certificate.Leaf
	if !slices.Contains(leaf.DNSNames, "server.example") || len(leaf.IPAddresses) != 1 || !leaf.IPAddresses[0].Equal(net.ParseIP("10.0.0.2")) {
		t.Errorf("server hosts: DNS %v IP %v", leaf.DNSNames, leaf.IPAddresses)
	}
	st, _ := os.Stat(dir)
	if st.Mode().Perm() != 0o700 {
		t.Errorf("directory mode %v", st.Mode().Perm())
	}
	if err := WriteDeployment(dir, nil); err == nil || !strings.Contains(err.Error(), "already holds a deployment") {
		t.Errorf("overwrote a deployment: %v", err)
	}
}

func TestDeploymentErrors(t *testing.T) {
	if err := WriteDeployment(t.TempDir(), map[string][]string{"boss": nil}); err == nil {
		t.Error("unknown role in hosts accepted")
	}
	if err := WriteDeployment(t.TempDir(), map[string][]string{Client: {"a b"}}); err == nil {
		t.Error("bad host accepted")
	}
	dir, other := t.TempDir(), t.TempDir()
	if err := WriteDeployment(dir, nil); err != nil {
		t.Fatal(err)
	}
	if err := WriteDeployment(other, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadIdentity(dir, "boss"); err == nil {
		t.Error("unknown role loaded")
	}
	if _, err := LoadIdentity(t.TempDir(), Client); err == nil {
		t.Error("empty directory loaded")
	}
	copyFile := func(from, to string) {
		b, err := os.ReadFile(from)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(to, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// The dealer's files under the client's names.
	copyFile(filepath.Join(dir, CertFile(Dealer)), filepath.Join(dir, CertFile(Client)))
	copyFile(filepath.Join(dir, KeyFile(Dealer)), filepath.Join(dir, KeyFile(Client)))
	if _, err := LoadIdentity(dir, Client); err == nil || !strings.Contains(err.Error(), "is the dealer's certificate, not the client's") {
		t.Errorf("swapped files: %v", err)
	}
	// A certificate from another deployment.
	copyFile(filepath.Join(other, CertFile(Server)), filepath.Join(dir, CertFile(Server)))
	copyFile(filepath.Join(other, KeyFile(Server)), filepath.Join(dir, KeyFile(Server)))
	if _, err := LoadIdentity(dir, Server); err == nil || !strings.Contains(err.Error(), "does not chain") {
		t.Errorf("foreign certificate: %v", err)
	}
	// A key that does not match the certificate.
	copyFile(filepath.Join(other, KeyFile(Dealer)), filepath.Join(dir, KeyFile(Dealer)))
	if _, err := LoadIdentity(dir, Dealer); err == nil {
		t.Error("mismatched key loaded")
	}
	// A CA file that is not a CA.
	copyFile(filepath.Join(other, CertFile(Client)), filepath.Join(other, CAFile))
	if _, err := LoadIdentity(other, Client); err == nil || !strings.Contains(err.Error(), "not a CA") {
		t.Errorf("leaf as CA: %v", err)
	}
}

// handshake runs a TLS handshake between a dialler and a listener over
// loopback TCP (net.Pipe is unbuffered: two ends writing alerts at once
// would deadlock) and returns both errors.
func handshake(t *testing.T, dial, listen *tls.Config) (dialErr, listenErr error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	a, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	deadline := time.Now().Add(10 * time.Second)
	a.SetDeadline(deadline)
	b.SetDeadline(deadline)
	done := make(chan error, 1)
	go func() {
		s := tls.Server(b, listen)
		err := s.Handshake()
		if err == nil {
			// TLS 1.3 servers check the client's certificate after the
			// client has finished; read to learn the verdict.
			_, err = s.Read(make([]byte, 1))
		}
		b.Close()
		done <- err
	}()
	c := tls.Client(a, dial)
	dialErr = c.Handshake()
	if dialErr == nil {
		c.Write([]byte{1})
	}
	a.Close()
	return dialErr, <-done
}

func TestConfigsCheckRoles(t *testing.T) {
	ca, err := NewCA(0)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]*Identity{}
	for _, r := range Roles() {
		if ids[r], err = ca.Issue(r, nil, 0); err != nil {
			t.Fatal(err)
		}
	}
	if d, l := handshake(t, ids[Client].ClientConfig(Server), ids[Server].ServerConfig(Client)); d != nil || l != nil {
		t.Fatalf("good pair refused: %v; %v", d, l)
	}
	if d, _ := handshake(t, ids[Client].ClientConfig(Server), ids[Dealer].ServerConfig(Client)); d == nil ||
		!strings.Contains(d.Error(), "is for the dealer, want server") {
		t.Errorf("wrong listener role: %v", d)
	}
	if _, l := handshake(t, ids[Dealer].ClientConfig(Server), ids[Server].ServerConfig(Client)); l == nil ||
		!strings.Contains(l.Error(), "is for the dealer, want client") {
		t.Errorf("wrong dialler role: %v", l)
	}
	if _, l := handshake(t, ids[Dealer].ClientConfig(Server), ids[Server].ServerConfig(Client, Dealer)); l != nil {
		t.Errorf("accepted roles: %v", l)
	}
	for _, cfg := range []*tls.Config{ids[Client].ClientConfig(Server), ids[Server].ServerConfig(Client)} {
		if cfg.MinVersion != tls.VersionTLS13 {
			t.Errorf("MinVersion %x", cfg.MinVersion)
		}
	}
	if _, err := ca.Issue("boss", nil, 0); err == nil {
		t.Error("unknown role issued")
	}
	if _, err := NewCA(-1); err == nil {
		t.Error("negative validity accepted")
	}
}
