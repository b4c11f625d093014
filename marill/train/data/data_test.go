package data

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

func lookupSet(sets ...[]string) map[string]bool {
	m := map[string]bool{}
	for _, s := range sets {
		for _, w := range s {
			m[w] = true
		}
	}
	return m
}

// sentimentOracle labels an opinion sentence by an independent reading of
// the grammar's rule: the last clause decides, and a negation in it flips
// its adjective.
func sentimentOracle(text string) int {
	w := strings.Fields(text)
	last := 0
	for i, x := range w {
		if x == "but" || x == "and" || x == "," {
			last = i + 1
		}
	}
	pos, neg := lookupSet(positive), lookupSet(negative)
	pol, negated := -1, false
	for _, x := range w[last:] {
		switch {
		case pos[x]:
			pol = 1
		case neg[x]:
			pol = 0
		case x == "not" || x == "never":
			negated = true
		}
	}
	if negated {
		return 1 - pol
	}
	return pol
}

func nounInfo() (number map[string]bool, kind map[string]int) {
	number, kind = map[string]bool{}, map[string]int{}
	for k, set := range [][]noun{people, animals, things, works} {
		for _, n := range set {
			number[n.sg], number[n.pl] = false, true
			kind[n.sg], kind[n.pl] = k, k
		}
	}
	return number, kind
}

func mainVerbNumber(w []string) (bool, bool) {
	num := map[string]bool{"is": false, "was": false, "are": true, "were": true}
	for _, v := range intransitive {
		num[v.sg], num[v.pl] = false, true
	}
	for i := len(w) - 1; i >= 0; i-- {
		if p, ok := num[w[i]]; ok {
			return p, true
		}
	}
	return false, false
}

func firstNoun(w []string) (string, bool) {
	number, _ := nounInfo()
	for _, x := range w {
		if _, ok := number[x]; ok {
			return x, true
		}
	}
	return "", false
}

func TestBuiltinTasksFollowTheirRules(t *testing.T) {
	number, kind := nounInfo()
	opts := Options{Train: 1500, Dev: 200, Test: 300, Seed: 7}
	for _, name := range TaskNames() {
		t.Run(name, func(t *testing.T) {
			task, err := Builtin(name, opts)
			if err != nil {
				t.Fatal(err)
			}
			if err := task.Validate(); err != nil {
				t.Fatal(err)
			}
			if len(task.Train) != 1500 || len(task.Dev) != 200 || len(task.Test) != 300 {
				t.Fatalf("split sizes %d/%d/%d", len(task.Train), len(task.Dev), len(task.Test))
			}
			all := slices.Concat(task.Train, task.Dev, task.Test)
			counts := make([]int, max(len(task.Labels), 1))
			contrast := 0
			for _, x := range all {
				w := strings.Fields(x.Text + x.Prompt)
				switch name {
				case "sentiment":
					if got := sentimentOracle(x.Text); got != x.Label {
						t.Fatalf("%q labelled %d, the rule says %d", x.Text, x.Label, got)
					}
					if strings.Contains(x.Text, " but ") || strings.HasPrefix(x.Text, "although") {
						contrast++
					}
				case "agreement":
					n, _ := firstNoun(w)
					v, ok := mainVerbNumber(w)
					if !ok {
						t.Fatalf("%q has no main verb", x.Text)
					}
					if want := map[bool]int{true: 1, false: 0}[number[n] == v]; want != x.Label {
						t.Fatalf("%q labelled %d: subject %q plural=%v, verb plural=%v", x.Text, x.Label, n, number[n], v)
					}
				case "subject":
					n, _ := firstNoun(w)
					if kind[n] != x.Label {
						t.Fatalf("%q labelled %d, subject %q is of kind %d", x.Text, x.Label, n, kind[n])
					}
				case "plural":
					tw := strings.Fields(x.Target)
					if len(tw) != len(w) {
						t.Fatalf("%q → %q changes the length", x.Prompt, x.Target)
					}
					sn, _ := firstNoun(w)
					tn, _ := firstNoun(tw)
					if number[sn] || !number[tn] || pluralOf[sn] != tn {
						t.Fatalf("%q → %q: subject %q → %q", x.Prompt, x.Target, sn, tn)
					}
					if v, _ := mainVerbNumber(w); v {
						t.Fatalf("prompt %q has a plural main verb", x.Prompt)
					}
					if v, _ := mainVerbNumber(tw); !v {
						t.Fatalf("target %q has a singular main verb", x.Target)
					}
				case "reverse":
					r := strings.Fields(x.Target)
					slices.Reverse(r)
					if !slices.Equal(r, w) {
						t.Fatalf("%q is not the reverse of %q", x.Target, x.Prompt)
					}
				}
				if task.Kind == Classification {
					counts[x.Label]++
				}
			}
			if task.Kind == Classification {
				for l, c := range counts {
					if d := c - len(all)/len(task.Labels); d < -3 || d > 3 {
						t.Errorf("label %d has %d of %d examples: unbalanced", l, c, len(all))
					}
				}
			}
			if name == "sentiment" && contrast < len(all)/5 {
				t.Errorf("only %d of %d sentences contrast two clauses", contrast, len(all))
			}
		})
	}
}

