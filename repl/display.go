package repl

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// pngImage and svgImage are the methods of a displayable plot.
type pngImage interface{ PNG() ([]byte, error) }
type svgImage interface{ SVG() ([]byte, error) }

// shouldDisplay decides whether the values of a final expression statement
// are shown: not the (byte count, nil error) that fmt.Println and other
// writes return.
func shouldDisplay(vals []any) bool {
	if len(vals) == 2 && vals[1] == nil {
		switch vals[0].(type) {
		case int, int64:
			return false
		}
	}
	return len(vals) > 0
}

// maxDisplay bounds the text of a displayed value.
const maxDisplay = 64 << 10

// display renders the values of a final expression statement: a plot (a
// value with a PNG or SVG method) is written to a file whose path is
// shown; anything else is printed as fmt.Println prints it, so Reports,
// Plans and study Results appear as their tables (their String methods).
// A rich front end (a Displayer) renders values itself and gets
// displayText.
func (s *Session) display(vals []any) (string, []string, error) {
	if len(vals) == 1 {
		var data []byte
		var ext string
		var err error
		switch v := vals[0].(type) {
		case pngImage:
			data, err = v.PNG()
			ext = ".png"
		case svgImage:
			data, err = v.SVG()
			ext = ".svg"
		}
		if err != nil {
			return "", nil, fmt.Errorf("repl: rendering %T: %w", vals[0], err)
		}
		if ext != "" {
			path, err := s.writePlot(data, ext)
			if err != nil {
				return "", nil, err
			}
			return "plot written to " + path, []string{path}, nil
		}
	}
	return displayText(vals), nil, nil
}

// displayText prints values as fmt.Println does, without the newline,
// truncated to maxDisplay.
func displayText(vals []any) string {
	text := strings.TrimSuffix(fmt.Sprintln(vals...), "\n")
	if len(text) > maxDisplay {
		text = text[:maxDisplay] + fmt.Sprintf("\n[display truncated: %d bytes]", len(text))
	}
	return text
}

func (s *Session) writePlot(data []byte, ext string) (string, error) {
	if err := os.MkdirAll(s.opts.PlotDir, 0o755); err != nil {
		return "", fmt.Errorf("repl: %w", err)
	}
	f, err := os.CreateTemp(s.opts.PlotDir, "plot-*"+ext)
	if err != nil {
		return "", fmt.Errorf("repl: %w", err)
	}
	_, werr := f.Write(data)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return "", fmt.Errorf("repl: %w", werr)
	}
	return filepath.Abs(f.Name())
}
