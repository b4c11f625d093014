package plots_test

import (
	"go/ast"
	"go/constant"
	"go/parser"
	"go/token"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/traefik/yaegi/interp"
	"github.com/traefik/yaegi/stdlib"

	"github.com/marill-go/marill/mpc"
	"github.com/marill-go/marill/plots"
)

// plotsSymbols is what `yaegi extract github.com/marill-go/marill/plots`
// generates; TestYaegiSymbolsComplete keeps it in step with the package.
var plotsSymbols = map[string]reflect.Value{
	// function, constant and variable definitions
	"Ablation":       reflect.ValueOf(plots.Ablation),
	"Activation":     reflect.ValueOf(plots.Activation),
	"AntiDiagonal":   reflect.ValueOf(plots.AntiDiagonal),
	"Bytes":          reflect.ValueOf(plots.Bytes),
	"Client":         reflect.ValueOf(plots.Client),
	"ClientLayer":    reflect.ValueOf(plots.ClientLayer),
	"Comm":           reflect.ValueOf(plots.Comm),
	"CommClient":     reflect.ValueOf(plots.CommClient),
	"CommServer":     reflect.ValueOf(plots.CommServer),
	"Compare":        reflect.ValueOf(plots.Compare),
	"CompareLayers":  reflect.ValueOf(plots.CompareLayers),
	"Count":          reflect.ValueOf(plots.Count),
	"Cross":          reflect.ValueOf(plots.Cross),
	"Diagonal":       reflect.ValueOf(plots.Diagonal),
	"Frontier":       reflect.ValueOf(plots.Frontier),
	"HigherIsBetter": reflect.ValueOf(plots.HigherIsBetter),
	"Horizontal":     reflect.ValueOf(plots.Horizontal),
	"KindStyle":      reflect.ValueOf(plots.KindStyle),
	"Kinds":          reflect.ValueOf(plots.Kinds),
	"Layers":         reflect.ValueOf(plots.Layers),
	"LegendAuto":     reflect.ValueOf(plots.LegendAuto),
	"LegendHidden":   reflect.ValueOf(plots.LegendHidden),
	"LegendRight":    reflect.ValueOf(plots.LegendRight),
	"LegendTop":      reflect.ValueOf(plots.LegendTop),
	"Linear":         reflect.ValueOf(plots.Linear),
	"LowerIsBetter":  reflect.ValueOf(plots.LowerIsBetter),
	"MACs":           reflect.ValueOf(plots.MACs),
	"NoHatch":        reflect.ValueOf(plots.NoHatch),
	"Norms":          reflect.ValueOf(plots.Norms),
	"Offline":        reflect.ValueOf(plots.Offline),
	"OpKind":         reflect.ValueOf(plots.OpKind),
	"Other":          reflect.ValueOf(plots.Other),
	"PNGDPI":         reflect.ValueOf(constant.MakeFromLiteral("192", token.INT, 0)),
	"Pareto":         reflect.ValueOf(plots.Pareto),
	"ParseMetric":    reflect.ValueOf(plots.ParseMetric),
	"Percent":        reflect.ValueOf(plots.Percent),
	"Plain":          reflect.ValueOf(plots.Plain),
	"Rounds":         reflect.ValueOf(plots.Rounds),
	"RowKind":        reflect.ValueOf(plots.RowKind),
	"Seconds":        reflect.ValueOf(plots.Seconds),
	"SeriesStyle":    reflect.ValueOf(plots.SeriesStyle),
	"Sharing":        reflect.ValueOf(plots.Sharing),
	"Softmax":        reflect.ValueOf(plots.Softmax),
	"Time":           reflect.ValueOf(plots.Time),
	"Totals":         reflect.ValueOf(plots.Totals),
	"Truncation":     reflect.ValueOf(plots.Truncation),
	"Vertical":       reflect.ValueOf(plots.Vertical),

	// type definitions
	"Axis":        reflect.ValueOf((*plots.Axis)(nil)),
	"Better":      reflect.ValueOf((*plots.Better)(nil)),
	"Figure":      reflect.ValueOf((*plots.Figure)(nil)),
	"Hatch":       reflect.ValueOf((*plots.Hatch)(nil)),
	"Kind":        reflect.ValueOf((*plots.Kind)(nil)),
	"LegendPlace": reflect.ValueOf((*plots.LegendPlace)(nil)),
	"Line":        reflect.ValueOf((*plots.Line)(nil)),
	"Metric":      reflect.ValueOf((*plots.Metric)(nil)),
	"Options":     reflect.ValueOf((*plots.Options)(nil)),
	"Point":       reflect.ValueOf((*plots.Point)(nil)),
	"Style":       reflect.ValueOf((*plots.Style)(nil)),
	"Unit":        reflect.ValueOf((*plots.Unit)(nil)),
}

