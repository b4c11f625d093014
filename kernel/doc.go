// Package kernel is the Jupyter kernel of Marill-Go: notebooks in Go, with
// marill's packages compiled in, reports and plans shown as tables, plots
// as crisp images, and cells that can be interrupted. Cells are
// interpreted by the same repl.Session that marill-repl uses (yaegi
// v0.16.1: Go 1.21 with the gaps package repl documents). The kernel
// speaks version 5.3 of the Jupyter messaging protocol over ZeroMQ, in
// pure Go (github.com/go-zeromq/zmq4), and signs every message with
// HMAC-SHA256. Command marill-kernel runs it.
//
// # Install
//
//	go install ./cmd/marill-kernel          # or go build -o DIR/marill-kernel ./cmd/marill-kernel
//	marill-kernel install                   # the user's kernelspec (same as --user)
//	marill-kernel install --prefix DIR      # DIR/share/jupyter/kernels/marill
//	jupyter kernelspec list                 # shows marill
//
// install writes kernel.json with the absolute path of the binary it runs
// from: name "marill", display name "Go (Marill)", language "go",
// interrupt_mode "message", argv [binary, "run", "{connection_file}"]. A
// kernelspec under a prefix other than the system's is found with
// JUPYTER_PATH=DIR/share/jupyter. Then open a notebook whose kernel is
// "Go (Marill)" in JupyterLab or Notebook, or run one from the command
// line:
//
//	jupyter nbconvert --to notebook --execute --ExecutePreprocessor.kernel_name=marill notebooks/01-quickstart.ipynb
//	jupyter console --kernel marill
//
// (Debian: apt-get install jupyter-nbconvert jupyter-console; run Jupyter
// with Debian's /usr/bin/python3 when another python3 comes first on PATH.)
//
// # Architecture
//
// Jupyter starts "marill-kernel run FILE" with a connection file naming
// five TCP (or ipc) ports and a key. The kernel binds:
//
//	shell    ROUTER  requests of the front end: execute, complete, inspect, ...
//	control  ROUTER  interrupt, shutdown, kernel_info: answered while a cell runs
//	stdin    ROUTER  (input requests: not used)
//	iopub    PUB     busy/idle status, cell input and output, to every front end
//	hb       REP     heartbeat: every message echoed
//
// Each socket has a reader goroutine that checks each message's signature
// (hex HMAC-SHA256 of header, parent header, metadata and content; a
// message signed with another key, or repeating a recent signature, is
// logged on stderr and dropped, with no reply). Shell requests are handled
// one at a time, in order; control requests at once, on their own
// goroutine, so an interrupt reaches a running cell. Every request, on
// either socket, is answered between a "busy" and an "idle" status whose
// parent is the request, with the reply's parent header the request's
// header exactly as received. Messages are made by Signer.Encode and read
// by Signer.Decode (identities, "<IDS|MSG>", signature, the four JSON
// parts, buffers).
//
// A cell runs in the kernel's one repl.Session: execute_input, then the
// cell's output as it comes, then an execute_result (when the cell ends
// with an expression) or exactly one error, then the execute_reply. The
// session's output writers are set per cell to a cellOutput that sends
// text as stream messages, batched for up to Options.FlushInterval (50
// ms) or 64 KiB, and displays as display_data; everything it sends
// carries the cell's request as parent, so front ends show it in that
// cell. Goroutines a cell starts keep its cellOutput: what they print with
// fmt.Print*, display or panic with goes to the cell that started them,
// also while later cells run (repl tracks goroutines through the go
// statements it rewrites; writes to os.Stdout and log output of such
// goroutines go to the running cell).
//
// # Messages
//
//	kernel_info_request   protocol 5.3, implementation marill-kernel, language_info
//	                      {name go, version 1.21, mimetype text/x-go, file_extension .go}
//	execute_request       stream, execute_input, execute_result, display_data,
//	                      update_display_data, error; silent and store_history honoured;
//	                      stop_on_error aborts the execute requests already queued
//	                      (status "aborted"); user_expressions are not evaluated ({})
//	complete_request      packages, their symbols, keywords, the session's names, fields
//	                      and methods of a variable's type (positions in code points)
//	inspect_request       the Go doc of the name at the cursor, or of the call it is in
//	                      or after (marill's docs compiled in; the standard library's
//	                      from `go doc` when the go command is installed)
//	is_complete_request   complete, incomplete (with an indent), invalid
//	history_request       tail, range and search (glob over whole inputs; unique, n),
//	                      with outputs if asked; history lives in memory (session 1)
//	comm_info_request     no comms; a comm_open is answered by comm_close
//	interrupt_request     cancels the running cell (control channel)
//	shutdown_request      replies (also on IOPub) and exits; a restart is the client's
//
// # Display
//
// Values show without the user calling anything: a cell ending in an
// expression shows its value, rendered by Render; a (value, nil error)
// pair, as many calls return, shows the value. Render tries, in order: a
// plot (PNG() and SVG() methods: plots.Figure) as image/png rendered at 2×
// with its display size in the metadata, so it is crisp on high-DPI
// screens, plus image/svg+xml; an image.Image as PNG; a value with
// HTML() string (mpc.Report, *marill.Plan, *study.Results, *sim.WhatIf,
// repl.HTML) as text/html; Markdown() string as text/markdown; an
// *mpc.Dense as an HTML table of its values (first and last rows and
// columns); a study.Status as a progress bar; always with text/plain
// (String, or fmt) as the fallback.
//
// Inside cells, display(v) (short for repl.Display) shows any value the
// same way, anywhere in a cell and from goroutines; repl.HTML,
// repl.Markdown, repl.SVG and repl.PNG wrap raw content. h :=
// repl.NewDisplay(v) shows v and h.Update(w) replaces it in place
// (update_display_data with the display's id); repl.Progress() is a
// study.Progress drawn that way, at most ten updates a second:
//
//	res, err := study.Run(repl.Context(), grid, study.PlanEvaluator(),
//		study.Options{Progress: repl.Progress()})
//
// Methods are seen on compiled types only (the interpreter hides the
// methods of types declared in a notebook), so values of such types show
// as text.
//
// # Interrupts and failures
//
// The kernelspec asks for interrupts as messages: Interrupt cancels the
// running cell's context, an endless loop of interpreted code stops at its
// next step, and the cell fails with one "Interrupted" error; the session
// and its variables stay. Compiled calls stop only if they watch the
// context: pass repl.Context() to long ones (study.Run, engines' runs);
// otherwise the cell returns and the call finishes in the background.
// marill-kernel also interrupts on SIGINT (a terminal's Ctrl-C), and
// exits on SIGTERM.
//
// A panic in a cell — in interpreted code, in compiled code, or in a
// goroutine the cell started — is one error output ("panic", the value,
// the interpreted frames and compiled functions it passed through), and
// the kernel lives on. os.Exit ends the cell, not the kernel.
//
// # Not supported
//
// Input requests (fmt.Scan reads an empty stdin), the debugger, comms and
// widgets, evaluation of user_expressions, and history across kernel
// restarts.
//
// # Tests
//
// Unit tests cover signing and framing, every handler's reply, rendering
// and the kernelspec; TestZMQ runs a kernel on real sockets against a Go
// client. With Debian's Jupyter tools installed
//
//	apt-get install -y python3-jupyter-kernel-test python3-jupyter-client \
//	    python3-nbclient python3-nbformat jupyter-nbconvert jupyter-client
//
// TestJupyter builds the kernel, installs its kernelspec under a temporary
// prefix and runs testdata/test_marill_kernel.py: jupyter_kernel_test's
// conformance suite, and jupyter_client tests of interrupts (message and
// SIGINT), panics, a forged signature, goroutine output, progress
// displays, stop_on_error and shutdown. TestNotebooks executes every
// notebook of notebooks/ with nbconvert on the fresh kernel; with -update
// it writes the executed notebooks back:
//
//	go test ./kernel -run TestNotebooks -update
//
// Both skip when the tools are missing, unless MARILL_REQUIRE_JUPYTER=1.
package kernel
