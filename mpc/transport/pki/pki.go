package pki

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// The roles of a deployment. A certificate names exactly one role, in its
// subject common name and as a DNS name.
const (
	Client = "client"
	Server = "server"
	Dealer = "dealer"
)

// Roles returns the roles of a deployment: client, server, dealer.
func Roles() []string { return []string{Client, Server, Dealer} }

// ValidRole reports an error unless role is one of Roles.
func ValidRole(role string) error {
	if !slices.Contains(Roles(), role) {
		return fmt.Errorf("pki: unknown role %q (want client, server or dealer)", role)
	}
	return nil
}

// DefaultValidity is how long NewCA's and Issue's certificates last.
const DefaultValidity = 365 * 24 * time.Hour

// clockSkew backdates certificates so that hosts whose clocks run a little
// behind accept them.
const clockSkew = time.Hour

// CA is a deployment's certificate authority. WriteDeployment does not
// keep its key: a deployment is re-made, not extended.
type CA struct {
	Cert *x509.Certificate
	Key  *ecdsa.PrivateKey
}

// NewCA makes a CA with a fresh ECDSA P-256 key, valid for validFor
// (0: DefaultValidity). Its name carries a random id, so two deployments'
// CAs are told apart in error messages.
func NewCA(validFor time.Duration) (*CA, error) {
	if validFor == 0 {
		validFor = DefaultValidity
	}
	if validFor < 0 {
		return nil, fmt.Errorf("pki: negative validity %v", validFor)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("pki: CA key: %w", err)
	}
	serial, err := newSerial()
	if err != nil {
		return nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "marill-go deployment CA " + hex.EncodeToString(serial.Bytes()[:4])},
		NotBefore:             now.Add(-clockSkew),
		NotAfter:              now.Add(validFor),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("pki: CA certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("pki: CA certificate: %w", err)
	}
	return &CA{Cert: cert, Key: key}, nil
}

func newSerial() (*big.Int, error) {
	s, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("pki: serial number: %w", err)
	}
	return s.Add(s, big.NewInt(1<<32)), nil // at least 5 bytes, never 0
}

// Issue makes a certificate for role, signed by the CA, with a fresh
// ECDSA P-256 key. hosts are extra DNS names or IP addresses the
// certificate also names (the role itself is always a DNS name). The
// certificate is good for both ends of a TLS connection, so any role can
// dial or listen. validFor 0 means DefaultValidity.
func (ca *CA) Issue(role string, hosts []string, validFor time.Duration) (*Identity, error) {
	if err := ValidRole(role); err != nil {
		return nil, err
	}
	if validFor == 0 {
		validFor = DefaultValidity
	}
	if validFor < 0 {
		return nil, fmt.Errorf("pki: negative validity %v", validFor)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("pki: %s key: %w", role, err)
	}
	serial, err := newSerial()
	if err != nil {
		return nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: role},
		DNSNames:     []string{role},
		NotBefore:    now.Add(-clockSkew),
		NotAfter:     now.Add(validFor),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	for _, h := range hosts {
		h = strings.TrimSpace(h)
		switch {
		case h == "":
			continue
		case net.ParseIP(h) != nil:
			tmpl.IPAddresses = append(tmpl.IPAddresses, net.ParseIP(h))
		case strings.ContainsAny(h, " /:\t"):
			return nil, fmt.Errorf("pki: %q is neither a host name nor an IP address", h)
		default:
			if !slices.Contains(tmpl.DNSNames, h) {
				tmpl.DNSNames = append(tmpl.DNSNames, h)
			}
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, &key.PublicKey, ca.Key)
	if err != nil {
		return nil, fmt.Errorf("pki: %s certificate: %w", role, err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("pki: %s certificate: %w", role, err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca.Cert)
	return &Identity{
		Role:        role,
		Certificate: tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf},
		Roots:       roots,
	}, nil
}

// Identity is what a party presents and trusts: its role, its certificate
// and key, and the deployment's CA.
type Identity struct {
	Role        string
	Certificate tls.Certificate
	Roots       *x509.CertPool
}

// ClientConfig returns a TLS 1.3 configuration for dialling the peer that
// plays role peer. The peer's certificate must chain to the deployment CA
// and name that role; host names are not checked (the role is the name),
// so parties may dial each other by IP address.
func (id *Identity) ClientConfig(peer string) *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS13,
		// Always present our certificate, even when the listener's CA
		// list does not name its issuer: "signed by unknown authority"
		// on the other side says more than "no certificate".
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &id.Certificate, nil },
		RootCAs:              id.Roots,
		ServerName:           peer,
		// The standard check would compare the dialled host name with the
		// certificate; ours compares roles instead, in VerifyConnection,
		// which runs on every handshake.
		InsecureSkipVerify:     true,
		VerifyConnection:       func(cs tls.ConnectionState) error { return id.verify(cs, x509.ExtKeyUsageServerAuth, []string{peer}) },
		SessionTicketsDisabled: true,
	}
}