// TestYaegiSymbolsComplete: every exported identifier of the package is in
// plotsSymbols, so the notebook test below exercises the real surface.
func TestYaegiSymbolsComplete(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var missing []string
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			var names []string
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Recv == nil {
					names = append(names, d.Name.Name)
				}
			case *ast.GenDecl:
				for _, s := range d.Specs {
					switch s := s.(type) {
					case *ast.TypeSpec:
						names = append(names, s.Name.Name)
						if s.TypeParams != nil && s.Name.IsExported() {
							t.Errorf("exported generic type %s: yaegi cannot see it", s.Name.Name)
						}
					case *ast.ValueSpec:
						for _, n := range s.Names {
							names = append(names, n.Name)
						}
						if d.Tok == token.VAR {
							for _, n := range s.Names {
								if n.IsExported() {
									t.Errorf("exported variable %s: notebooks cannot assign package variables", n.Name)
								}
							}
						}
					}
				}
			}
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Type.TypeParams != nil && fd.Name.IsExported() {
				t.Errorf("exported generic function %s: yaegi cannot see it", fd.Name.Name)
			}
			for _, n := range names {
				if _, ok := plotsSymbols[n]; ast.IsExported(n) && !ok {
					missing = append(missing, n)
				}
			}
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("plotsSymbols lacks %v; regenerate with go tool yaegi extract", missing)
	}
}

// notebook is a cell a researcher might run: every chart type, options as
// struct literals, constants, methods on the figure.
const notebook = `
package main

import (
	"path/filepath"

	"fixtures"
	"github.com/marill-go/marill/mpc"
	"github.com/marill-go/marill/plots"
)

func Run(dir string) (int, error) {
	r := fixtures.Report()
	total := 0
	f, err := plots.Layers(r, plots.Comm, plots.Options{Width: 5, Height: 3, LogY: true})
	if err != nil {
		return 0, err
	}
	img, err := f.PNG()
	if err != nil {
		return 0, err
	}
	total += len(img)
	g, err := plots.Compare([]string{"standard", "Marill"}, []*mpc.Report{r, r}, plots.Time, plots.Options{Legend: plots.LegendTop})
	if err != nil {
		return 0, err
	}
	svg, err := g.SVG()
	if err != nil {
		return 0, err
	}
	total += len(svg)
	h, err := plots.CompareLayers([]string{"a", "b"}, []*mpc.Report{r, r}, plots.Rounds, plots.Options{})
	if err != nil {
		return 0, err
	}
	svg, err = h.SVG()
	if err != nil {
		return 0, err
	}
	total += len(svg)
	lines := []plots.Line{{Name: "LoRA r=8", X: []float64{0, 2, 4}, Y: []float64{3e9, 2e9, 1e9}}}
	a, err := plots.Ablation(lines, plots.Axis{Label: "frozen layers"}, plots.Comm.Axis(mpc.Estimated), plots.Options{})
	if err != nil {
		return 0, err
	}
	svg, err = a.SVG()
	if err != nil {
		return 0, err
	}
	total += len(svg)
	pts := []plots.Point{{Name: "standard", Cost: 3, Quality: 0.9}, {Name: "Marill", Cost: 1, Quality: 0.88}}
	p, err := plots.Pareto(pts, plots.Axis{Label: "time", Unit: plots.Seconds}, plots.Axis{Label: "accuracy", Unit: plots.Percent}, plots.HigherIsBetter, plots.Options{})
	if err != nil {
		return 0, err
	}
	if err := p.Save(filepath.Join(dir, "pareto.png")); err != nil {
		return 0, err
	}
	if plots.OpKind("lut") != plots.Other {
		return 0, nil
	}
	return total, nil
}

func Fig() *plots.Figure {
	f, _ := plots.Layers(fixtures.Report(), plots.Time, plots.Options{})
	return f
}
`

// TestYaegiNotebook runs every chart type from interpreted code, as the
// REPL and the Jupyter kernel do.
func TestYaegiNotebook(t *testing.T) {
	i := interp.New(interp.Options{})
	if err := i.Use(stdlib.Symbols); err != nil {
		t.Fatal(err)
	}
	exports := interp.Exports{
		"github.com/marill-go/marill/plots/plots": plotsSymbols,
		"github.com/marill-go/marill/mpc/mpc": {
			"Report":    reflect.ValueOf((*mpc.Report)(nil)),
			"Estimated": reflect.ValueOf(mpc.Estimated),
			"Measured":  reflect.ValueOf(mpc.Measured),
		},
		"fixtures/fixtures": {"Report": reflect.ValueOf(func() *mpc.Report { return report("bert-base", 1) })},
	}
	if err := i.Use(exports); err != nil {
		t.Fatal(err)
	}
	if _, err := i.Eval(notebook); err != nil {
		t.Fatal(err)
	}
	v, err := i.Eval("main.Run")
	if err != nil {
		t.Fatal(err)
	}
	run, ok := v.Interface().(func(string) (int, error))
	if !ok {
		t.Fatalf("main.Run is %T", v.Interface())
	}
	dir := t.TempDir()
	n, err := run(dir)
	if err != nil {
		t.Fatal(err)
	}
	if n < 20000 {
		t.Errorf("interpreted charts rendered only %d bytes", n)
	}
	// The REPL displays a cell's value by asserting these methods host-side.
	v, err = i.Eval("main.Fig()")
	if err != nil {
		t.Fatal(err)
	}
	fig, ok := v.Interface().(interface {
		PNG() ([]byte, error)
		SVG() ([]byte, error)
		DisplaySize() (int, int)
	})
	if !ok {
		t.Fatalf("an interpreted cell's figure (%T) lacks PNG/SVG/DisplaySize host-side", v.Interface())
	}
	if b, err := fig.PNG(); err != nil || len(b) == 0 {
		t.Errorf("PNG of the cell's figure: %d bytes, %v", len(b), err)
	}
}
