package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/marill-go/marill/marill"
)

func runCmd(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(context.Background(), args, &out, &errb)
	return out.String() + errb.String(), err
}

func TestDemo(t *testing.T) {
	out, err := runCmd(t, "demo", "-model", "tiny-llama", "-seq", "6", "-freeze", "0.5", "-lora", "2", "-merge", "2", "-silu", "quad")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"tiny-llama", "freeze 1/2 · LoRA r=2 (all) · merge ×2 · softmax 2quad · silu quad",
		"secure/2pc-dealer(Z_2^64 f=16)", "logits within", "equal to the measured run", "at 32 tokens, ours"} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
	if !hasLine(out, "block0", "client (plaintext)") || !hasLine(out, "block1", "MPC") {
		t.Errorf("demo plan should run block0 on the client and block1 in MPC:\n%s", out)
	}
}

// hasLine reports whether a line starts with prefix and contains s.
func hasLine(out, prefix, s string) bool {
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, prefix) && strings.Contains(l, s) {
			return true
		}
	}
	return false
}

func TestPlanAndErrors(t *testing.T) {
	out, err := runCmd(t, "plan", "-model", "llama-2-7b", "-seq", "2048", "-freeze", "0.5", "-merge", "4")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "16 MPC / 16 client blocks") {
		t.Errorf("plan of Llama-2-7B:\n%s", out)
	}
	out, err = runCmd(t, "plan", "-model", "tiny-gpt2", "-seq", "8", "-ops")
	if err != nil || !strings.Contains(out, "each party on shares") {
		t.Errorf("plan -ops: %v\n%s", err, out)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"plan", "-model", "gpt5"}, `no preset "gpt5"`},
		{[]string{"plan", "-merge", "5"}, "Knobs.MergeHeads = 5 does not divide Heads = 12"},
		{[]string{"plan", "-freeze", "2"}, "Knobs.FreezeFraction = 2 is outside [0, 1]"},
		{[]string{"plan", "-softmax", "3quad"}, `unknown softmax kind "3quad"`},
		{[]string{"plan", "-seq", "0"}, "Config.SeqLen = 0"},
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"inspect"}, "one safetensors file"},
		{[]string{"inspect", "/nonexistent.safetensors"}, "no such file"},
	} {
		_, err := runCmd(t, c.args...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: want an error containing %q, got %v", c.args, c.want, err)
		}
	}
}

func TestInspect(t *testing.T) {
	m, err := marill.NewPretrained(marill.Tiny(marill.GPT2), 1)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "m.safetensors")
	if err := m.Save(path, "F16"); err != nil {
		t.Fatal(err)
	}
	out, err := runCmd(t, "inspect", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"h.0.attn.c_attn.weight", "F16", "[16 48]", "metadata marill.config"} {
		if !strings.Contains(out, want) {
			t.Errorf("inspect output lacks %q:\n%s", want, out)
		}
	}
}
