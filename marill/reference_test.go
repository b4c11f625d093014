package marill

import (
	"math"
	"strconv"
	"testing"

	"github.com/marill-go/marill/mpc"
)

// This file is an independent reference forward pass: textbook loops over
// the parameters' values, written from the published model definitions
// (HF transformers' GPT2Model, BertModel, LlamaModel), sharing no code with
// the engines or the forward pass under test.

type mat struct {
	r, c int
	v    []float64
}

func param(t *testing.T, m *Model, name string) []float64 {
	t.Helper()
	p, err := m.Param(name)
	if err != nil {
		t.Fatal(err)
	}
	return p.Data()
}

// linearRef computes x·W + b (+ x·A·B) with W stored [in, out].
func linearRef(x mat, w []float64, out int, b []float64, la, lb []float64, r int) mat {
	y := mat{x.r, out, make([]float64, x.r*out)}
	for i := 0; i < x.r; i++ {
		for j := 0; j < out; j++ {
			s := 0.0
			for k := 0; k < x.c; k++ {
				s += x.v[i*x.c+k] * w[k*out+j]
			}
			if b != nil {
				s += b[j]
			}
			y.v[i*out+j] = s
		}
	}
	if la != nil {
		for i := 0; i < x.r; i++ {
			xa := make([]float64, r)
			for q := 0; q < r; q++ {
				for k := 0; k < x.c; k++ {
					xa[q] += x.v[i*x.c+k] * la[k*r+q]
				}
			}
			for j := 0; j < out; j++ {
				for q := 0; q < r; q++ {
					y.v[i*out+j] += xa[q] * lb[q*out+j]
				}
			}
		}
	}
	return y
}

func layerNormRef(x mat, g, b []float64, eps float64) mat {
	y := mat{x.r, x.c, make([]float64, len(x.v))}
	for i := 0; i < x.r; i++ {
		row := x.v[i*x.c : (i+1)*x.c]
		mu, va := 0.0, 0.0
		for _, v := range row {
			mu += v
		}
		mu /= float64(x.c)
		for _, v := range row {
			va += (v - mu) * (v - mu)
		}
		va /= float64(x.c)
		for j, v := range row {
			n := (v - mu) / math.Sqrt(va+eps)
			if b != nil {
				y.v[i*x.c+j] = n*g[j] + b[j]
			} else {
				y.v[i*x.c+j] = n * g[j]
			}
		}
	}
	return y
}

func rmsNormRef(x mat, g []float64, eps float64) mat {
	y := mat{x.r, x.c, make([]float64, len(x.v))}
	for i := 0; i < x.r; i++ {
		ss := 0.0
		for j := 0; j < x.c; j++ {
			ss += x.v[i*x.c+j] * x.v[i*x.c+j]
		}
		rs := 1 / math.Sqrt(ss/float64(x.c)+eps)
		for j := 0; j < x.c; j++ {
			y.v[i*x.c+j] = x.v[i*x.c+j] * rs * g[j]
		}
	}
	return y
}

func addRef(a, b mat) mat {
	y := mat{a.r, a.c, make([]float64, len(a.v))}
	for i := range a.v {
		y.v[i] = a.v[i] + b.v[i]
	}
	return y
}

// attentionRef is multi-head attention with `heads` heads over q, k, v
// [n, d], an optional causal mask, and the given softmax kind.
func attentionRef(q, k, v mat, heads int, causal bool, kind mpc.SoftmaxKind) mat {
	n, d := q.r, q.c
	dh := d / heads
	out := mat{n, d, make([]float64, n*d)}
	for h := 0; h < heads; h++ {
		for i := 0; i < n; i++ {
			valid := n
			if causal {
				valid = i + 1
			}
			s := make([]float64, valid)
			for j := 0; j < valid; j++ {
				for t := 0; t < dh; t++ {
					s[j] += q.v[i*d+h*dh+t] * k.v[j*d+h*dh+t]
				}
				s[j] /= math.Sqrt(float64(dh))
			}
			p := make([]float64, valid)
			switch kind {
			case mpc.Softmax2Quad:
				sum := 0.0
				for j := range s {
					p[j] = (s[j] + 5) * (s[j] + 5)
					sum += p[j]
				}
				for j := range p {
					p[j] /= sum
				}
			default:
				m := math.Inf(-1)
				for _, x := range s {
					m = math.Max(m, x)
				}
				sum := 0.0
				for j := range s {
					p[j] = math.Exp(s[j] - m)
					sum += p[j]
				}
				for j := range p {
					p[j] /= sum
				}
			}
			for j := 0; j < valid; j++ {
				for t := 0; t < dh; t++ {
					out.v[i*d+h*dh+t] += p[j] * v.v[j*d+h*dh+t]
				}
			}
		}
	}
	return out
}

