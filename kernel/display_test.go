package kernel

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"image"
	"image/color"
	"image/png"
	"strings"
	"testing"

	"github.com/marill-go/marill/marill"
	"github.com/marill-go/marill/marill/study"
	"github.com/marill-go/marill/mpc"
	"github.com/marill-go/marill/plots"
	"github.com/marill-go/marill/repl"
	"github.com/marill-go/marill/sim"
)

func TestRenderPlot(t *testing.T) {
	r, err := sim.SimulateConfig(context.Background(), marill.Tiny(marill.BERT), marill.Knobs{}, sim.Options{Family: sim.NewSIGMA()})
	if err != nil {
		t.Fatal(err)
	}
	f, err := plots.Layers(r, plots.Comm, plots.Options{})
	if err != nil {
		t.Fatal(err)
	}
	b := Render(f)
	if b.Err != nil {
		t.Fatal(b.Err)
	}
	data, _ := b.Data["image/png"].([]byte)
	cfg, err := png.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("image/png: %v", err)
	}
	w, h := f.DisplaySize()
	meta := b.Metadata["image/png"].(map[string]int)
	// Twice the pixels of the display size: crisp on high-DPI screens.
	if meta["width"] != w || meta["height"] != h || cfg.Width != 2*w || cfg.Height != 2*h {
		t.Errorf("PNG %d×%d px shown at %v (display size %d×%d)", cfg.Width, cfg.Height, meta, w, h)
	}
	if svg, _ := b.Data["image/svg+xml"].(string); !strings.Contains(svg, "<svg") {
		t.Errorf("image/svg+xml: %.80q", svg)
	}
	if b.Data["text/plain"] != f.String() {
		t.Errorf("text/plain %q", b.Data["text/plain"])
	}
	// JSON carries the PNG as base64, as Jupyter wants.
	j, _ := json.Marshal(b.Data)
	if !strings.Contains(string(j), `"image/png":"iVBORw0KGgo`) {
		t.Errorf("PNG in JSON: %.120s", j)
	}

	// Tables: a report and a plan.
	b = Render(r)
	if html, _ := b.Data["text/html"].(string); !strings.Contains(html, "<table") || b.Data["text/plain"] != r.String() {
		t.Errorf("report bundle %v", b.Data)
	}
	pre, err := marill.NewPretrained(marill.Tiny(marill.GPT2), 1)
	if err != nil {
		t.Fatal(err)
	}
	plan := pre.Plan()
	if b = Render(plan); b.Data["text/html"] != plan.HTML() || b.Data["text/plain"] != plan.String() {
		t.Errorf("plan bundle %v", b.Data)
	}
}

func TestRenderValues(t *testing.T) {
	d := mpc.Zeros(2, 12)
	d.Set(1.5, 1, 11)
	html := Render(d).Data["text/html"].(string)
	for _, want := range []string{"<caption>Dense[2×12]</caption>", "<th>…</th>", "<td>1.5</td>", "<th>11</th>"} {
		if !strings.Contains(html, want) {
			t.Errorf("tensor table lacks %q:\n%s", want, html)
		}
	}
	if strings.Contains(html, "<th>5</th>") {
		t.Errorf("column 5 of 12 is shown:\n%s", html)
	}
	if got := Render(mpc.Zeros(2, 3, 2)).Data["text/html"].(string); !strings.Contains(got, "<th>1,2</th>") {
		t.Errorf("rank-3 rows are not indexed by their leading dimensions:\n%s", got)
	}

	st := study.Status{Total: 10, Done: 3}
	b := Render(st)
	if !strings.Contains(b.Data["text/html"].(string), `<progress value="3" max="10"`) || !strings.HasPrefix(b.Data["text/plain"].(string), "[=========      ") {
		t.Errorf("progress %v", b.Data)
	}

	if b := Render(repl.HTML("<b>x</b>")); b.Data["text/html"] != "<b>x</b>" {
		t.Errorf("repl.HTML %v", b.Data)
	}
	if b := Render(repl.Markdown("*x*")); b.Data["text/markdown"] != "*x*" {
		t.Errorf("repl.Markdown %v", b.Data)
	}
	img := image.NewRGBA(image.Rect(0, 0, 3, 2))
	img.Set(1, 1, color.RGBA{255, 0, 0, 255})
	if b := Render(img); b.Data["image/png"] == nil {
		t.Errorf("image.Image %v", b.Data)
	}
	if b := Render(errors.New("bad thing")); b.Data["text/plain"] != "bad thing" || len(b.Data) != 1 {
		t.Errorf("error %v", b.Data)
	}
	if b := Render(strings.Repeat("x", maxText+10)); !strings.HasSuffix(b.Data["text/plain"].(string), "[display truncated: 65546 bytes]") {
		t.Errorf("long text not truncated")
	}
	// A method that panics leaves the text and an error, and no crash.
	var nilReport *mpc.Report
	if b := Render(nilReport); b.Err == nil || b.Data["text/html"] != nil || b.Data["text/plain"] == nil {
		t.Errorf("nil report: %v, %v", b.Data, b.Err)
	}
	if b := Render(badPlot{}); b.Err == nil || !strings.Contains(b.Err.Error(), "no ink") || b.Data["image/svg+xml"] != "<svg/>" {
		t.Errorf("failing PNG: %v, %v", b.Data, b.Err)
	}
}

type badPlot struct{}

func (badPlot) PNG() ([]byte, error) { return nil, errors.New("no ink") }
func (badPlot) SVG() ([]byte, error) { return []byte("<svg/>"), nil }
