package repl_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/marill-go/marill/repl"
)

func ExampleSession_Eval() {
	s, err := repl.New(repl.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	ctx := context.Background()
	for _, input := range []string{
		"cfg := marill.BERTBase()\ncfg.SeqLen = 128",
		"pre, _ := marill.NewPretrained(cfg, 42)",
		"ft := pre.MustFineTune(marill.Knobs{FreezeFraction: 0.5, LoRARank: 8, MergeHeads: 4})",
		"ft.Plan().MPCLayers()",
		`fmt.Println(strings.ToUpper("printed"))`,
	} {
		r, err := s.Eval(ctx, input)
		if err != nil {
			fmt.Println("error:", err)
			return
		}
		fmt.Print(r.Stdout)
		if r.Text != "" {
			fmt.Println("=", r.Text)
		}
	}
	// Output:
	// = 6
	// PRINTED
}

func ExampleSession_Eval_failures() {
	s, _ := repl.New(repl.Options{})
	defer s.Close()
	ctx := context.Background()
	_, err := s.Eval(ctx, "for i := range 3 { fmt.Println(i) }")
	fmt.Println(err)
	_, err = s.Eval(ctx, "go func() { panic(\"lost?\") }()\ntime.Sleep(50 * time.Millisecond)")
	var gp *repl.GoroutinePanicError
	fmt.Println(errors.As(err, &gp), gp.Value)
	r, _ := s.Eval(ctx, "1 + 1")
	fmt.Println(r.Text)
	// Output:
	// 1:16: range over an integer (Go 1.22) is not supported by the interpreter (yaegi v0.16.1): write for i := 0; i < n; i++
	// true lost?
	// 2
}

func ExampleSession_Complete() {
	s, _ := repl.New(repl.Options{})
	defer s.Close()
	s.Eval(context.Background(), "pre, _ := marill.NewPretrained(marill.GPT2Small(), 1)")
	for _, src := range []string{"pre.Fine", "pre.Config.Se", "pre.Plan().MPC", "marill.Llama"} {
		c := s.Complete(src, len(src))
		fmt.Println(src, "→", c.Matches)
	}
	// Output:
	// pre.Fine → [FineTune FineTuned]
	// pre.Config.Se → [SeqLen]
	// pre.Plan().MPC → [MPCLayers]
	// marill.Llama → [Llama2_7B]
}

func ExampleSession_Program() {
	s, _ := repl.New(repl.Options{})
	defer s.Close()
	ctx := context.Background()
	s.Eval(ctx, "cfg := marill.Tiny(marill.GPT2)")
	s.Eval(ctx, "func layers(c marill.Config) int { return c.Layers }")
	s.Eval(ctx, "layers(cfg)")
	prog, _ := s.Program()
	fmt.Print(prog)
	// Output:
	// // Code written by marill-repl :save.
	//
	// package main
	//
	// import (
	// 	"fmt"
	// 	"github.com/marill-go/marill/marill"
	// )
	//
	// func layers(c marill.Config) int { return c.Layers }
	//
	// func main() {
	// 	cfg := marill.Tiny(marill.GPT2)
	// 	_ = cfg
	// 	fmt.Println(layers(cfg))
	// }
}
