package kernel_test

import (
	"bytes"
	"context"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// These tests drive the kernel with Jupyter's own tools, from Debian:
//
//	apt-get install -y python3-jupyter-kernel-test python3-jupyter-client \
//	    python3-nbclient python3-nbformat jupyter-nbconvert jupyter-client
//
// They skip when the tools are missing, unless MARILL_REQUIRE_JUPYTER=1
// (CI sets it), which makes a missing tool a failure.

var update = flag.Bool("update", false, "TestNotebooks: write the executed notebooks back to notebooks/")

// python is Debian's interpreter: the python3 on PATH may be another one,
// which cannot see Debian's packages.
const python = "/usr/bin/python3"

// needJupyter skips the test (or fails it, with MARILL_REQUIRE_JUPYTER=1)
// unless Debian's Python has the modules and the commands are on PATH.
func needJupyter(t *testing.T, modules []string, commands ...string) {
	t.Helper()
	missing := func(what string) {
		t.Helper()
		msg := what + " is missing: apt-get install -y python3-jupyter-kernel-test python3-jupyter-client python3-nbclient python3-nbformat jupyter-nbconvert jupyter-client"
		if os.Getenv("MARILL_REQUIRE_JUPYTER") == "1" {
			t.Fatal(msg + " (MARILL_REQUIRE_JUPYTER=1)")
		}
		t.Skip(msg)
	}
	if _, err := os.Stat(python); err != nil {
		missing(python)
	}
	if len(modules) > 0 {
		out, err := exec.Command(python, "-c", "import "+strings.Join(modules, ", ")).CombinedOutput()
		if err != nil {
			missing("a Python module (" + strings.TrimSpace(lastLine(string(out))) + ")")
		}
	}
	for _, c := range commands {
		if _, err := exec.LookPath(c); err != nil {
			missing("the command " + c)
		}
	}
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// moduleRoot is the directory of go.mod.
func moduleRoot(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil || strings.TrimSpace(string(out)) == "" {
		t.Fatalf("go env GOMOD: %v", err)
	}
	return filepath.Dir(strings.TrimSpace(string(out)))
}

// installKernel builds marill-kernel into a temporary directory, installs
// its kernelspec under a temporary prefix with the binary's own install
// command, and returns the environment that makes Jupyter find it, and
// only it (JUPYTER_PATH, and data and runtime directories of the test's
// own).
func installKernel(t *testing.T) []string {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "marill-kernel")
	build := exec.Command("go", "build", "-o", bin, "./cmd/marill-kernel")
	build.Dir = moduleRoot(t)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building marill-kernel: %v\n%s", err, out)
	}
	prefix := filepath.Join(dir, "prefix")
	if out, err := exec.Command(bin, "install", "--prefix", prefix).CombinedOutput(); err != nil {
		t.Fatalf("marill-kernel install: %v\n%s", err, out)
	}
	env := []string{
		"JUPYTER_PATH=" + filepath.Join(prefix, "share", "jupyter"),
		"JUPYTER_DATA_DIR=" + filepath.Join(dir, "data"),
		"JUPYTER_RUNTIME_DIR=" + filepath.Join(dir, "runtime"),
		"JUPYTER_CONFIG_DIR=" + filepath.Join(dir, "config"),
		"MARILL_KERNEL_NAME=marill",
		"PYDEVD_DISABLE_FILE_VALIDATION=1",
		"PYTHONDONTWRITEBYTECODE=1",
	}
	return append(os.Environ(), env...)
}

// TestJupyter runs testdata/test_marill_kernel.py: jupyter_kernel_test's
// conformance suite and the robustness tests (interrupts, panics, bad
// signatures, goroutine output, displays updated in place, shutdown).
func TestJupyter(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Jupyter clients")
	}
	needJupyter(t, []string{"jupyter_kernel_test", "jupyter_client"})
	env := installKernel(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, "-m", "unittest", "-v", "test_marill_kernel")
	cmd.Dir = "testdata"
	cmd.Env = env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	if err != nil {
		t.Fatalf("the Jupyter tests failed (%v):\n%s", err, out.String())
	}
	t.Logf("the Jupyter tests passed in %v:\n%s", time.Since(start).Round(time.Millisecond), out.String())
}
