package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runCmd(args ...string) (int, string, string) {
	var out, errs bytes.Buffer
	code := run(args, &out, &errs)
	return code, out.String(), errs.String()
}

func TestInstall(t *testing.T) {
	prefix := t.TempDir()
	code, out, errs := runCmd("install", "--prefix", prefix)
	if code != 0 {
		t.Fatalf("install: %d %s", code, errs)
	}
	path := filepath.Join(prefix, "share", "jupyter", "kernels", "marill", "kernel.json")
	if !strings.Contains(out, filepath.Dir(path)) {
		t.Errorf("output %q", out)
	}
	var spec struct {
		Argv          []string `json:"argv"`
		DisplayName   string   `json:"display_name"`
		InterruptMode string   `json:"interrupt_mode"`
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	json.Unmarshal(b, &spec)
	exe, _ := executable()
	if len(spec.Argv) != 3 || spec.Argv[0] != exe || !filepath.IsAbs(spec.Argv[0]) || spec.Argv[1] != "run" || spec.Argv[2] != "{connection_file}" ||
		spec.DisplayName != "Go (Marill)" || spec.InterruptMode != "message" {
		t.Errorf("kernel.json %s", b)
	}
	// --user writes to the Jupyter data directory.
	data := t.TempDir()
	t.Setenv("JUPYTER_DATA_DIR", data)
	if code, _, errs := runCmd("install", "--user", "--name", "marill-dev"); code != 0 {
		t.Fatalf("install --user: %s", errs)
	}
	if _, err := os.Stat(filepath.Join(data, "kernels", "marill-dev", "kernel.json")); err != nil {
		t.Error(err)
	}
	if code, _, _ := runCmd("install"); code != 0 {
		t.Error("install with no flags (a user install) failed")
	}
}

func TestCommands(t *testing.T) {
	if code, out, _ := runCmd("spec"); code != 0 || !strings.Contains(out, `"interrupt_mode": "message"`) {
		t.Errorf("spec: %d %q", code, out)
	}
	if code, out, _ := runCmd("version"); code != 0 || !strings.Contains(out, "protocol 5.3") {
		t.Errorf("version: %d %q", code, out)
	}
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{nil, 2, "usage"},
		{[]string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{[]string{"install", "--user", "--prefix", "/tmp/x"}, 2, "do not mix"},
		{[]string{"install", "extra"}, 2, "unexpected argument"},
		{[]string{"run"}, 2, "usage"},
		{[]string{"run", filepath.Join(t.TempDir(), "missing.json")}, 1, "no such file"},
	} {
		code, _, errs := runCmd(tc.args...)
		if code != tc.code || !strings.Contains(errs, tc.want) {
			t.Errorf("%q: %d %q, want %d and %q", tc.args, code, errs, tc.code, tc.want)
		}
	}
	bad := filepath.Join(t.TempDir(), "conn.json")
	os.WriteFile(bad, []byte(`{"transport":"tcp","ip":"127.0.0.1","shell_port":0}`), 0o644)
	if code, _, errs := runCmd("run", bad); code != 1 || !strings.Contains(errs, "shell_port 0 is not a port") {
		t.Errorf("bad connection file: %d %q", code, errs)
	}
}