// ServerConfig returns a TLS 1.3 configuration for accepting peers that
// play one of the roles accept. Peers must present a certificate that
// chains to the deployment CA (RequireAndVerifyClientCert) and names an
// accepted role.
func (id *Identity) ServerConfig(accept ...string) *tls.Config {
	accept = slices.Clone(accept)
	return &tls.Config{
		MinVersion:             tls.VersionTLS13,
		Certificates:           []tls.Certificate{id.Certificate},
		ClientAuth:             tls.RequireAndVerifyClientCert,
		ClientCAs:              id.Roots,
		VerifyConnection:       func(cs tls.ConnectionState) error { return id.verify(cs, x509.ExtKeyUsageClientAuth, accept) },
		SessionTicketsDisabled: true,
	}
}

// verify checks the peer's certificate chain against the deployment CA and
// its role against want.
func (id *Identity) verify(cs tls.ConnectionState, usage x509.ExtKeyUsage, want []string) error {
	if len(cs.PeerCertificates) == 0 {
		return errors.New("pki: the peer presented no certificate")
	}
	leaf := cs.PeerCertificates[0]
	inter := x509.NewCertPool()
	for _, c := range cs.PeerCertificates[1:] {
		inter.AddCert(c)
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: id.Roots, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{usage}}); err != nil {
		return fmt.Errorf("pki: the peer's certificate (%q, issued by %q) is not from this deployment's CA: %w",
			leaf.Subject.CommonName, leaf.Issuer.CommonName, err)
	}
	role, err := RoleOf(leaf)
	if err != nil {
		return err
	}
	if !slices.Contains(want, role) {
		return fmt.Errorf("pki: the peer's certificate is for the %s, want %s", role, strings.Join(want, " or "))
	}
	return nil
}

// RoleOf returns the role a certificate names.
func RoleOf(c *x509.Certificate) (string, error) {
	role := c.Subject.CommonName
	if err := ValidRole(role); err != nil {
		return "", fmt.Errorf("pki: the certificate names no role (common name %q)", role)
	}
	if !slices.Contains(c.DNSNames, role) {
		return "", fmt.Errorf("pki: the certificate's common name %q is not among its DNS names %v", role, c.DNSNames)
	}
	return role, nil
}

// PeerRole returns the role of a TLS connection's verified peer.
func PeerRole(cs tls.ConnectionState) (string, error) {
	if len(cs.PeerCertificates) == 0 {
		return "", errors.New("pki: the peer presented no certificate")
	}
	return RoleOf(cs.PeerCertificates[0])
}

// File names inside a deployment directory.
const (
	CAFile = "ca.pem"
)

// CertFile and KeyFile name a role's certificate and private key files.
func CertFile(role string) string { return role + ".pem" }

// KeyFile names a role's private key file (mode 0600).
func KeyFile(role string) string { return role + "-key.pem" }

