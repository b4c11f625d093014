package kernel_test

import (
	"fmt"

	"github.com/marill-go/marill/kernel"
	"github.com/marill-go/marill/mpc"
)

// The kernelspec marill-kernel install writes.
func ExampleNewSpec() {
	b, _ := kernel.NewSpec("/usr/local/bin/marill-kernel").JSON()
	fmt.Print(string(b))
	// Output:
	// {
	//   "argv": [
	//     "/usr/local/bin/marill-kernel",
	//     "run",
	//     "{connection_file}"
	//   ],
	//   "display_name": "Go (Marill)",
	//   "language": "go",
	//   "interrupt_mode": "message",
	//   "metadata": {
	//     "debugger": false
	//   }
	// }
}

// A message's signature: hex HMAC-SHA256 of its header, parent header,
// metadata and content under the connection's key. (Python's
// hmac.new(b"key", b'{"msg_type":"x"}{}{}{}', "sha256").hexdigest() gives
// the same.)
func ExampleSigner_Sign() {
	s, _ := kernel.NewSigner("hmac-sha256", "key")
	fmt.Println(s.Sign([]byte(`{"msg_type":"x"}`), []byte("{}"), []byte("{}"), []byte("{}")))
	// Output:
	// 2282ffffd6e72182b2147b922df4101295f0e2d918c7acf0eeda19c870533a00
}

// Render turns a value into the MIME bundle a notebook shows: a tensor
// becomes an HTML table, with its text as the fallback.
func ExampleRender() {
	d := mpc.Zeros(1, 2)
	d.Set(0.5, 0, 1)
	b := kernel.Render(d)
	fmt.Println(b.Data["text/html"])
	fmt.Println(b.Data["text/plain"])
	// Output:
	// <table class="marill-dense">
	// <caption>Dense[1×2]</caption>
	// <thead><tr><th></th><th>0</th><th>1</th></tr></thead>
	// <tbody>
	// <tr><th>0</th><td>0</td><td>0.5</td></tr>
	// </tbody>
	// </table>
	// Dense[1×2]
	//      0.0000    0.5000
}
