package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/marill-go/marill/kernel"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

const usage = `usage: marill-kernel install [--user | --prefix DIR] [--name NAME]
       marill-kernel spec
       marill-kernel run CONNECTION_FILE
       marill-kernel version
`

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "install":
		return install(args[1:], stdout, stderr)
	case "spec":
		exe, err := executable()
		if err != nil {
			fmt.Fprintln(stderr, "marill-kernel:", err)
			return 1
		}
		b, _ := kernel.NewSpec(exe).JSON()
		stdout.Write(b)
		return 0
	case "run":
		if len(args) != 2 {
			fmt.Fprint(stderr, usage)
			return 2
		}
		return serve(args[1], stderr)
	case "version":
		fmt.Fprintf(stdout, "marill-kernel %s (Jupyter protocol %s)\n", kernel.Version(), kernel.ProtocolVersion)
		return 0
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "marill-kernel: unknown command %q\n%s", args[0], usage)
	return 2
}

func install(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("marill-kernel install", flag.ContinueOnError)
	fs.SetOutput(stderr)
	user := fs.Bool("user", false, "install for the current user (the default)")
	prefix := fs.String("prefix", "", "install under `DIR`/share/jupyter/kernels")
	name := fs.String("name", kernel.SpecName, "kernel `NAME`")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "marill-kernel install: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	exe, err := executable()
	if err != nil {
		fmt.Fprintln(stderr, "marill-kernel:", err)
		return 1
	}
	opts := kernel.InstallOptions{User: *user || *prefix == "", Prefix: *prefix, Name: *name}
	if *user && *prefix != "" {
		fmt.Fprintln(stderr, "marill-kernel install: --user and --prefix do not mix")
		return 2
	}
	if *prefix != "" {
		opts.User = false
		if opts.Prefix, err = filepath.Abs(*prefix); err != nil {
			fmt.Fprintln(stderr, "marill-kernel:", err)
			return 1
		}
	}
	dir, err := kernel.Install(kernel.NewSpec(exe), opts)
	if err != nil {
		fmt.Fprintln(stderr, "marill-kernel:", err)
		return 1
	}
	fmt.Fprintf(stdout, "installed kernelspec %s in %s\n", *name, dir)
	return 0
}

// executable is this binary's absolute path, symlinks resolved.
func executable() (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", err
	}
	return filepath.EvalSymlinks(exe)
}

func serve(connectionFile string, stderr io.Writer) int {
	info, err := kernel.ReadConnectionFile(connectionFile)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	k, err := kernel.New(info, kernel.Options{Log: stderr})
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	interrupts := make(chan os.Signal, 1)
	signal.Notify(interrupts, os.Interrupt)
	defer signal.Stop(interrupts)
	go func() {
		for range interrupts {
			k.Interrupt()
		}
	}()
	if err := k.Run(ctx); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	return 0
}
