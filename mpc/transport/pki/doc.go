// Package pki makes and loads the certificates that let the client, the
// server and the dealer of a Marill-Go deployment authenticate each other
// over TLS 1.3 (see package transport: Dial, Listen).
//
// A deployment is one ECDSA P-256 certificate authority and one
// certificate per role. A certificate names its role ("client", "server"
// or "dealer") as its subject common name and as a DNS name, plus any host
// names or IP addresses it is given; parties check roles, not host names,
// so they may dial each other by IP address. Every certificate serves for
// both ends of a connection, so any role may dial or listen.
//
// WriteDeployment makes a fresh deployment into a directory:
//
//	ca.pem                         the CA certificate (every host needs it)
//	client.pem, client-key.pem     the client's certificate and key (0600)
//	server.pem, server-key.pem
//	dealer.pem, dealer-key.pem
//
// Copy ca.pem, R.pem and R-key.pem to the host that plays role R, where
// LoadIdentity(dir, R) loads them. The CA's private key is not kept: to
// change a host, make a new deployment. NewCA and CA.Issue make the same
// in memory, for tests and single-process runs.
package pki
