// Command marill-kernel is the Jupyter kernel of Marill-Go: Go (interpreted
// by yaegi) with marill's packages compiled in, rich display of reports,
// plans and plots, and interrupts. See package kernel.
//
//	marill-kernel install [--user | --prefix DIR] [--name NAME]   write the kernelspec
//	marill-kernel spec                                           print the kernelspec
//	marill-kernel run CONNECTION_FILE                            serve (Jupyter runs this)
//	marill-kernel version
//
// install writes kernel.json into DIR/share/jupyter/kernels/marill (with
// --prefix) or the user's Jupyter data directory (--user, the default), with
// the absolute path of this binary in argv: install the binary first
// (go install ./cmd/marill-kernel), then run it from where it will stay.
// Then `jupyter kernelspec list` shows "marill", and notebooks whose
// metadata names kernelspec "marill" run on it.
//
// run serves until a client shuts the kernel down. SIGINT interrupts the
// running cell (Jupyter interrupts this kernel with a message, but a
// terminal's Ctrl-C reaches it as a signal); SIGTERM stops the kernel.
package main
