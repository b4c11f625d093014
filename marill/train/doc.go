// Package train is the accuracy side of Marill-Go: it trains the
// transformers of package marill in Go, on the CPU, so the cost of each
// Marill knob (layer freezing, LoRA, head merging, MPC-friendly
// approximations) can be set beside what it keeps of standard
// fine-tuning. Marill reports keeping over 90% of standard fine-tuning;
// this package lets you measure the trade-off on small models and tasks
// that need no download.
//
// # The pieces
//
//	tape (subpackage)   an mpc.Engine that records a tape: gradients of every engine operation
//	data (subpackage)   the built-in grammar, corpus and tasks; a word tokenizer; JSONL/CSV loaders
//	Pretrain            a "public pretrained" model trained here on the corpus
//	ForTask, FineTune   the knobs applied and the private parameters trained; distillation
//	Evaluate            accuracy, or greedy generation's exact match, through marill's forward pass
//	Price               simulated secure cost of the same knobs (package sim)
//	Lab                 cached pretrained models and baselines; runs per knob
//	NewEvaluator, Sweep resumable sweeps through marill/study; Table joins accuracy and cost
//
// The transformer is written once. Training runs marill's own forward pass
// (Model.Apply) on the tape engine: the engine computes in float64 exactly
// as the plain engine does and records how each operation sends gradients
// back. Losses are computed in Go from the tensors the tape exposes (the
// revealed logits; scope outputs such as each block's hidden state and
// attention probabilities) and enter the tape as seeded gradients.
//
// # What each knob trains
//
// FineTune applies the knobs with marill.Model.FineTune and trains exactly
// the parameters the fine-tuned model keeps private (Vis == mpc.Server);
// public parameters are the pretrained model's and never change:
//
//	standard fine-tuning   every weight of every block, the final norm, the head
//	freeze k (or ⌊f·L⌋)   as standard, but not the bottom k blocks (they stay public:
//	                       the client runs them in plaintext)
//	LoRA rank r            only the adapters A [in, r] and B [r, out] of the targeted
//	                       projections of private blocks (B starts at zero, A Gaussian),
//	                       and a task head (the classifier, BERT's pooler too: it is
//	                       new, so always trained); block weights, norms, the final
//	                       norm and an LM head stay public, as Marill keeps the base
//	                       weights unmerged
//	merge heads by m       as standard, with adjacent heads merged before training
//	                       ("merge, then fine-tune")
//	approximations         as standard, with Quad GeLU/SiLU, 2Quad or 2ReLU softmax in
//	                       the private blocks, in training and evaluation alike
//
// Embeddings stay public under every knob (the client looks its tokens up)
// and are trained only in pretraining. Adapters get their own learning
// rate (Options.LoRALR). Freezing every block leaves nothing private and
// FineTune refuses it.
//
// # Distillation
//
// DistillOptions.Teacher turns on MPCFormer's recipe, with the standard
// fine-tuned model as the teacher and the knob-constrained model as the
// student (both start from the same pretrained weights). Stage one pulls
// the student's hidden state after every block and its attention
// probabilities towards the teacher's: Σ over blocks of MSE(hidden) +
// AttentionWeight·MSE(attention); where heads are merged by m, the target
// is the mean of the teacher's attention over each merged group. Stage two
// matches the output distributions: soft-label cross-entropy against the
// teacher's logits at temperature T (times T²), for the class logits or
// every target position of a generation task. Each stage is a run of its
// own (LayerEpochs, LogitEpochs; default Options.Epochs each) with a fresh
// optimizer and schedule.
//
// # Optimisation
//
// Examples go through the model one at a time (marill's forward pass takes
// one sequence, so nothing is padded); a step's examples are split into
// four parts whose gradients are summed on per-thread engines and then
// added in order, so a run depends only on its seed, not on the number of
// threads. AdamW (decoupled weight decay on matrices only), linear warm-up
// then linear or cosine decay, global gradient-norm clipping. Losses:
// cross-entropy of the class; for generation, the mean cross-entropy of
// each target token and [EOS] after [BOS] prompt [SEP]; for pretraining,
// next-token prediction at every position (decoders) or masked-word
// prediction through the transposed token embeddings (BERT, 15% of words,
// static masks).
//
// # Data
//
// Package data generates, from a seed, a corpus of English-like sentences
// from a small grammar of about 400 words, and the built-in tasks over the same
// words: sentiment (negation and contrasting clauses), agreement
// (subject–verb number across attractors), subject (what kind of thing
// the subject is, with distracting nouns), plural and reverse (generation,
// exact match). Bring your own data as JSONL ({"text", "label"} or
// {"prompt", "target"}) or CSV with a header; errors name the file and
// line. Words outside the tokenizer's vocabulary become [UNK]: pretrain on
// a corpus of your own text (LabOptions.Corpus, marill-train pretrain
// -corpus) to cover them.
//
// Classifiers read [CLS] text [SEP] (BERT: the classifier reads [CLS]) or
// [BOS] text (GPT-2, LLaMA: the classifier reads the last word).
// Generation models read [BOS] prompt [SEP] and write the target and
// [EOS]; evaluation decodes greedily with marill's forward pass, one token
// per pass.
//
// # Results joined with costs
//
// A Lab fixes the data, model shape and training options, pretrains each
// family's public model once, and fine-tunes each task's standard baseline
// once (both cached on disk by a hash of every option they depend on). For
// a sweep, NewEvaluator is a marill/study evaluator: the point's preset
// names the family and the size at which cost is priced, and the point's
// knobs are applied both to the small trained model and to the preset (a
// freeze fraction, a LoRA rank and a merge factor mean the same for both).
// Each point reports the task metric, the baseline's and the share kept,
// and two prices from the simulator: the preset at its sequence length
// (secure_seconds, online_bytes, offline_bytes, rounds), and the trained
// model itself at the task's longest test input (task_*). Lab.Sweep runs a
// grid per task (and distillation setting) through study.Run — parallel,
// resumable from its journal — and joins everything in a Table (text,
// Markdown, CSV) with a Pareto chart per task (Table.Pareto).
//
// # What to expect
//
// Fine-tuning a small model on these tasks is a matter of escaping an
// early plateau: a run learns the task or stays near chance, and runs
// differ by seed, so compare knobs over replicates (SweepOptions.
// Replicates, Lab.RunReplicate). Measured with the defaults (2 layers,
// 128 wide, 20,000 pretraining documents, 5,000 to 10,000 training
// examples, 3 epochs): GPT-2-family models learn sentiment, subject and
// plural (the study's numbers: studies/accuracy.go); the agreement task
// stays at chance although the pretrained model prefers the grammatical
// verb; BERT-family models (masked-LM pretraining, classifier on [CLS])
// learn subject but stay at chance on sentiment; with the bottom block
// frozen, GPT-2-family models stay at chance on sentiment.
//
// # Speed
//
// A 2-layer, 128-wide model fine-tunes at a few hundred examples per
// second on two cores (marill-train bench prints the table; the benchmarks
// BenchmarkFineTuneStep* time single steps), well inside the target of
// 10,000 examples in five minutes.
//
// The API is compiled and non-generic, with options as plain structs, so
// notebooks (marill-repl) can drive it; studies/accuracy.go is the study
// the notebook runs.
package train
