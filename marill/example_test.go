package marill_test

import (
	"context"
	"fmt"

	"github.com/marill-go/marill/marill"
	"github.com/marill-go/marill/mpc/plain"
)

// The Marill knobs on BERT-base: what leaves MPC and what shrinks.
func ExampleModel_FineTune() {
	cfg := marill.BERTBase()
	cfg.SeqLen = 128
	pre, err := marill.NewPretrained(cfg, 42)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, k := range []marill.Knobs{
		{},
		{FreezeFraction: 0.5},
		{FreezeFraction: 0.5, LoRARank: 8},
		{FreezeFraction: 0.5, LoRARank: 8, MergeHeads: 4, Softmax: marill.TwoQuad},
	} {
		ft, err := pre.FineTune(k)
		if err != nil {
			fmt.Println(err)
			return
		}
		p := ft.Plan()
		t := p.Total()
		fmt.Printf("%-52s MPC layers %2d  softmax elems %7d  secure MACs %11d\n",
			k, p.MPCLayers(), t.SoftmaxElements, t.SecureMACs)
	}
	// Output:
	// standard fine-tuning                                 MPC layers 12  softmax elems 2359296  secure MACs 11174217216
	// freeze 0.5                                           MPC layers  6  softmax elems 1179648  secure MACs  5587404288
	// freeze 0.5 · LoRA r=8 (all)                          MPC layers  6  softmax elems 1179648  secure MACs   236520960
	// freeze 0.5 · LoRA r=8 (all) · merge ×4 · softmax 2quad MPC layers  6  softmax elems  294912  secure MACs   236520960
}

// A tiny GPT-2 end to end: fine-tune, plan, run in plaintext.
func ExampleModel_Forward() {
	cfg := marill.Tiny(marill.GPT2)
	pre, _ := marill.NewPretrained(cfg, 1)
	ft, _ := pre.FineTune(marill.Knobs{FreezeLayers: 1, LoRARank: 2})
	out, err := ft.Forward(context.Background(), plain.New(), marill.RandomInput(cfg, 7))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(out.Shape(), "next token:", out.Argmax())
	// Output: [1×64] next token: 36
}
