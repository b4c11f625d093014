// Package marill builds transformers and applies the fine-tuning choices
// of "MPC-Minimized Secure LLM Inference" (Marill) to them: layer
// freezing, LoRA and head merging, on top of MPC-friendly approximations.
// The forward pass is written once, against mpc.Engine, so the same model
// runs in plaintext, under real two-party computation, or through a cost
// simulator.
//
// # Describe a model
//
// A Config gives the family (BERT: post-LayerNorm encoder; GPT2:
// pre-LayerNorm decoder with learned positions; LLaMA: RMSNorm, SiLU-gated
// FFN, rotary positions), the shape (Layers, Hidden, Heads, FFN, Vocab,
// MaxPositions) and the prompt length SeqLen. Presets: BERTBase,
// BERTLarge, GPT2Small, GPTNeo13B, Llama2_7B, OpenLLaMA3Bv2, and Tiny(arch)
// for tests. Validate names the offending field.
//
//	cfg := marill.BERTBase()
//	cfg.SeqLen = 128
//	pre, err := marill.NewPretrained(cfg, 42) // public, seeded, lazily generated
//
// # Weights
//
// NewPretrained draws every tensor from (seed, name), on first use, so a
// Llama-2-7B model costs nothing until an engine needs values (the
// simulator never does). LoadPretrained reads a published checkpoint in
// safetensors format (F32, F16, BF16; GPT-2, BERT and LLaMA tensor names
// as on the Hugging Face hub) with a reader written here that
// bounds-checks the header and offsets; Save writes the same names plus
// adapters and, in the metadata, the config and knobs that Load uses to
// rebuild a fine-tuned model.
//
// # The knobs
//
// FineTune is a pure transform from a public pretrained model to a
// fine-tuned-shaped one:
//
//	ft, err := pre.FineTune(marill.Knobs{
//		FreezeFraction: 0.5,          // bottom ⌊f·L⌋ blocks stay public: the client runs them
//		LoRARank:       8,            // W_pub stays public and unmerged; A, B are private
//		MergeHeads:     4,            // h heads → h/4 heads of 4× width in private blocks
//		Softmax:        marill.TwoQuad,
//		GeLU:           marill.Quad,
//	})
//
// Only a prefix of blocks can leave MPC: a frozen block above a private
// one is refused. Frozen blocks keep their native non-linearities; the
// approximations apply where they save MPC work. Embeddings stay public;
// FineTune documents which heads and norms become private.
//
// # The plan
//
// Plan runs the forward pass through a shape-only engine and says, per
// layer and per operation, who computes it: the client in plaintext, each
// party locally on shares (secret × public), or interactive MPC. Its
// counts follow Marill's cost mechanics: (h/m)·n² softmax elements per
// MPC layer, L − k MPC layers, n(d_in·r + r·d_out) secure MACs per adapted
// projection.
//
//	fmt.Println(ft.Plan())   // per layer; ft.Plan().Detail() per operation
//
// # Running
//
//	out, err := ft.Forward(ctx, plain.New(), marill.RandomInput(cfg, 7))
//
// Forward returns what the client learns (next-token or class logits);
// Apply returns the revealed tensor's handle for engines without values.
// Scopes: "embed", "block<i>" with "attn" (q, k, v, rotary, scores,
// context, o), "ffn" (up, gate, down), "norm1", "norm2", and "head".
package marill
