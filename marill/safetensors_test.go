package marill

import (
	"bytes"
	"context"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/marill-go/marill/mpc"
	"github.com/marill-go/marill/mpc/plain"
)

func readBytes(t testing.TB, b []byte) (*Safetensors, error) {
	t.Helper()
	return ReadSafetensors(bytes.NewReader(b), int64(len(b)))
}

// rawFile builds a safetensors image from a header string and data.
func rawFile(header string, data []byte) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.LittleEndian, uint64(len(header)))
	b.WriteString(header)
	b.Write(data)
	return b.Bytes()
}

func TestSafetensorsRoundTrip(t *testing.T) {
	a := mpc.Vector(1.5, -2.25, 3.0e-3, 65000, 0, -0.0001)
	b, _ := mpc.NewDense(mpc.Shape{2, 3}, []float64{0.1, 0.2, 0.3, -0.4, -0.5, 1e-8})
	for _, c := range []struct {
		dtype string
		tol   float64 // relative
	}{{"F64", 0}, {"F32", 1e-7}, {"BF16", 1.0 / 256}, {"F16", 1.0 / 1024}} {
		var buf bytes.Buffer
		err := WriteSafetensors(&buf, []NamedTensor{{"a", a}, {"b.weight", b}}, c.dtype, map[string]string{"k": "v"})
		if err != nil {
			t.Fatal(err)
		}
		s, err := readBytes(t, buf.Bytes())
		if err != nil {
			t.Fatalf("%s: %v", c.dtype, err)
		}
		if s.Metadata["k"] != "v" || strings.Join(s.Names(), ",") != "a,b.weight" {
			t.Fatalf("%s: metadata %v names %v", c.dtype, s.Metadata, s.Names())
		}
		for _, want := range []NamedTensor{{"a", a}, {"b.weight", b}} {
			got, err := s.Tensor(want.Name)
			if err != nil {
				t.Fatal(err)
			}
			if !got.Shape().Equal(want.Tensor.Shape()) {
				t.Fatalf("%s %s: shape %v", c.dtype, want.Name, got.Shape())
			}
			for i, x := range want.Tensor.Data() {
				g := got.Data()[i]
				// F16 subnormals are absolute-precision 2^-24.
				if math.Abs(g-x) > c.tol*math.Abs(x)+6e-8 {
					t.Errorf("%s %s[%d] = %g, want %g", c.dtype, want.Name, i, g, x)
				}
			}
		}
	}
}

func TestHalfConversions(t *testing.T) {
	for _, c := range []struct {
		h uint16
		f float32
	}{
		{0x3c00, 1}, {0xc000, -2}, {0x7bff, 65504}, {0x0001, float32(math.Ldexp(1, -24))},
		{0x0000, 0}, {0x7c00, float32(math.Inf(1))}, {0x3555, 0.333251953125},
	} {
		if got := halfToFloat32(c.h); got != c.f {
			t.Errorf("halfToFloat32(%#04x) = %g, want %g", c.h, got, c.f)
		}
		if !math.IsInf(float64(c.f), 0) {
			if got := float32ToHalf(c.f); got != c.h {
				t.Errorf("float32ToHalf(%g) = %#04x, want %#04x", c.f, got, c.h)
			}
		}
	}
	if float32ToHalf(1e6) != 0x7c00 {
		t.Errorf("overflow should encode +Inf")
	}
	if got := float32ToBF16(1.00390625); got != 0x3f80 { // ties to even
		t.Errorf("float32ToBF16(1+2^-8) = %#04x, want 0x3f80", got)
	}
}

