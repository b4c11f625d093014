package kernel

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
)

// Kernelspec names.
const (
	// SpecName is the kernel's name for Jupyter (the notebooks' metadata
	// kernelspec.name).
	SpecName = "marill"
	// DisplayName is what Jupyter's launcher and kernel menu show.
	DisplayName = "Go (Marill)"
)

// Spec is a kernelspec: the kernel.json Jupyter reads to start a kernel.
type Spec struct {
	// Argv starts the kernel; Jupyter replaces {connection_file}.
	Argv        []string `json:"argv"`
	DisplayName string   `json:"display_name"`
	Language    string   `json:"language"`
	// InterruptMode "message" makes Jupyter interrupt with an
	// interrupt_request on the control channel instead of SIGINT.
	InterruptMode string            `json:"interrupt_mode"`
	Env           map[string]string `json:"env,omitempty"`
	Metadata      map[string]any    `json:"metadata"`
}

// NewSpec returns the kernelspec that starts the kernel binary at path
// ("path run {connection_file}").
func NewSpec(path string) Spec {
	return Spec{
		Argv:          []string{path, "run", "{connection_file}"},
		DisplayName:   DisplayName,
		Language:      LanguageName,
		InterruptMode: "message",
		Metadata:      map[string]any{"debugger": false},
	}
}

// JSON is the kernel.json file.
func (s Spec) JSON() ([]byte, error) {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("kernel: %w", err)
	}
	return append(b, '\n'), nil
}

// InstallOptions say where to install a kernelspec. With neither set, the
// user's directory is used.
type InstallOptions struct {
	// User installs for the current user: $JUPYTER_DATA_DIR, or
	// ~/.local/share/jupyter (~/Library/Jupyter on macOS,
	// %APPDATA%\jupyter on Windows).
	User bool
	// Prefix installs under DIR/share/jupyter (a virtual environment,
	// /usr/local, or a test's temporary directory, with
	// JUPYTER_PATH=DIR/share/jupyter).
	Prefix string
	// Name is the kernel's directory name (default SpecName).
	Name string
}

// KernelsDir is the kernels directory the options name.
func (o InstallOptions) KernelsDir() (string, error) {
	if o.User && o.Prefix != "" {
		return "", fmt.Errorf("kernel: install for the user or under a prefix, not both")
	}
	if o.Prefix != "" {
		return filepath.Join(o.Prefix, "share", "jupyter", "kernels"), nil
	}
	if d := os.Getenv("JUPYTER_DATA_DIR"); d != "" {
		return filepath.Join(d, "kernels"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("kernel: no home directory for a user install: %w", err)
	}
	switch runtime.GOOS {
	case "darwin":
		return filepath.Join(home, "Library", "Jupyter", "kernels"), nil
	case "windows":
		if d := os.Getenv("APPDATA"); d != "" {
			return filepath.Join(d, "jupyter", "kernels"), nil
		}
	}
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "jupyter", "kernels"), nil
	}
	return filepath.Join(home, ".local", "share", "jupyter", "kernels"), nil
}

// Install writes spec as DIR/<name>/kernel.json and returns the directory.
func Install(spec Spec, o InstallOptions) (string, error) {
	kernels, err := o.KernelsDir()
	if err != nil {
		return "", err
	}
	name := o.Name
	if name == "" {
		name = SpecName
	}
	if name != filepath.Base(name) || name == "." || name == ".." {
		return "", fmt.Errorf("kernel: %q is not a kernel name", name)
	}
	if len(spec.Argv) == 0 {
		return "", fmt.Errorf("kernel: the kernelspec has no argv")
	}
	b, err := spec.JSON()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(kernels, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("kernel: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "kernel.json"), b, 0o644); err != nil {
		return "", fmt.Errorf("kernel: %w", err)
	}
	return dir, nil
}
