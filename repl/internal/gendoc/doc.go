// Command gendoc writes the Go doc of the packages marill-repl exposes, as a
// table compiled into the binary (so :doc works for an installed
// marill-repl with no source tree around). It reads the list of packages
// from the yaegi extract go:generate line of symbols.go in the current
// directory: that line is the one list.
//
//	go run ../internal/gendoc -o docs.go     (from repl/symbols, via go generate)
//
// With -path it documents that one package instead, into a table named by
// -var in the package named by -package (package repl's own names, which
// the session provides to the interpreter by hand):
//
//	go run ./internal/gendoc -path github.com/marill-go/marill/repl -package repl -var replDocs -o replsyms_docs.go
package main
