package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	"github.com/marill-go/marill/repl"
)

type codeFlags []string

func (c *codeFlags) String() string     { return strings.Join(*c, "\n") }
func (c *codeFlags) Set(v string) error { *c = append(*c, v); return nil }

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.ReadCloser, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("marill-repl", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var codes codeFlags
	fs.Var(&codes, "e", "evaluate `CODE` and exit (repeatable)")
	history := fs.String("history", "", "history `FILE` (default ~/.marill_history, or $MARILL_HISTORY; - for none)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: marill-repl [-history FILE]            interactive shell")
		fmt.Fprintln(stderr, "       marill-repl -e CODE [-e CODE ...]       evaluate and exit")
		fmt.Fprintln(stderr, "       marill-repl run FILE [ARGS...]          run a Go file's main")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	rest := fs.Args()
	switch {
	case len(codes) > 0 && len(rest) > 0:
		fmt.Fprintln(stderr, "marill-repl: -e and arguments do not mix")
		return 2
	case len(codes) > 0:
		return batch(stdin, stdout, stderr, []string{"marill-repl"}, func(ctx context.Context, s *repl.Session) (*repl.Result, error) {
			var res *repl.Result
			for _, c := range codes {
				r, err := s.Eval(ctx, c)
				if r != nil && r.Text != "" {
					fmt.Fprintln(stdout, r.Text)
				}
				if err != nil {
					return nil, err
				}
				res = r
			}
			return res, nil
		})
	case len(rest) > 0 && rest[0] == "run":
		if len(rest) < 2 {
			fmt.Fprintln(stderr, "marill-repl: run needs a file")
			return 2
		}
		file := rest[1]
		return batch(stdin, stdout, stderr, rest[1:], func(ctx context.Context, s *repl.Session) (*repl.Result, error) {
			res, err := s.EvalFile(ctx, file)
			if res != nil && res.Text != "" {
				fmt.Fprintln(stdout, res.Text)
			}
			return res, err
		})
	case len(rest) > 0:
		fmt.Fprintf(stderr, "marill-repl: unknown command %q\n", rest[0])
		fs.Usage()
		return 2
	}
	sh, err := repl.NewShell(repl.ShellOptions{Stdin: stdin, Stdout: stdout, Stderr: stderr, HistoryFile: *history})
	if err != nil {
		fmt.Fprintln(stderr, "marill-repl:", err)
		return 1
	}
	defer sh.Close()
	if err := sh.Run(); err != nil {
		fmt.Fprintln(stderr, "marill-repl:", err)
		return 1
	}
	return 0
}

// batch runs f in a session whose output goes straight to the process's
// streams; Ctrl-C cancels it.
func batch(stdin io.Reader, stdout, stderr io.Writer, args []string, f func(context.Context, *repl.Session) (*repl.Result, error)) int {
	s, err := repl.New(repl.Options{Stdout: stdout, Stderr: stderr, Stdin: stdin, Args: args})
	if err != nil {
		fmt.Fprintln(stderr, "marill-repl:", err)
		return 1
	}
	defer s.Close()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	_, err = f(ctx, s)
	var exit *repl.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exit):
		return exit.Code
	case errors.Is(err, repl.ErrInterrupted):
		fmt.Fprintln(stderr, "marill-repl: interrupted")
		return 130
	default:
		fmt.Fprintln(stderr, err)
		return 1
	}
}