func geluTanhRef(x float64) float64 {
	return 0.5 * x * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(x+0.044715*math.Pow(x, 3))))
}

func geluErfRef(x float64) float64 { return 0.5 * x * (1 + math.Erf(x/math.Sqrt2)) }

func mapRef(x mat, f func(float64) float64) mat {
	y := mat{x.r, x.c, make([]float64, len(x.v))}
	for i, v := range x.v {
		y.v[i] = f(v)
	}
	return y
}

// lin reads a projection (and its adapters, when present) by canonical name.
func lin(t *testing.T, m *Model, x mat, name string, out int) mat {
	var b, la, lb []float64
	if p, err := m.Param(name + ".bias"); err == nil {
		b = p.Data()
	}
	r := 0
	if p, err := m.Param(name + ".lora_a"); err == nil {
		la = p.Data()
		lb = param(t, m, name+".lora_b")
		r = p.Shape()[1]
	}
	return linearRef(x, param(t, m, name+".weight"), out, b, la, lb, r)
}

// gpt2Reference is GPT-2's forward pass; heads and softmax per block from
// the model. A tied head multiplies by the token table directly.
func gpt2Reference(t *testing.T, m *Model, ids []int) []float64 {
	cfg := m.Config
	d, n := cfg.Hidden, len(ids)
	wte, wpe := param(t, m, "embed.tokens"), param(t, m, "embed.positions")
	x := mat{n, d, make([]float64, n*d)}
	for i, id := range ids {
		for j := 0; j < d; j++ {
			x.v[i*d+j] = wte[id*d+j] + wpe[i*d+j]
		}
	}
	for l, b := range m.Blocks {
		pre := "block" + strconv.Itoa(l)
		h := layerNormRef(x, param(t, m, pre+".norm1.gamma"), param(t, m, pre+".norm1.beta"), cfg.NormEps)
		q, k, v := lin(t, m, h, pre+".attn.q", d), lin(t, m, h, pre+".attn.k", d), lin(t, m, h, pre+".attn.v", d)
		a := attentionRef(q, k, v, b.Heads, true, b.Softmax)
		x = addRef(x, lin(t, m, a, pre+".attn.o", d))
		h = layerNormRef(x, param(t, m, pre+".norm2.gamma"), param(t, m, pre+".norm2.beta"), cfg.NormEps)
		f := mapRef(lin(t, m, h, pre+".ffn.up", cfg.FFN), geluTanhRef)
		x = addRef(x, lin(t, m, f, pre+".ffn.down", d))
	}
	last := mat{1, d, x.v[(n-1)*d:]}
	last = layerNormRef(last, param(t, m, "final_norm.gamma"), param(t, m, "final_norm.beta"), cfg.NormEps)
	if !m.Head.LMTied {
		return lin(t, m, last, "head.lm", cfg.Vocab).v
	}
	logits := make([]float64, cfg.Vocab)
	for vv := 0; vv < cfg.Vocab; vv++ {
		for j := 0; j < d; j++ {
			logits[vv] += last.v[j] * wte[vv*d+j]
		}
	}
	return logits
}