func TestMalformedSafetensors(t *testing.T) {
	four := make([]byte, 4) // one F32
	good := `{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`
	if _, err := readBytes(t, rawFile(good, four)); err != nil {
		t.Fatalf("the control file should load: %v", err)
	}
	huge := make([]byte, 8)
	binary.LittleEndian.PutUint64(huge, 1<<40)
	for _, c := range []struct {
		name string
		file []byte
		want string
	}{
		{"empty", nil, "too short"},
		{"short", []byte{1, 2, 3}, "too short"},
		{"huge header", huge, "exceeds"},
		{"header past end", rawFile(good, nil)[:20], "past the end"},
		{"not json", rawFile(`{"a":`, four), "not a JSON object"},
		{"trailing garbage", rawFile(good+`xx`, four), "trailing data"},
		{"unknown dtype", rawFile(`{"a":{"dtype":"Q4","shape":[1],"data_offsets":[0,4]}}`, four), `unknown dtype "Q4"`},
		{"offsets outside", rawFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,8]}}`, four), "outside"},
		{"negative offset", rawFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}}`, four), "outside"},
		{"end before begin", rawFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}`, four), "outside"},
		{"size mismatch", rawFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}`, four), "offsets span 4 bytes"},
		{"missing offsets", rawFile(`{"a":{"dtype":"F32","shape":[1]}}`, four), "data_offsets"},
		{"negative dim", rawFile(`{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}`, four), "invalid shape"},
		{"overflowing shape", rawFile(`{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}}`, four), "invalid shape"},
		{"gap", rawFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, make([]byte, 8)), "unindexed bytes"},
		{"overlap", rawFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, make([]byte, 8)), "overlaps"},
		{"uncovered tail", rawFile(good, make([]byte, 8)), "cover 4"},
		{"bad metadata", rawFile(`{"__metadata__":{"k":1}}`, nil), "__metadata__"},
	} {
		_, err := readBytes(t, c.file)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: want an error containing %q, got %v", c.name, c.want, err)
		}
	}
	// A well-formed file whose weight is NaN loads its header but not the value.
	nan := make([]byte, 4)
	binary.LittleEndian.PutUint32(nan, math.Float32bits(float32(math.NaN())))
	s, err := readBytes(t, rawFile(good, nan))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Tensor("a"); err == nil || !strings.Contains(err.Error(), "NaN") {
		t.Errorf("a NaN weight should be refused, got %v", err)
	}
	if _, err := s.Tensor("b"); err == nil || !strings.Contains(err.Error(), `no tensor "b"`) {
		t.Errorf("a missing tensor should be named, got %v", err)
	}
}

// FuzzReadSafetensors feeds arbitrary bytes to the reader: it must return
// an error or a file whose every tensor reads, never panic or allocate
// beyond the input's size.
func FuzzReadSafetensors(f *testing.F) {
	var buf bytes.Buffer
	WriteSafetensors(&buf, []NamedTensor{{"w", mpc.Vector(1, 2, 3)}, {"b", mpc.Vector(4)}}, "F16", map[string]string{"x": "y"})
	f.Add(buf.Bytes())
	f.Add(rawFile(`{"a":{"dtype":"BF16","shape":[2,1],"data_offsets":[0,4]}}`, make([]byte, 4)))
	f.Add(rawFile(`{"a":{"dtype":"U8","shape":[],"data_offsets":[0,1]}}`, make([]byte, 1)))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f})
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ReadSafetensors(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			return
		}
		for _, n := range s.Names() {
			info, _ := s.Info(n)
			if info.end-info.begin > int64(len(b)) {
				t.Fatalf("tensor %q claims %d bytes of a %d-byte file", n, info.end-info.begin, len(b))
			}
			s.Tensor(n) // may fail (NaN, integer dtype), must not panic
		}
	})
}

func TestCheckpointRoundTrip(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	for _, a := range []Arch{GPT2, BERT, LLaMA} {
		cfg := Tiny(a)
		pre := pretrained(t, cfg, 21)
		in := RandomInput(cfg, 3)
		want := forwardPlain(t, pre, in)

		path := filepath.Join(dir, a.String()+".safetensors")
		if err := pre.Save(path, "F64"); err != nil {
			t.Fatal(err)
		}
		// Published checkpoints carry no config: load with one.
		got, err := LoadPretrained(cfg, path, 0)
		if err != nil {
			t.Fatalf("%v: %v", a, err)
		}
		assertClose(t, a.String()+" F64 reload", forwardPlain(t, got, in), want, 0)
		// Load uses the saved metadata.
		again, err := Load(path)
		if err != nil {
			t.Fatal(err)
		}
		assertClose(t, a.String()+" Load", forwardPlain(t, again, in), want, 0)

		// BF16 is lossy; the model still runs close to the original.
		if err := pre.Save(path, "BF16"); err != nil {
			t.Fatal(err)
		}
		lossy, err := LoadPretrained(cfg, path, 0)
		if err != nil {
			t.Fatal(err)
		}
		out, err := lossy.Forward(ctx, plain.New(), in)
		if err != nil {
			t.Fatal(err)
		}
		if _, rel, _ := mpc.Compare(out, mpc.Vector(want...)); rel > 0.1 {
			t.Errorf("%v: BF16 checkpoint logits %.3g off", a, rel)
		}

		// A fine-tuned model with adapters, a private head and merged heads
		// round-trips through Save and Load.
		ft := pre.MustFineTune(Knobs{FreezeLayers: 1, LoRARank: 2, MergeHeads: 2, Perturb: 1, Seed: 5, Softmax: 2})
		fwant := forwardPlain(t, ft, in)
		fpath := filepath.Join(dir, a.String()+"-ft.safetensors")
		if err := ft.Save(fpath, "F64"); err != nil {
			t.Fatal(err)
		}
		back, err := Load(fpath)
		if err != nil {
			t.Fatalf("%v fine-tuned: %v", a, err)
		}
		if back.Knobs.String() != ft.Knobs.String() || !back.FineTuned {
			t.Errorf("%v: knobs %q after reload, want %q", a, back.Knobs, ft.Knobs)
		}
		assertClose(t, a.String()+" fine-tuned reload", forwardPlain(t, back, in), fwant, 0)
	}
}

