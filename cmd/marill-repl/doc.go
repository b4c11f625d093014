// Command marill-repl is an interactive Go shell for secure-inference
// research, with marill's packages compiled in.
//
//	marill-repl                      interactive: line editing, history, Tab completion
//	marill-repl -e 'CODE' [-e ...]   evaluate CODE, print its value, exit
//	marill-repl run FILE [ARGS...]   run a Go file's main; ARGS are os.Args[1:]
//
// Flags:
//
//	-e CODE        evaluate CODE (repeatable)
//	-history FILE  history file (default ~/.marill_history or $MARILL_HISTORY; "-" for none)
//
// In -e and run mode the exit status is 1 on any error (a compile error, a
// panic, in a goroutine too), with the error on stderr; os.Exit(n) in the
// code exits with n; an interrupt (Ctrl-C) exits with 130. See package repl
// for the session and the shell.
package main