// bertReference is BertForSequenceClassification's forward pass.
func bertReference(t *testing.T, m *Model, ids []int) []float64 {
	cfg := m.Config
	d, n := cfg.Hidden, len(ids)
	wte, wpe, typ := param(t, m, "embed.tokens"), param(t, m, "embed.positions"), param(t, m, "embed.types")
	x := mat{n, d, make([]float64, n*d)}
	for i, id := range ids {
		for j := 0; j < d; j++ {
			x.v[i*d+j] = wte[id*d+j] + wpe[i*d+j] + typ[j]
		}
	}
	x = layerNormRef(x, param(t, m, "embed.norm.gamma"), param(t, m, "embed.norm.beta"), cfg.NormEps)
	for l, b := range m.Blocks {
		pre := "block" + strconv.Itoa(l)
		q, k, v := lin(t, m, x, pre+".attn.q", d), lin(t, m, x, pre+".attn.k", d), lin(t, m, x, pre+".attn.v", d)
		a := lin(t, m, attentionRef(q, k, v, b.Heads, false, b.Softmax), pre+".attn.o", d)
		x = layerNormRef(addRef(x, a), param(t, m, pre+".norm1.gamma"), param(t, m, pre+".norm1.beta"), cfg.NormEps)
		f := lin(t, m, mapRef(lin(t, m, x, pre+".ffn.up", cfg.FFN), geluErfRef), pre+".ffn.down", d)
		x = layerNormRef(addRef(x, f), param(t, m, pre+".norm2.gamma"), param(t, m, pre+".norm2.beta"), cfg.NormEps)
	}
	cls := mat{1, d, x.v[:d]}
	pooled := mapRef(lin(t, m, cls, "head.pooler", d), math.Tanh)
	return lin(t, m, pooled, "head.classifier", cfg.Labels).v
}

// llamaReference is LlamaForCausalLM's forward pass (rotate-half rotary).
func llamaReference(t *testing.T, m *Model, ids []int) []float64 {
	cfg := m.Config
	d, n := cfg.Hidden, len(ids)
	emb := param(t, m, "embed.tokens")
	x := mat{n, d, make([]float64, n*d)}
	for i, id := range ids {
		copy(x.v[i*d:(i+1)*d], emb[id*d:(id+1)*d])
	}
	dh := cfg.HeadDim()
	rotate := func(q mat) mat {
		y := mat{q.r, q.c, make([]float64, len(q.v))}
		for p := 0; p < n; p++ {
			for h := 0; h < cfg.Heads; h++ {
				for i := 0; i < dh/2; i++ {
					theta := float64(p) / math.Pow(cfg.RopeBase, float64(2*i)/float64(dh))
					c, s := math.Cos(theta), math.Sin(theta)
					x1, x2 := q.v[p*d+h*dh+i], q.v[p*d+h*dh+i+dh/2]
					y.v[p*d+h*dh+i] = x1*c - x2*s
					y.v[p*d+h*dh+i+dh/2] = x2*c + x1*s
				}
			}
		}
		return y
	}
	silu := func(v float64) float64 { return v / (1 + math.Exp(-v)) }
	for l, b := range m.Blocks {
		pre := "block" + strconv.Itoa(l)
		h := rmsNormRef(x, param(t, m, pre+".norm1.gamma"), cfg.NormEps)
		q, k := rotate(lin(t, m, h, pre+".attn.q", d)), rotate(lin(t, m, h, pre+".attn.k", d))
		v := lin(t, m, h, pre+".attn.v", d)
		x = addRef(x, lin(t, m, attentionRef(q, k, v, b.Heads, true, b.Softmax), pre+".attn.o", d))
		h = rmsNormRef(x, param(t, m, pre+".norm2.gamma"), cfg.NormEps)
		g := mapRef(lin(t, m, h, pre+".ffn.gate", cfg.FFN), silu)
		u := lin(t, m, h, pre+".ffn.up", cfg.FFN)
		for i := range g.v {
			g.v[i] *= u.v[i]
		}
		x = addRef(x, lin(t, m, g, pre+".ffn.down", d))
	}
	last := rmsNormRef(mat{1, d, x.v[(n-1)*d:]}, param(t, m, "final_norm.gamma"), cfg.NormEps)
	return lin(t, m, last, "head.lm", cfg.Vocab).v
}

func assertClose(t *testing.T, what string, got, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range got {
		if math.Abs(got[i]-want[i]) > tol {
			t.Fatalf("%s: element %d = %.12g, reference %.12g (tolerance %g)", what, i, got[i], want[i], tol)
		}
	}
}