func TestPublishedNaming(t *testing.T) {
	names, err := CheckpointNames(Tiny(GPT2))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"wte.weight", "wpe.weight", "h.0.attn.c_attn.weight", "h.1.mlp.c_proj.bias", "ln_f.weight"} {
		if !contains(names, want) {
			t.Errorf("GPT-2 names lack %s", want)
		}
	}
	names, _ = CheckpointNames(Tiny(BERT))
	for _, want := range []string{"bert.embeddings.word_embeddings.weight", "bert.encoder.layer.0.attention.self.query.weight",
		"bert.encoder.layer.1.output.LayerNorm.bias", "bert.pooler.dense.weight", "classifier.weight"} {
		if !contains(names, want) {
			t.Errorf("BERT names lack %s", want)
		}
	}
	names, _ = CheckpointNames(Tiny(LLaMA))
	for _, want := range []string{"model.embed_tokens.weight", "model.layers.0.self_attn.q_proj.weight",
		"model.layers.1.mlp.gate_proj.weight", "model.norm.weight", "lm_head.weight"} {
		if !contains(names, want) {
			t.Errorf("LLaMA names lack %s", want)
		}
	}
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// TestPublishedLayouts builds files the way the published checkpoints are
// laid out — GPT-2 with the "transformer." prefix and a fused, [in, 3·out]
// c_attn; BERT without the "bert." prefix and nn.Linear [out, in] weights;
// F16 and BF16 data; buffers that are not weights — and checks that the
// loader places every value where the reference forward pass expects it.
func TestPublishedLayouts(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		arch   Arch
		rename func(string) string
		dtype  string
	}{
		{GPT2, func(n string) string { return "transformer." + n }, "F16"},
		{BERT, func(n string) string { return strings.TrimPrefix(n, "bert.") }, "BF16"},
		{LLaMA, func(n string) string { return n }, "F32"},
	} {
		cfg := Tiny(c.arch)
		src := pretrained(t, cfg, 33)
		var ts []NamedTensor
		for _, e := range hfLayout(src) {
			d, err := entryTensor(e)
			if err != nil {
				t.Fatal(err)
			}
			ts = append(ts, NamedTensor{Name: c.rename(e.name), Tensor: d})
		}
		ts = append(ts, NamedTensor{Name: c.rename("h.0.attn.bias"), Tensor: mpc.Vector(1, 1)})
		path := filepath.Join(dir, c.arch.String()+"-published.safetensors")
		var buf bytes.Buffer
		if err := WriteSafetensors(&buf, ts, c.dtype, nil); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		m, err := LoadPretrained(cfg, path, 0)
		if err != nil {
			t.Fatalf("%v: %v", c.arch, err)
		}
		// Every parameter equals the source's after the dtype's rounding.
		for _, p := range src.Params() {
			q, err := m.Param(p.Name)
			if err != nil {
				t.Fatal(err)
			}
			for i, x := range p.Data() {
				if math.Abs(q.Data()[i]-x) > 1e-2*math.Abs(x)+1e-6 {
					t.Fatalf("%v %s[%d] = %g, want %g", c.arch, p.Name, i, q.Data()[i], x)
				}
			}
		}
	}
	// A file of another family is refused with the missing names.
	gpt := filepath.Join(dir, "gpt2-published.safetensors")
	_, err := LoadPretrained(Tiny(LLaMA), gpt, 0)
	if err == nil || !strings.Contains(err.Error(), "missing model.embed_tokens.weight") {
		t.Errorf("loading GPT-2 as LLaMA: %v", err)
	}
	// A checkpoint of the right family but the wrong width is refused.
	small := Tiny(GPT2)
	small.Hidden, small.Heads = 8, 2
	_, err = LoadPretrained(small, gpt, 0)
	if err == nil || !strings.Contains(err.Error(), "has shape [64×16], the model needs [64×8]") {
		t.Errorf("loading a wider checkpoint: %v", err)
	}
}
