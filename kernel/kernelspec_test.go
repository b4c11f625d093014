package kernel

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestKernelspec(t *testing.T) {
	spec := NewSpec("/opt/bin/marill-kernel")
	b, err := spec.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"argv":           []any{"/opt/bin/marill-kernel", "run", "{connection_file}"},
		"display_name":   "Go (Marill)",
		"language":       "go",
		"interrupt_mode": "message",
		"metadata":       map[string]any{"debugger": false},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("kernel.json %v, want %v", got, want)
	}

	prefix := t.TempDir()
	dir, err := Install(spec, InstallOptions{Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(prefix, "share", "jupyter", "kernels", "marill"); dir != want {
		t.Errorf("installed in %s, want %s", dir, want)
	}
	if on, _ := os.ReadFile(filepath.Join(dir, "kernel.json")); string(on) != string(b) {
		t.Errorf("kernel.json on disk %s", on)
	}

	data := t.TempDir()
	t.Setenv("JUPYTER_DATA_DIR", data)
	dir, err = Install(spec, InstallOptions{User: true, Name: "marill-dev"})
	if err != nil || dir != filepath.Join(data, "kernels", "marill-dev") {
		t.Errorf("user install in %s: %v", dir, err)
	}
	t.Setenv("JUPYTER_DATA_DIR", "")
	t.Setenv("XDG_DATA_HOME", "")
	t.Setenv("HOME", "/home/someone")
	if d, _ := (InstallOptions{User: true}).KernelsDir(); d != "/home/someone/.local/share/jupyter/kernels" {
		t.Errorf("user kernels directory %s", d)
	}

	for _, tc := range []struct {
		opts InstallOptions
		spec Spec
		want string
	}{
		{InstallOptions{User: true, Prefix: prefix}, spec, "not both"},
		{InstallOptions{Prefix: prefix, Name: "../evil"}, spec, "not a kernel name"},
		{InstallOptions{Prefix: prefix}, Spec{}, "no argv"},
	} {
		if _, err := Install(tc.spec, tc.opts); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Install(%+v): %v, want %q", tc.opts, err, tc.want)
		}
	}
}
