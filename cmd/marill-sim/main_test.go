package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runCmd(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(context.Background(), args, &out, &errb)
	return out.String() + errb.String(), err
}

func TestPrice(t *testing.T) {
	out, err := runCmd(t, "price", "-model", "bert-base", "-setting", "2pc-dealer", "-compute", "network-only")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"sigma(bw=50,f=12)", "block11", "total", "priced in"} {
		if !strings.Contains(out, want) {
			t.Errorf("price output lacks %q:\n%s", want, out)
		}
	}
	out, err = runCmd(t, "price", "-model", "tiny-llama", "-seq", "8", "-family", "puma", "-freeze", "0.5", "-lora", "2", "-softmax", "2quad", "-format", "json")
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Meta struct{ Protocol, Knobs string }
		Rows []json.RawMessage
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || !strings.Contains(rep.Meta.Protocol, "puma") || len(rep.Rows) == 0 {
		t.Errorf("json report: %v %+v", err, rep.Meta)
	}
	for _, bad := range [][]string{
		{"price", "-family", "aby2"},
		{"price", "-model", "gpt-5"},
		{"price", "-network", "fast"},
		{"price", "-softmax", "3quad"},
		{"price", "-merge", "5"},
		{"price", "-format", "yaml"},
		{"frobnicate"},
	} {
		if _, err := runCmd(t, bad...); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}

func TestWhatIf(t *testing.T) {
	out, err := runCmd(t, "whatif", "-model", "tiny-llama", "-seq", "8", "-lora", "2", "-merge", "2", "-layers")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"[2PC]", "[3PC]", "[2PC-Dealer]", "all +approx", "per layer", "Marill's claim", "paper: time 3.6–11.3×"} {
		if !strings.Contains(out, want) {
			t.Errorf("whatif output lacks %q", want)
		}
	}
	if _, err := runCmd(t, "whatif", "-settings", "4pc"); err == nil {
		t.Errorf("4pc accepted")
	}
}

func TestCalibrateAndList(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.json")
	if _, err := runCmd(t, "calibrate", "-time", "3ms", "-name", "ci", "-o", path); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil || !strings.Contains(string(b), `"ring_macs_per_sec"`) {
		t.Fatalf("profile: %v %s", err, b)
	}
	out, err := runCmd(t, "price", "-model", "tiny-bert", "-seq", "8", "-compute", path)
	if err != nil || !strings.Contains(out, "compute (ci)") {
		t.Errorf("price with the calibrated profile: %v\n%s", err, out)
	}
	out, err = runCmd(t, "list")
	if err != nil || !strings.Contains(out, "cryptflow2") || !strings.Contains(out, "wan") {
		t.Errorf("list: %v\n%s", err, out)
	}
}
