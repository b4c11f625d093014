package kernel

import (
	"bytes"
	"fmt"
	"html"
	"image"
	"image/png"
	"strings"

	"github.com/marill-go/marill/marill/study"
	"github.com/marill-go/marill/mpc"
)

// Bundle is a MIME bundle: the data of an execute_result, display_data or
// update_display_data message (MIME type → content) and its metadata.
type Bundle struct {
	Data     map[string]any
	Metadata map[string]any
	// Err is a rendering failure (a plot that did not draw); the bundle
	// then holds what could be rendered, at least text/plain.
	Err error
}

// maxText bounds the text/plain of a rendered value.
const maxText = 64 << 10

// Render turns a value into a MIME bundle, trying in order:
//
//   - a plot (PNG() ([]byte, error) and/or SVG() ([]byte, error), as a
//     plots.Figure has): image/png and image/svg+xml; the PNG's metadata
//     gives its display size (DisplaySize() (w, h int), in CSS pixels) so a
//     2× image shows crisp on high-DPI screens;
//   - an image.Image: image/png;
//   - a table (HTML() string: mpc.Report, *marill.Plan, *study.Results,
//     *sim.WhatIf, repl.HTML): text/html;
//   - Markdown() string (repl.Markdown): text/markdown;
//   - an *mpc.Dense: an HTML table of its values (abbreviated);
//   - a study.Status (repl.Progress): an HTML progress bar;
//
// always with a text/plain fallback (the value's String, or fmt's
// rendering). Methods are found on compiled types only: values of types
// declared in a notebook render as text.
//
// A method that panics (a nil *mpc.Report, say) leaves the text and sets
// Err.
func Render(v any) (b Bundle) {
	b = Bundle{Data: map[string]any{"text/plain": plainText(v)}, Metadata: map[string]any{}}
	fail := func(err error) {
		if b.Err == nil {
			b.Err = err
		}
	}
	defer func() {
		if r := recover(); r != nil {
			b = Bundle{Data: map[string]any{"text/plain": b.Data["text/plain"]}, Metadata: map[string]any{},
				Err: fmt.Errorf("rendering %T panicked: %v", v, r)}
		}
	}()
	if p, ok := v.(interface{ PNG() ([]byte, error) }); ok {
		if data, err := p.PNG(); err != nil {
			fail(fmt.Errorf("PNG of %T: %w", v, err))
		} else {
			b.Data["image/png"] = data // encoding/json writes base64, as Jupyter wants
			if s, ok := v.(interface{ DisplaySize() (int, int) }); ok {
				w, h := s.DisplaySize()
				b.Metadata["image/png"] = map[string]int{"width": w, "height": h}
			}
		}
	}
	if s, ok := v.(interface{ SVG() ([]byte, error) }); ok {
		if data, err := s.SVG(); err != nil {
			fail(fmt.Errorf("SVG of %T: %w", v, err))
		} else {
			b.Data["image/svg+xml"] = string(data)
		}
	}
	switch x := v.(type) {
	case image.Image:
		var buf bytes.Buffer
		if err := png.Encode(&buf, x); err != nil {
			fail(fmt.Errorf("PNG of %T: %w", v, err))
		} else {
			b.Data["image/png"] = buf.Bytes()
		}
	case interface{ HTML() string }:
		b.Data["text/html"] = x.HTML()
	case interface{ Markdown() string }:
		b.Data["text/markdown"] = x.Markdown()
	case *mpc.Dense:
		if x != nil {
			b.Data["text/html"] = denseHTML(x)
		}
	case study.Status:
		b.Data["text/html"] = progressHTML(x)
		b.Data["text/plain"] = progressText(x)
	}
	return b
}

// plainText is fmt's rendering of v, bounded.
func plainText(v any) string {
	var s string
	if err, ok := v.(error); ok && err != nil {
		s = err.Error()
	} else {
		s = fmt.Sprint(v)
	}
	if len(s) > maxText {
		s = s[:maxText] + fmt.Sprintf("\n[display truncated: %d bytes]", len(s))
	}
	return s
}

// Abbreviation of a tensor's table: the first and last rows and columns.
const denseEdge = 4

// denseHTML is a tensor as an HTML table: rows are the leading dimensions
// (indexed), columns the last one; long sides show their first and last
// denseEdge entries around an ellipsis.
func denseHTML(d *mpc.Dense) string {
	shape := d.Shape()
	cols := 1
	if len(shape) > 0 {
		cols = shape[len(shape)-1]
	}
	rows := 0
	if cols > 0 {
		rows = d.Len() / cols
	}
	data := d.Data()
	var b strings.Builder
	fmt.Fprintf(&b, "<table class=\"marill-dense\">\n<caption>Dense%v</caption>\n<thead><tr><th></th>", shape)
	colIdx := abbreviate(cols)
	for _, j := range colIdx {
		if j < 0 {
			b.WriteString("<th>…</th>")
		} else {
			fmt.Fprintf(&b, "<th>%d</th>", j)
		}
	}
	b.WriteString("</tr></thead>\n<tbody>\n")
	for _, i := range abbreviate(rows) {
		if i < 0 {
			fmt.Fprintf(&b, "<tr><th>⋮</th>%s</tr>\n", strings.Repeat("<td>⋮</td>", len(colIdx)))
			continue
		}
		fmt.Fprintf(&b, "<tr><th>%s</th>", rowLabel(shape, i))
		for _, j := range colIdx {
			if j < 0 {
				b.WriteString("<td>…</td>")
			} else {
				fmt.Fprintf(&b, "<td>%.4g</td>", data[i*cols+j])
			}
		}
		b.WriteString("</tr>\n")
	}
	b.WriteString("</tbody>\n</table>")
	return b.String()
}

// abbreviate lists the indices 0..n-1 to show, -1 standing for the
// omitted middle.
func abbreviate(n int) []int {
	var idx []int
	if n <= 2*denseEdge+1 {
		for i := 0; i < n; i++ {
			idx = append(idx, i)
		}
		return idx
	}
	for i := 0; i < denseEdge; i++ {
		idx = append(idx, i)
	}
	idx = append(idx, -1)
	for i := n - denseEdge; i < n; i++ {
		idx = append(idx, i)
	}
	return idx
}

// rowLabel is the index of flattened row i over the leading dimensions.
func rowLabel(shape mpc.Shape, i int) string {
	if len(shape) <= 2 {
		return fmt.Sprint(i)
	}
	lead := shape[:len(shape)-1]
	idx := make([]string, len(lead))
	for k := len(lead) - 1; k >= 0; k-- {
		idx[k] = fmt.Sprint(i % lead[k])
		i /= lead[k]
	}
	return strings.Join(idx, ",")
}

func progressHTML(s study.Status) string {
	return fmt.Sprintf("<div class=\"marill-progress\"><progress value=\"%d\" max=\"%d\" style=\"width: 24em\"></progress> %s</div>",
		s.Done, max(s.Total, 1), html.EscapeString(s.String()))
}

const progressWidth = 30

func progressText(s study.Status) string {
	fill := int(s.Fraction() * progressWidth)
	return "[" + strings.Repeat("=", fill) + strings.Repeat(" ", progressWidth-fill) + "] " + s.String()
}
