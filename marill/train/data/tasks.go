package data

import (
	"fmt"
	"slices"
	"strings"
)

// Kind is what a task asks of a model.
type Kind uint8

const (
	// Classification maps a text to one of Labels; the metric is accuracy.
	Classification Kind = iota + 1
	// Generation maps a prompt to a target text, decoded greedily; the
	// metric is exact match (token accuracy is reported too).
	Generation
)

func (k Kind) String() string {
	switch k {
	case Classification:
		return "classification"
	case Generation:
		return "generation"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Example is one labelled example: Text and Label for classification,
// Prompt and Target for generation.
type Example struct {
	Text   string `json:"text,omitempty"`
	Label  int    `json:"label"`
	Prompt string `json:"prompt,omitempty"`
	Target string `json:"target,omitempty"`
}

// Task is a downstream task with its splits.
type Task struct {
	Name string
	Kind Kind
	// Labels names the classes of a classification task, by label index.
	Labels []string
	// Train, Dev and Test are disjoint splits.
	Train, Dev, Test []Example
	// Source says where the examples come from ("built-in, seed 1", a file).
	Source string
}

// Metric names the task's main figure: "accuracy" or "exact_match".
func (t *Task) Metric() string {
	if t.Kind == Generation {
		return "exact_match"
	}
	return "accuracy"
}

// Validate checks that the task has training and test examples of its
// kind, and labels in range.
func (t *Task) Validate() error {
	switch {
	case t.Kind != Classification && t.Kind != Generation:
		return fmt.Errorf("data: task %q has kind %v", t.Name, t.Kind)
	case len(t.Train) == 0:
		return fmt.Errorf("data: task %q has no training examples", t.Name)
	case len(t.Test) == 0:
		return fmt.Errorf("data: task %q has no test examples", t.Name)
	case t.Kind == Classification && len(t.Labels) < 2:
		return fmt.Errorf("data: classification task %q has %d labels, need at least 2", t.Name, len(t.Labels))
	}
	for _, s := range []struct {
		name string
		xs   []Example
	}{{"train", t.Train}, {"dev", t.Dev}, {"test", t.Test}} {
		for i, x := range s.xs {
			if t.Kind == Classification {
				if strings.TrimSpace(x.Text) == "" {
					return fmt.Errorf("data: task %q %s example %d has no text", t.Name, s.name, i)
				}
				if x.Label < 0 || x.Label >= len(t.Labels) {
					return fmt.Errorf("data: task %q %s example %d has label %d outside [0, %d)", t.Name, s.name, i, x.Label, len(t.Labels))
				}
			} else if strings.TrimSpace(x.Prompt) == "" || strings.TrimSpace(x.Target) == "" {
				return fmt.Errorf("data: task %q %s example %d needs a prompt and a target", t.Name, s.name, i)
			}
		}
	}
	return nil
}

// Texts lists every text, prompt and target of the task (for building a
// tokenizer or measuring its coverage).
func (t *Task) Texts() []string {
	var out []string
	for _, xs := range [][]Example{t.Train, t.Dev, t.Test} {
		for _, x := range xs {
			for _, s := range []string{x.Text, x.Prompt, x.Target} {
				if s != "" {
					out = append(out, s)
				}
			}
		}
	}
	return out
}

func (t *Task) String() string {
	s := fmt.Sprintf("%s (%v, %d/%d/%d train/dev/test", t.Name, t.Kind, len(t.Train), len(t.Dev), len(t.Test))
	if t.Kind == Classification {
		s += ", labels " + strings.Join(t.Labels, "/")
	}
	return s + ", " + t.Source + ")"
}

// Options size the splits of a built-in task and seed it.
type Options struct {
	// Train, Dev and Test are the split sizes (defaults 10,000, 1,000
	// and 1,000).
	Train, Dev, Test int
	// Seed draws the examples; the same seed gives the same task.
	Seed uint64
}

// WithDefaults fills in the default split sizes.
func (o Options) WithDefaults() Options {
	if o.Train == 0 {
		o.Train = 10_000
	}
	if o.Dev == 0 {
		o.Dev = 1_000
	}
	if o.Test == 0 {
		o.Test = 1_000
	}
	return o
}

type builtin struct {
	name, about string
	kind        Kind
	labels      []string
	// draw returns an example with the given label (classification) or
	// any example (generation).
	draw func(g *gen, label int) Example
}

var builtins = []builtin{
	{name: "sentiment", kind: Classification, labels: []string{"negative", "positive"},
		about: "is the opinion positive? Adjectives of either polarity, negation (not, never), " +
			"intensifiers, and two clauses joined by and (same sense), but (the second decides) or " +
			"although (the main clause decides)",
		draw: func(g *gen, label int) Example {
			return Example{Text: strings.Join(g.opinion(label == 1, 0.4), " "), Label: label}
		}},
	{name: "agreement", kind: Classification, labels: []string{"ungrammatical", "grammatical"},
		about: "does the main verb agree in number with its subject? Attractor nouns of the other " +
			"number (prepositional phrases, relative clauses) sit between them",
		draw: func(g *gen, label int) Example {
			a := g.agreementSentence(g.coin(0.5))
			if label == 0 {
				main := a.agree[len(a.agree)-1]
				a.words[main] = flipNumber(a.words[main])
			}
			return Example{Text: strings.Join(a.words, " "), Label: label}
		}},
	{name: "subject", kind: Classification, labels: []string{"person", "animal", "thing", "work"},
		about: "what is the sentence's subject: a person, an animal, a thing or a work? Other nouns " +
			"(attractors in prepositional phrases and relative clauses) are mostly of other kinds",
		draw: func(g *gen, label int) Example {
			sets := [][]noun{people, animals, things, works}
			other := func() []noun {
				if g.coin(0.2) {
					return sets[label]
				}
				return sets[(label+1+g.r.IntN(3))%4]
			}
			a := g.sentenceAbout(sets[label], g.coin(0.5), other)
			return Example{Text: strings.Join(a.words, " "), Label: label}
		}},
	{name: "plural", kind: Generation,
		about: "rewrite a sentence with a singular subject in the plural: the subject noun and its " +
			"verb change, attractors and the rest do not",
		draw: func(g *gen, _ int) Example {
			a := g.agreementSentence(false)
			return Example{Prompt: strings.Join(a.words, " "), Target: strings.Join(a.plural(), " ")}
		}},
	{name: "reverse", kind: Generation,
		about: "write the prompt's 3 to 6 words in reverse order",
		draw: func(g *gen, _ int) Example {
			n := 3 + g.r.IntN(4)
			w := make([]string, n)
			for i := range w {
				switch g.r.IntN(3) {
				case 0:
					w[i] = g.nounOf(g.agentSet(), g.coin(0.5))
				case 1:
					w[i] = g.pick(neutralAdj)
				default:
					w[i] = g.verbOf(intransitive, g.coin(0.5))
				}
			}
			r := slices.Clone(w)
			slices.Reverse(r)
			return Example{Prompt: strings.Join(w, " "), Target: strings.Join(r, " ")}
		}},
}

// TaskNames lists the built-in tasks: three classification tasks
// (sentiment, agreement, subject) and two generation tasks (plural,
// reverse).
func TaskNames() []string {
	out := make([]string, len(builtins))
	for i, b := range builtins {
		out[i] = b.name
	}
	return out
}

// Describe says what a built-in task asks.
func Describe(name string) (string, error) {
	b, err := lookup(name)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s (%v): %s", b.name, b.kind, b.about), nil
}

func lookup(name string) (builtin, error) {
	for _, b := range builtins {
		if b.name == name {
			return b, nil
		}
	}
	return builtin{}, fmt.Errorf("data: no built-in task %q (have %s)", name, strings.Join(TaskNames(), ", "))
}

// Builtin draws a built-in task's splits from opts.Seed. Splits are
// disjoint (no text or prompt appears in two of them) and classification
// labels are balanced.
func Builtin(name string, opts Options) (*Task, error) {
	b, err := lookup(name)
	if err != nil {
		return nil, err
	}
	opts = opts.WithDefaults()
	if opts.Train < 0 || opts.Dev < 0 || opts.Test < 1 {
		return nil, fmt.Errorf("data: split sizes %d/%d/%d (train/dev/test): need non-negative sizes and a test split", opts.Train, opts.Dev, opts.Test)
	}
	t := &Task{Name: b.name, Kind: b.kind, Labels: slices.Clone(b.labels),
		Source: fmt.Sprintf("built-in, seed %d", opts.Seed)}
	seen := map[string]bool{}
	split := func(n int, stream uint64) ([]Example, error) {
		g := newGen(opts.Seed, stream)
		out := make([]Example, 0, n)
		for tries := 0; len(out) < n; tries++ {
			if tries > 50*n+1000 {
				return nil, fmt.Errorf("data: task %s: could not draw %d distinct examples", name, n)
			}
			label := 0
			if b.kind == Classification {
				label = len(out) % len(b.labels)
			}
			x := b.draw(g, label)
			key := x.Text + "\x00" + x.Prompt
			if seen[key] {
				continue
			}
			seen[key] = true
			out = append(out, x)
		}
		return out, nil
	}
	// Test first, so growing the training set never changes the test set.
	if t.Test, err = split(opts.Test, 0x7e57); err != nil {
		return nil, err
	}
	if t.Dev, err = split(opts.Dev, 0xde5); err != nil {
		return nil, err
	}
	if t.Train, err = split(opts.Train, 0x7a1); err != nil {
		return nil, err
	}
	return t, nil
}
