package repl

import (
	"context"
	"testing"
)

// BenchmarkEvalSmallCell measures one round trip of a small input: split,
// check, rewrite, interpret, capture output and display the value.
func BenchmarkEvalSmallCell(b *testing.B) {
	s, err := New(Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	if _, err := s.Eval(ctx, "x := 20"); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if r, err := s.Eval(ctx, "x + 22"); err != nil || r.Text != "42" {
			b.Fatal(r, err)
		}
	}
}

// BenchmarkEvalPrint is a cell that prints: output goes through the pipe
// and the end-of-evaluation marker.
func BenchmarkEvalPrint(b *testing.B) {
	s, err := New(Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	for b.Loop() {
		if r, err := s.Eval(ctx, `fmt.Println("hello")`); err != nil || r.Stdout != "hello\n" {
			b.Fatal(r, err)
		}
	}
}

// BenchmarkComplete measures a member completion through a call.
func BenchmarkComplete(b *testing.B) {
	s, err := New(Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Eval(context.Background(), "pre, _ := marill.NewPretrained(marill.BERTBase(), 1)"); err != nil {
		b.Fatal(err)
	}
	src := "pre.Plan().La"
	for b.Loop() {
		if c := s.Complete(src, len(src)); len(c.Matches) != 2 {
			b.Fatal(c)
		}
	}
}
