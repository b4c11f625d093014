package pki_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/marill-go/marill/mpc/transport/pki"
)

func ExampleWriteDeployment() {
	dir, _ := os.MkdirTemp("", "deployment")
	defer os.RemoveAll(dir)
	err := pki.WriteDeployment(dir, map[string][]string{pki.Server: {"10.0.0.2"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.pem"))
	for _, f := range files {
		st, _ := os.Stat(f)
		fmt.Println(filepath.Base(f), st.Mode().Perm())
	}
	id, err := pki.LoadIdentity(dir, pki.Server)
	fmt.Println(id.Role, id.Certificate.Leaf.IPAddresses, err)
	// Output:
	// ca.pem -rw-r--r--
	// client-key.pem -rw-------
	// client.pem -rw-r--r--
	// dealer-key.pem -rw-------
	// dealer.pem -rw-r--r--
	// server-key.pem -rw-------
	// server.pem -rw-r--r--
	// server [10.0.0.2] <nil>
}