func TestBuiltinSplitsAreDisjointAndDeterministic(t *testing.T) {
	opts := Options{Train: 800, Dev: 100, Test: 100, Seed: 3}
	for _, name := range TaskNames() {
		a, err := Builtin(name, opts)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := Builtin(name, opts)
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("%s: the same seed gave different tasks", name)
		}
		seen := map[string]string{}
		for _, s := range []struct {
			name string
			xs   []Example
		}{{"train", a.Train}, {"dev", a.Dev}, {"test", a.Test}} {
			for _, x := range s.xs {
				k := x.Text + "|" + x.Prompt
				if prev, ok := seen[k]; ok {
					t.Fatalf("%s: %q is in %s and %s", name, k, prev, s.name)
				}
				seen[k] = s.name
			}
		}
		c, _ := Builtin(name, Options{Train: 800, Dev: 100, Test: 100, Seed: 4})
		if reflect.DeepEqual(a.Test, c.Test) {
			t.Fatalf("%s: seeds 3 and 4 gave the same test split", name)
		}
		// Growing the training set keeps the test set.
		d, _ := Builtin(name, Options{Train: 1600, Dev: 100, Test: 100, Seed: 3})
		if !reflect.DeepEqual(a.Test, d.Test) {
			t.Fatalf("%s: a larger training split changed the test split", name)
		}
	}
	if _, err := Builtin("nope", opts); err == nil || !strings.Contains(err.Error(), "sentiment") {
		t.Fatalf("unknown task: %v", err)
	}
	if _, err := Builtin("sentiment", Options{Train: -1}); err == nil {
		t.Fatal("negative split size accepted")
	}
}

func TestVocabularyCoversCorpusAndTasks(t *testing.T) {
	tok := BuiltinTokenizer()
	corpus := Corpus(3000, 1)
	if r := tok.UnknownRate(corpus); r != 0 {
		t.Fatalf("%.4f of the corpus is unknown to the built-in tokenizer", r)
	}
	if !slices.Equal(corpus, Corpus(3000, 1)) || slices.Equal(corpus, Corpus(3000, 2)) {
		t.Fatal("the corpus is not a function of its seed")
	}
	for _, name := range TaskNames() {
		task, _ := Builtin(name, Options{Train: 500, Dev: 50, Test: 50})
		if r := tok.UnknownRate(task.Texts()); r != 0 {
			t.Fatalf("%s: %.4f unknown", name, r)
		}
	}
	if n := tok.Size(); n < 300 || n > 600 {
		t.Fatalf("vocabulary of %d words; the grammar has a few hundred", n)
	}
}

func TestTokenizer(t *testing.T) {
	if got := Words("Don't, STOP.\tnow"); !slices.Equal(got, []string{"don", "'", "t", ",", "stop", ".", "now"}) {
		t.Fatalf("Words = %q", got)
	}
	tok, err := NewTokenizer([]string{"the", "dog", "runs", "the", "."})
	if err != nil {
		t.Fatal(err)
	}
	if tok.Size() != len(Specials())+4 {
		t.Fatalf("size %d", tok.Size())
	}
	ids := tok.Encode("The dog flies.")
	if !slices.Equal(ids, []int{7, 8, UNK, 10}) {
		t.Fatalf("Encode = %v", ids)
	}
	if got := tok.Decode(append([]int{BOS}, append(ids, EOS)...)); got != "the dog [UNK] ." {
		t.Fatalf("Decode = %q", got)
	}
	b, err := tok.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	var back Tokenizer
	if err := back.UnmarshalJSON(b); err != nil || !reflect.DeepEqual(&back, tok) {
		t.Fatalf("JSON round trip: %v", err)
	}
	if err := back.UnmarshalJSON([]byte(`{"format":"other","words":[]}`)); err == nil {
		t.Fatal("a foreign format was accepted")
	}
	for _, bad := range [][]string{{"Dog"}, {"two words"}, {""}} {
		if _, err := NewTokenizer(bad); err == nil {
			t.Fatalf("NewTokenizer(%q) succeeded", bad)
		}
	}
	built := BuildTokenizer([]string{"b a a", "c a b"}, 2)
	if built.Word(len(Specials())) != "a" || built.Word(len(Specials())+1) != "b" || built.Size() != len(Specials())+2 {
		t.Fatalf("BuildTokenizer kept %v", built.words)
	}
}
