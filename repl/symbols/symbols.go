package symbols

import (
	"reflect"
	"sort"
	"strings"
)

//go:generate go tool yaegi extract github.com/marill-go/marill/mpc github.com/marill-go/marill/mpc/plain github.com/marill-go/marill/mpc/trace github.com/marill-go/marill/mpc/fn github.com/marill-go/marill/mpc/fxp github.com/marill-go/marill/mpc/secure github.com/marill-go/marill/mpc/proto github.com/marill-go/marill/mpc/transport github.com/marill-go/marill/sim github.com/marill-go/marill/plots github.com/marill-go/marill/marill github.com/marill-go/marill/marill/study github.com/marill-go/marill/marill/train github.com/marill-go/marill/marill/train/data
//go:generate go run ../internal/gendoc -o docs.go

// Symbols maps "import/path/name" to the package's exported symbols, in the
// form interp.Interpreter.Use takes. It is filled by the generated files'
// init functions and read-only afterwards.
var Symbols = map[string]map[string]reflect.Value{}

// Paths lists the import paths of the exposed packages, sorted.
func Paths() []string {
	var ps []string
	for k := range Symbols {
		if i := strings.LastIndexByte(k, '/'); i > 0 {
			ps = append(ps, k[:i])
		}
	}
	sort.Strings(ps)
	return ps
}

// Doc returns the Go doc of an exposed package (name "") or of one of its
// symbols ("Knobs", "Model.FineTune"), as generated from the sources.
func Doc(path, name string) (string, bool) {
	key := path
	if name != "" {
		key += "." + name
	}
	d, ok := docs[key]
	return d, ok
}

// DocNames lists the documented names of an exposed package ("Knobs",
// "Model.FineTune", ...), sorted.
func DocNames(path string) []string {
	var out []string
	for k := range docs {
		if rest, ok := strings.CutPrefix(k, path+"."); ok && !strings.Contains(rest, "/") {
			out = append(out, rest)
		}
	}
	sort.Strings(out)
	return out
}
