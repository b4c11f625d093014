package main

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/marill-go/marill/mpc"
)

func writeReport(t *testing.T, dir, name string, scale int64, kind mpc.TimeKind) string {
	t.Helper()
	r := &mpc.Report{
		Engine: "test", TimeKind: kind,
		Meta: mpc.Meta{Model: "bert-base", SeqLen: 128, Protocol: "2PC-Dealer", Network: "LAN"},
		Rows: []mpc.Row{
			{Scope: "embed", Op: "embed", Place: mpc.OnClient, Cost: mpc.Cost{Count: 1, Time: time.Millisecond}},
			{Scope: "block0/attn", Op: "softmax", Place: mpc.Interactive, Cost: mpc.Cost{Count: 1, Rounds: 9, SentClient: scale << 20, SentServer: scale << 20, Time: 40 * time.Millisecond}},
			{Scope: "block0/ffn", Op: "gelu", Place: mpc.Interactive, Cost: mpc.Cost{Count: 1, Rounds: 6, SentClient: scale << 19, SentServer: scale << 19, Time: 30 * time.Millisecond}},
			{Scope: "head", Op: "reveal", Place: mpc.Interactive, Cost: mpc.Cost{Count: 1, Rounds: 1, SentServer: 64, Time: time.Millisecond}},
		},
	}
	b, err := r.JSON()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestRun(t *testing.T) {
	dir := t.TempDir()
	std := writeReport(t, dir, "std.json", 4, mpc.Estimated)
	mar := writeReport(t, dir, "marill.json", 1, mpc.Estimated)
	cases := [][]string{
		{"layers", "-o", filepath.Join(dir, "layers.png"), std},
		{"layers", "-metric", "time", "-logy", "-o", filepath.Join(dir, "time.svg"), mar},
		{"compare", "-o", filepath.Join(dir, "knobs.pdf"), "standard=" + std, "LoRA r=8=" + mar},
		{"compare-layers", "-metric", "rounds", "-legend", "right", "-width", "5", "-o", filepath.Join(dir, "cl.png"), "a=" + std, "b=" + mar},
	}
	for _, args := range cases {
		var out, errb bytes.Buffer
		if err := run(args, &out, &errb); err != nil {
			t.Fatalf("%v: %v (%s)", args, err, errb.String())
		}
		if !strings.HasPrefix(out.String(), "wrote ") {
			t.Errorf("%v: output %q", args, out.String())
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "cl.png"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(b))
	if err != nil || cfg.Width != 5*192 {
		t.Errorf("cl.png: %v, %d px wide, want %d", err, cfg.Width, 5*192)
	}
	svg, _ := os.ReadFile(filepath.Join(dir, "time.svg"))
	if !strings.Contains(string(svg), "time, estimated") {
		t.Error("time chart does not say estimated")
	}
}

func TestRunErrors(t *testing.T) {
	dir := t.TempDir()
	std := writeReport(t, dir, "std.json", 1, mpc.NoTime)
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"schema": 7}`), 0o644)
	out := filepath.Join(dir, "x.png")
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"layers", std}, "-o FILE is required"},
		{[]string{"layers", "-o", out}, "one report file"},
		{[]string{"layers", "-o", out, "-metric", "speed", std}, "unknown metric"},
		{[]string{"layers", "-o", out, "-metric", "time", std}, "has no times"},
		{[]string{"layers", "-o", out, bad}, "schema 7"},
		{[]string{"layers", "-o", out, filepath.Join(dir, "missing.json")}, "no such file"},
		{[]string{"layers", "-o", out, "-legend", "left", std}, "unknown -legend"},
		{[]string{"compare", "-o", out, std}, "not NAME=REPORT.json"},
		{[]string{"compare", "-o", out}, "NAME=REPORT.json arguments"},
		{[]string{"pie", "-o", out, std}, "unknown chart"},
		{[]string{"layers", "-o", filepath.Join(dir, "x.gif"), std}, "unknown extension"},
	}
	for _, c := range cases {
		var o, e bytes.Buffer
		err := run(c.args, &o, &e)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want %q", c.args, err, c.want)
		}
	}
	var o bytes.Buffer
	if err := run([]string{"help"}, &o, &o); err != nil || !strings.Contains(o.String(), "usage:") {
		t.Errorf("help: %v %q", err, o.String())
	}
}
