package symbols_test

import (
	"fmt"
	"slices"
	"strings"

	"github.com/marill-go/marill/repl/symbols"
)

// The exposed packages, and the Go doc of one of their symbols.
func Example() {
	fmt.Println(slices.Contains(symbols.Paths(), "github.com/marill-go/marill/mpc/secure"))
	doc, ok := symbols.Doc("github.com/marill-go/marill/marill", "Knobs")
	fmt.Println(ok, strings.HasPrefix(doc, "type Knobs struct"))
	// Output:
	// true
	// true true
}
