package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/marill-go/marill/mpc"
	"github.com/marill-go/marill/plots"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "marill-plot:", err)
		os.Exit(1)
	}
}

const usage = `usage:
  marill-plot layers         [flags] REPORT.json            one bar per layer, stacked by op kind
  marill-plot compare        [flags] NAME=REPORT.json ...   one stacked bar per report, ratios to the first
  marill-plot compare-layers [flags] NAME=REPORT.json ...   per layer, one bar per report

flags:
  -o FILE        output file: .png (192 dpi), .svg or .pdf (required)
  -metric M      comm, comm-client, comm-server, offline, time, rounds or macs (default comm)
  -title T       replace the generated title;  -subtitle S  the generated second line
  -width W       width in inches (default 7);  -height H  height in inches (default 3.8)
  -logy          log scale for the values
  -legend P      right, top or hidden (default: the chart's choice)

Reports are the JSON of mpc.Report, e.g. from marill-sim price -format json.
A NAME may contain "=" (LoRA r=8=lora.json): the last "=" ends it.
`

func run(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stdout, usage)
		return nil
	}
	chart, args := args[0], args[1:]
	fs := flag.NewFlagSet("marill-plot "+chart, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage) }
	out := fs.String("o", "", "output file (.png, .svg or .pdf)")
	metric := fs.String("metric", "comm", "metric")
	var o plots.Options
	fs.StringVar(&o.Title, "title", "", "title")
	fs.StringVar(&o.Subtitle, "subtitle", "", "subtitle")
	fs.Float64Var(&o.Width, "width", 0, "width in inches")
	fs.Float64Var(&o.Height, "height", 0, "height in inches")
	fs.BoolVar(&o.LogY, "logy", false, "log scale")
	legend := fs.String("legend", "", "right, top or hidden")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" {
		return fmt.Errorf("-o FILE is required\n%s", usage)
	}
	m, err := plots.ParseMetric(*metric)
	if err != nil {
		return err
	}
	switch *legend {
	case "":
	case "right":
		o.Legend = plots.LegendRight
	case "top":
		o.Legend = plots.LegendTop
	case "hidden":
		o.Legend = plots.LegendHidden
	default:
		return fmt.Errorf("unknown -legend %q (want right, top or hidden)", *legend)
	}

	var f *plots.Figure
	switch chart {
	case "layers":
		if fs.NArg() != 1 {
			return fmt.Errorf("layers takes one report file, got %d arguments", fs.NArg())
		}
		r, err := readReport(fs.Arg(0))
		if err != nil {
			return err
		}
		f, err = plots.Layers(r, m, o)
		if err != nil {
			return err
		}
	case "compare", "compare-layers":
		if fs.NArg() == 0 {
			return fmt.Errorf("%s takes NAME=REPORT.json arguments", chart)
		}
		var names []string
		var reports []*mpc.Report
		for _, a := range fs.Args() {
			// Names often hold "=" (LoRA r=8); file names rarely do.
			i := strings.LastIndex(a, "=")
			if i < 0 {
				return fmt.Errorf("argument %q is not NAME=REPORT.json", a)
			}
			name, path := a[:i], a[i+1:]
			if name == "" || path == "" {
				return fmt.Errorf("argument %q is not NAME=REPORT.json", a)
			}
			r, err := readReport(path)
			if err != nil {
				return err
			}
			names = append(names, name)
			reports = append(reports, r)
		}
		if chart == "compare" {
			f, err = plots.Compare(names, reports, m, o)
		} else {
			f, err = plots.CompareLayers(names, reports, m, o)
		}
		if err != nil {
			return err
		}
	default:
		return fmt.Errorf("unknown chart %q\n%s", chart, usage)
	}
	if err := f.Save(*out); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s\n", *out)
	return nil
}

func readReport(path string) (*mpc.Report, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	r, err := mpc.ParseReport(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}
