package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runCmd(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(context.Background(), args, &out, &errb)
	return out.String() + errb.String(), err
}

func mustRun(t *testing.T, want []string, args ...string) string {
	t.Helper()
	out, err := runCmd(t, args...)
	if err != nil {
		t.Fatalf("%v: %v\n%s", args, err, out)
	}
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("%v: output lacks %q:\n%s", args, w, out)
		}
	}
	return out
}

var tiny = []string{"-layers", "2", "-hidden", "16", "-heads", "4", "-ffn", "32", "-positions", "40"}

func TestTasks(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, []string{"sentiment (classification)", "reverse (generation)", "built-in grammar:", "wrote"},
		"tasks", "-show", "2", "-train", "20", "-dev", "5", "-test", "5", "-write", dir)
	b, err := os.ReadFile(filepath.Join(dir, "plural-test.jsonl"))
	if err != nil || strings.Count(string(b), "\n") != 5 || !strings.Contains(string(b), `"target"`) {
		t.Fatalf("plural-test.jsonl: %v\n%s", err, b)
	}
}

// TestPretrainFineTuneEval runs the commands end to end on a tiny model.
func TestPretrainFineTuneEval(t *testing.T) {
	dir := t.TempDir()
	pre := filepath.Join(dir, "pre.safetensors")
	mustRun(t, []string{"pretrain:", "wrote"}, append([]string{"pretrain", "-arch", "llama", "-out", pre, "-sentences", "64", "-steps", "3"}, tiny...)...)
	if _, err := os.Stat(pre + ".vocab.json"); err != nil {
		t.Fatal("pretrain wrote no tokenizer")
	}
	ft := filepath.Join(dir, "ft.safetensors")
	mustRun(t, []string{"finetune:", "test exact match", "secure inference of this model", "sigma", "secure inference of the preset"},
		"finetune", "-pretrained", pre, "-task", "plural", "-examples", "32", "-test-examples", "8", "-steps", "3", "-batch", "4",
		"-freeze", "0.5", "-lora", "2", "-merge", "2", "-silu", "quad", "-softmax", "2quad", "-preset", "llama-2-7b", "-out", ft)
	mustRun(t, []string{"on plural", "exact match"}, "eval", "-model", ft, "-task", "plural", "-test-examples", "8")
	teacher := filepath.Join(dir, "teacher.safetensors")
	mustRun(t, nil, "finetune", "-pretrained", pre, "-task", "plural", "-examples", "32", "-test-examples", "8", "-steps", "2", "-out", teacher)
	mustRun(t, []string{"distill/layers", "distill/logits", "(distilled)"},
		"finetune", "-pretrained", pre, "-task", "plural", "-examples", "32", "-test-examples", "8", "-steps", "2", "-batch", "4",
		"-softmax", "2quad", "-merge", "2", "-distill", teacher)
	if _, err := runCmd(t, "finetune", "-pretrained", pre, "-task", "plural", "-examples", "32", "-test-examples", "8", "-steps", "2", "-distill", ft); err == nil || !strings.Contains(err.Error(), "standard fine-tuned") {
		t.Fatalf("a merged teacher for an unmerged student: %v", err)
	}

	// Your own data, JSONL and CSV.
	train := filepath.Join(dir, "mine.jsonl")
	var b strings.Builder
	for i := 0; i < 40; i++ {
		if i%2 == 0 {
			b.WriteString(`{"text": "the film was good .", "label": "yes"}` + "\n")
		} else {
			b.WriteString(`{"text": "the film was bad .", "label": "no"}` + "\n")
		}
	}
	os.WriteFile(train, []byte(b.String()), 0o644)
	clsPre := filepath.Join(dir, "gpt.safetensors")
	mustRun(t, nil, append([]string{"pretrain", "-arch", "gpt2", "-out", clsPre, "-sentences", "32", "-steps", "2"}, tiny...)...)
	mustRun(t, []string{"mine, standard fine-tuning: test accuracy", "fixed point (secure numerics)"},
		"finetune", "-pretrained", clsPre, "-train", train, "-steps", "2", "-fxp")
	csv := filepath.Join(dir, "bad.csv")
	os.WriteFile(csv, []byte("text,label\n\"a,1\n"), 0o644)
	if out, err := runCmd(t, "finetune", "-pretrained", clsPre, "-train", csv); err == nil || !strings.Contains(err.Error(), "bad.csv") {
		t.Fatalf("malformed CSV: %v\n%s", err, out)
	}
	os.WriteFile(train, []byte("{\"text\": \"a\", \"label\": 1}\n{\"text\": \"b\"\n"), 0o644)
	if _, err := runCmd(t, "finetune", "-pretrained", clsPre, "-train", train); err == nil || !strings.Contains(err.Error(), "mine.jsonl:2") {
		t.Fatalf("malformed JSONL: %v", err)
	}
}

func TestErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"nope"}, "unknown command"},
		{[]string{"pretrain"}, "-out is required"},
		{[]string{"pretrain", "-arch", "t5", "-out", "x"}, "unknown architecture"},
		{[]string{"finetune", "-task", "sentiment"}, "-pretrained is required"},
		{[]string{"finetune", "-pretrained", "/nonexistent.safetensors", "-task", "sentiment"}, "nonexistent"},
		{[]string{"eval"}, "-model is required"},
		{[]string{"finetune", "-softmax", "3quad"}, "unknown softmax kind"},
		{[]string{"tasks", "extra"}, "unexpected argument"},
		{[]string{"sweep", "-lora-grid", "x"}, "invalid"},
	} {
		out, err := runCmd(t, c.args...)
		if err == nil || !strings.Contains(err.Error()+out, c.want) {
			t.Errorf("%v: error %v, want %q\n%s", c.args, err, c.want, out)
		}
	}
	if out, err := runCmd(t, "help"); err != nil || !strings.Contains(out, "marill-train bench") {
		t.Errorf("help: %v %s", err, out)
	}
}

func TestSweepAndBench(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "acc")
	mustRun(t, []string{"subject", "standard", "r2", "kept", "wrote " + out + ".csv", "pareto.svg"},
		"sweep", "-dir", filepath.Join(dir, "cache"), "-out", out, "-tasks", "subject", "-models", "gpt2",
		"-examples", "32", "-test-examples", "16", "-sentences", "32", "-layers", "2", "-hidden", "16", "-epochs", "0.5",
		"-lora-grid", "0,2", "-quiet")
	mustRun(t, []string{"examples/s", "standard fine-tuning", "LoRA r=8", "freeze 0.5", "per 10,000 examples"},
		append([]string{"bench", "-examples", "64", "-all", "-task", "subject"}, tiny...)...)
}
