package kernel_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// notebookTimeout bounds one notebook's execution (each should take well
// under two minutes on two cores; the rest is headroom for slow machines).
const notebookTimeout = 6 * time.Minute

// notebooks lists the notebooks of the repository's notebooks directory.
func notebooks(t *testing.T) []string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(moduleRoot(t), "notebooks", "*.ipynb"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no notebooks in notebooks/ (%v)", err)
	}
	return paths
}

// TestNotebooks executes every notebook with `jupyter nbconvert --execute`
// on a freshly built kernel. With -update it writes the executed notebooks
// back, which is how the committed outputs are made:
//
//	go test ./kernel -run TestNotebooks -update
func TestNotebooks(t *testing.T) {
	if testing.Short() {
		t.Skip("executes the notebooks")
	}
	needJupyter(t, []string{"nbclient", "nbformat", "nbconvert"}, "jupyter")
	env := installKernel(t)
	out := t.TempDir()
	for _, nb := range notebooks(t) {
		name := filepath.Base(nb)
		t.Run(strings.TrimSuffix(name, ".ipynb"), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), notebookTimeout)
			defer cancel()
			cmd := exec.CommandContext(ctx, "jupyter", "nbconvert", "--to", "notebook", "--execute",
				"--ExecutePreprocessor.kernel_name=marill",
				"--ExecutePreprocessor.timeout=300",
				"--ExecutePreprocessor.record_timing=False",
				"--output-dir", out, nb)
			cmd.Dir = filepath.Dir(nb)
			cmd.Env = env
			var log bytes.Buffer
			cmd.Stdout, cmd.Stderr = &log, &log
			start := time.Now()
			if err := cmd.Run(); err != nil {
				t.Fatalf("nbconvert --execute %s: %v\n%s", name, err, log.String())
			}
			took := time.Since(start)
			executed := filepath.Join(out, name)
			b, err := os.ReadFile(executed)
			if err != nil {
				t.Fatal(err)
			}
			if err := checkExecuted(b); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			t.Logf("%s executed in %v", name, took.Round(100*time.Millisecond))
			if *update {
				if err := os.WriteFile(nb, b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

// TestNotebooksCommitted checks, without Jupyter, that the committed
// notebooks run on this kernel and carry their outputs: every code cell
// executed, in order, none failed.
func TestNotebooksCommitted(t *testing.T) {
	have := map[string]bool{}
	for _, nb := range notebooks(t) {
		name := filepath.Base(nb)
		have[name[:3]] = true
		b, err := os.ReadFile(nb)
		if err != nil {
			t.Fatal(err)
		}
		if err := checkExecuted(b); err != nil {
			t.Errorf("%s: %v (execute it: go test ./kernel -run TestNotebooks -update)", name, err)
		}
	}
	for _, p := range []string{"01-", "02-", "03-", "04-", "05-", "06-", "07-", "08-"} {
		if !have[p] {
			t.Errorf("no notebook %s*.ipynb", p)
		}
	}
}

// checkExecuted checks an executed notebook: the marill kernelspec, every
// code cell with an execution count (increasing) and no error output.
func checkExecuted(b []byte) error {
	var nb struct {
		Metadata struct {
			Kernelspec struct {
				Name string `json:"name"`
			} `json:"kernelspec"`
		} `json:"metadata"`
		NBFormat int `json:"nbformat"`
		Cells    []struct {
			CellType       string `json:"cell_type"`
			ExecutionCount *int   `json:"execution_count"`
			Outputs        []struct {
				OutputType string `json:"output_type"`
				Ename      string `json:"ename"`
				Evalue     string `json:"evalue"`
			} `json:"outputs"`
		} `json:"cells"`
	}
	if err := json.Unmarshal(b, &nb); err != nil {
		return err
	}
	if nb.NBFormat != 4 || nb.Metadata.Kernelspec.Name != "marill" {
		return fmt.Errorf("nbformat %d, kernelspec %q: want 4 and marill", nb.NBFormat, nb.Metadata.Kernelspec.Name)
	}
	last, code := 0, 0
	for i, c := range nb.Cells {
		if c.CellType != "code" {
			continue
		}
		code++
		if c.ExecutionCount == nil {
			return fmt.Errorf("cell %d was not executed", i)
		}
		if *c.ExecutionCount <= last {
			return fmt.Errorf("cell %d has execution count %d after %d: not executed top to bottom", i, *c.ExecutionCount, last)
		}
		last = *c.ExecutionCount
		for _, o := range c.Outputs {
			if o.OutputType == "error" {
				return fmt.Errorf("cell %d failed: %s: %s", i, o.Ename, o.Evalue)
			}
		}
	}
	if code == 0 {
		return fmt.Errorf("no code cells")
	}
	return nil
}