// WriteDeployment makes a fresh CA and a certificate for every role, and
// writes them as PEM files into dir (created 0700 if missing):
// ca.pem, and for each role R, R.pem and R-key.pem (0600). hosts lists
// extra host names or IP addresses per role (keys must be roles; roles
// without an entry get none). The CA's key is not written: to add a host,
// make a new deployment. WriteDeployment refuses a directory that already
// holds ca.pem. Copy ca.pem, R.pem and R-key.pem to the host of role R.
func WriteDeployment(dir string, hosts map[string][]string) error {
	for role := range hosts {
		if err := ValidRole(role); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("pki: %w", err)
	}
	if _, err := os.Stat(filepath.Join(dir, CAFile)); err == nil {
		return fmt.Errorf("pki: %s already holds a deployment (%s); remove it or choose another directory", dir, CAFile)
	}
	ca, err := NewCA(0)
	if err != nil {
		return err
	}
	ids := make([]*Identity, 0, 3)
	for _, role := range Roles() {
		id, err := ca.Issue(role, hosts[role], 0)
		if err != nil {
			return err
		}
		ids = append(ids, id)
	}
	for _, id := range ids {
		key, err := x509.MarshalPKCS8PrivateKey(id.Certificate.PrivateKey)
		if err != nil {
			return fmt.Errorf("pki: %s key: %w", id.Role, err)
		}
		if err := writePEM(filepath.Join(dir, KeyFile(id.Role)), "PRIVATE KEY", key, 0o600); err != nil {
			return err
		}
		if err := writePEM(filepath.Join(dir, CertFile(id.Role)), "CERTIFICATE", id.Certificate.Certificate[0], 0o644); err != nil {
			return err
		}
	}
	// ca.pem last: its presence marks a complete deployment.
	return writePEM(filepath.Join(dir, CAFile), "CERTIFICATE", ca.Cert.Raw, 0o644)
}

func writePEM(path, kind string, der []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode)
	if err != nil {
		return fmt.Errorf("pki: %w", err)
	}
	// An existing file keeps its mode under O_CREATE: force ours.
	if err := f.Chmod(mode); err != nil {
		f.Close()
		return fmt.Errorf("pki: %w", err)
	}
	if err := pem.Encode(f, &pem.Block{Type: kind, Bytes: der}); err != nil {
		f.Close()
		return fmt.Errorf("pki: writing %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("pki: writing %s: %w", path, err)
	}
	return nil
}

// LoadIdentity reads role's identity from a deployment directory: ca.pem,
// role.pem and role-key.pem. It checks that the certificate names role,
// chains to ca.pem and matches the key.
func LoadIdentity(dir, role string) (*Identity, error) {
	if err := ValidRole(role); err != nil {
		return nil, err
	}
	caPEM, err := os.ReadFile(filepath.Join(dir, CAFile))
	if err != nil {
		return nil, fmt.Errorf("pki: %w", err)
	}
	caBlock, _ := pem.Decode(caPEM)
	if caBlock == nil || caBlock.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("pki: %s holds no PEM certificate", filepath.Join(dir, CAFile))
	}
	caCert, err := x509.ParseCertificate(caBlock.Bytes)
	if err != nil {
		return nil, fmt.Errorf("pki: %s: %w", filepath.Join(dir, CAFile), err)
	}
	if !caCert.IsCA {
		return nil, fmt.Errorf("pki: %s is not a CA certificate", filepath.Join(dir, CAFile))
	}
	certPath, keyPath := filepath.Join(dir, CertFile(role)), filepath.Join(dir, KeyFile(role))
	pair, err := tls.LoadX509KeyPair(certPath, keyPath)
	if err != nil {
		return nil, fmt.Errorf("pki: %s identity: %w", role, err)
	}
	leaf := pair.Leaf
	if leaf == nil {
		if leaf, err = x509.ParseCertificate(pair.Certificate[0]); err != nil {
			return nil, fmt.Errorf("pki: %s: %w", certPath, err)
		}
		pair.Leaf = leaf
	}
	got, err := RoleOf(leaf)
	if err != nil {
		return nil, fmt.Errorf("pki: %s: %w", certPath, err)
	}
	if got != role {
		return nil, fmt.Errorf("pki: %s is the %s's certificate, not the %s's", certPath, got, role)
	}
	roots := x509.NewCertPool()
	roots.AddCert(caCert)
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		return nil, fmt.Errorf("pki: %s does not chain to %s: %w", certPath, filepath.Join(dir, CAFile), err)
	}
	return &Identity{Role: role, Certificate: pair, Roots: roots}, nil
}
