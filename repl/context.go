package repl

import "context"

// Context returns the context of the running evaluation. Inside a session
// (marill-repl, the Jupyter kernel) the interpreter provides its own
// version: the evaluation's context, cancelled by Ctrl-C or an interrupt
// request, so long compiled calls such as study.Run stop with the cell.
// In compiled code — a program written by :save, or a script built with go
// build — it is context.Background().
func Context() context.Context { return context.Background() }
