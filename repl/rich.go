package repl

import (
	"fmt"
	"os"

	"github.com/marill-go/marill/marill/study"
)

// Displayer is implemented by the live output writer of a front end that
// shows values richly (the Jupyter kernel's cell output). When the Stdout
// writer of the evaluation that displays something implements it, Display,
// NewDisplay, DisplayHandle.Update and Progress reach it instead of
// printing text, and displayed values (Result.Values) are not rendered to
// plot files. Its methods may be called from any goroutine.
type Displayer interface {
	// Display shows v as a new output. A non-empty id names the output,
	// so that Update can replace it later.
	Display(v any, id string) error
	// Update replaces the outputs shown under id with v.
	Update(id string, v any) error
}

// Display shows values as outputs of the running input, as a final
// expression would be shown: in a notebook, plots as images and Reports,
// Plans and study results as tables. Evaluated code calls it as
// display(v) or repl.Display(v); inside a session the interpreter provides
// its own version. In compiled code it prints each value with fmt.Println.
func Display(vs ...any) {
	for _, v := range vs {
		fmt.Println(v)
	}
}

// DisplayHandle is an output that can be replaced, for results that
// change during a long run.
type DisplayHandle struct {
	update func(v any)
}

// Update replaces the handle's output with v (in a notebook, in place; in
// a terminal, by printing v).
func (h *DisplayHandle) Update(v any) {
	if h != nil && h.update != nil {
		h.update(v)
	}
}

// NewDisplay shows v, as Display does, and returns a handle that replaces
// it. Inside a session the interpreter provides its own version; in
// compiled code it prints v and the handle prints each update.
func NewDisplay(v any) *DisplayHandle {
	Display(v)
	return &DisplayHandle{update: func(v any) { Display(v) }}
}

// Progress returns a progress display for study.Run (Options.Progress):
// in a notebook, a bar updated in place; in a terminal, study.NewBar on the
// error stream. Inside a session the interpreter provides its own version;
// in compiled code it is study.NewBar(os.Stderr).
func Progress() study.Progress { return study.NewBar(os.Stderr) }

// HTML is HTML to display as such: display(repl.HTML("<b>bold</b>")).
type HTML string

// HTML returns h.
func (h HTML) HTML() string { return string(h) }

func (h HTML) String() string { return string(h) }

// Markdown is Markdown to display rendered.
type Markdown string

// Markdown returns m.
func (m Markdown) Markdown() string { return string(m) }

func (m Markdown) String() string { return string(m) }

// SVG is an SVG image to display.
type SVG string

// SVG returns the image.
func (s SVG) SVG() ([]byte, error) { return []byte(s), nil }

func (s SVG) String() string { return fmt.Sprintf("SVG image (%d bytes)", len(s)) }

// PNG is a PNG image to display.
type PNG []byte

// PNG returns the image.
func (p PNG) PNG() ([]byte, error) { return p, nil }

func (p PNG) String() string { return fmt.Sprintf("PNG image (%d bytes)", len(p)) }
