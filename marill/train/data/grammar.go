package data

import (
	"math/rand/v2"
	"sort"
	"strings"
)

// gen draws phrases of the built-in grammar from a seeded generator.
type gen struct{ r *rand.Rand }

func newGen(seed, stream uint64) *gen { return &gen{r: rand.New(rand.NewPCG(seed, stream))} }

func (g *gen) pick(xs []string) string { return xs[g.r.IntN(len(xs))] }
func (g *gen) coin(p float64) bool     { return g.r.Float64() < p }

func (g *gen) nounOf(set []noun, plural bool) string {
	n := set[g.r.IntN(len(set))]
	if plural {
		return n.pl
	}
	return n.sg
}

func (g *gen) verbOf(set []verb, plural bool) string {
	v := set[g.r.IntN(len(set))]
	if plural {
		return v.pl
	}
	return v.sg
}

// agents are the nouns that can be subjects of the agreement sentences.
func (g *gen) agentSet() []noun {
	switch g.r.IntN(3) {
	case 0:
		return animals
	case 1:
		return things
	}
	return people
}

// np is "the [adj] noun" of a set.
func (g *gen) np(set []noun, plural bool) []string {
	w := []string{"the"}
	if g.coin(0.3) {
		w = append(w, g.pick(neutralAdj))
	}
	return append(w, g.nounOf(set, plural))
}

// pp is a prepositional phrase with a noun of any number.
func (g *gen) pp(plural bool) []string {
	if g.coin(0.3) {
		return []string{g.pick([]string{"in", "at", "near", "by"}), "the", g.pick(places)}
	}
	return append([]string{g.pick(prepositions)}, g.np(g.agentSet(), plural)...)
}

// copula returns the present or past form of "be" for a number.
func (g *gen) copula(plural bool) string {
	past := g.coin(0.5)
	switch {
	case plural && past:
		return "were"
	case plural:
		return "are"
	case past:
		return "was"
	}
	return "is"
}

// flipCopula changes the number of a form of "be" or "have".
func flipCopula(w string) string {
	switch w {
	case "is":
		return "are"
	case "are":
		return "is"
	case "was":
		return "were"
	case "were":
		return "was"
	case "has":
		return "have"
	case "have":
		return "has"
	}
	return w
}

// agreed is a sentence whose verbs agree with its subject.
type agreed struct {
	words []string
	// head is the index of the subject noun.
	head int
	// agree are the indices of the verbs that agree with the subject; the
	// last is the main verb.
	agree []int
}

// agreementSentence draws a sentence whose subject has the given number
// and whose verbs agree with it. Attractors (a noun of the other number
// between the subject and the main verb) are frequent, so the nearest
// noun is a poor guide to the verb's number.
func (g *gen) agreementSentence(plural bool) agreed {
	return g.sentenceAbout(g.agentSet(), plural, g.agentSet)
}

// sentenceAbout draws a sentence whose subject comes from set and whose
// attractor nouns come from the sets other returns.
func (g *gen) sentenceAbout(set []noun, plural bool, other func() []noun) agreed {
	a := agreed{words: g.np(set, plural)}
	a.head = len(a.words) - 1
	num := !plural // the attractor's number
	if g.coin(0.3) {
		num = plural
	}
	switch g.r.IntN(4) {
	case 0: // attractor in a prepositional phrase
		a.words = append(a.words, g.pick(prepositions))
		a.words = append(a.words, g.np(other(), num)...)
	case 1: // object relative clause: the verb inside agrees with the attractor
		a.words = append(a.words, "that")
		a.words = append(a.words, g.np(other(), num)...)
		a.words = append(a.words, g.verbOf(transitive, num))
	case 2: // subject relative clause: the verb inside agrees with the subject
		a.words = append(a.words, "that")
		a.agree = append(a.agree, len(a.words))
		a.words = append(a.words, g.verbOf(transitive, plural))
		a.words = append(a.words, g.np(other(), num)...)
	}
	a.agree = append(a.agree, len(a.words))
	if g.coin(0.35) {
		a.words = append(a.words, g.copula(plural))
		if g.coin(0.3) {
			a.words = append(a.words, g.pick(intensifiers))
		}
		a.words = append(a.words, g.pick(neutralAdj))
	} else {
		a.words = append(a.words, g.verbOf(intransitive, plural))
		if g.coin(0.5) {
			a.words = append(a.words, g.pick(adverbs))
		}
	}
	a.words = append(a.words, ".")
	return a
}

// plural returns the sentence with its subject and agreeing verbs in the
// plural (a singular sentence's plural counterpart).
func (a agreed) plural() []string {
	w := append([]string(nil), a.words...)
	w[a.head] = pluralOf[w[a.head]]
	for _, i := range a.agree {
		w[i] = flipNumber(w[i])
	}
	return w
}

// kinds are the noun kinds, in the order of the subject task's labels.
var kinds = [][]noun{people, animals, things, works}

// nounKind and nounPlural describe every noun form of the lexicon.
var nounKind, nounPlural = func() (map[string]int, map[string]bool) {
	k, p := map[string]int{}, map[string]bool{}
	for i, set := range kinds {
		for _, n := range set {
			k[n.sg], k[n.pl] = i, i
			p[n.pl] = true
		}
	}
	return k, p
}()

// pluralOf maps every singular noun of the lexicon to its plural.
var pluralOf = func() map[string]string {
	m := map[string]string{}
	for _, set := range [][]noun{people, animals, things, works} {
		for _, n := range set {
			m[n.sg] = n.pl
		}
	}
	return m
}()

// flipNumber changes the number of a verb form ("runs" ↔ "run", "is" ↔
// "are", "was" ↔ "were").
func flipNumber(w string) string {
	if f := flipCopula(w); f != w {
		return f
	}
	for _, set := range [][]verb{intransitive, transitive} {
		for _, v := range set {
			switch w {
			case v.sg:
				return v.pl
			case v.pl:
				return v.sg
			}
		}
	}
	return w
}

// clause is an opinion about a work that says `says` (true = positive):
// "the movie was [not] [very] good". With probability negRate the
// adjective has the opposite polarity and is negated.
func (g *gen) clause(says bool, negRate float64) []string {
	plural := g.coin(0.3)
	w := []string{g.pick([]string{"the", "the", "the", "this", "my", "our", "their"})}
	if plural && w[0] == "this" {
		w[0] = "these"
	}
	w = append(w, g.nounOf(works, plural))
	neg := g.coin(negRate)
	switch {
	case g.coin(0.25):
		w = append(w, g.pick([]string{"seemed", "looked"}))
		neg = false // "seemed not" is not in the grammar
	case plural:
		w = append(w, "were")
	default:
		w = append(w, "was")
	}
	if neg {
		w = append(w, g.pick([]string{"not", "not", "never"}))
	}
	if g.coin(0.4) {
		w = append(w, g.pick(intensifiers))
	}
	if says != neg {
		w = append(w, g.pick(positive))
	} else {
		w = append(w, g.pick(negative))
	}
	return w
}

// opinion draws a sentiment sentence that says `label` (true = positive):
// one clause, an opinion verb around it, or two clauses joined by "and"
// (same sense), "but" (the second decides) or "although" (the main clause
// decides).
func (g *gen) opinion(label bool, negRate float64) []string {
	one := func(says bool) []string { return g.clause(says, negRate) }
	var w []string
	switch g.r.IntN(5) {
	case 0, 1:
		w = one(label)
	case 2:
		w = append([]string{g.pick(pronouns), g.pick(opinionVerbs)}, one(label)...)
	case 3:
		if g.coin(0.5) {
			w = append(append(one(label), "and"), one(label)...)
		} else {
			w = append(append(one(!label), "but"), one(label)...)
		}
	default:
		w = append(append([]string{"although"}, one(!label)...), ",")
		w = append(w, one(label)...)
	}
	return append(w, ".")
}

// meaning is what a follow-up sentence refers back to: the subject's
// kind (people, animals, things, works: 0 to 3) and number, or the sense
// of an opinion.
type meaning struct {
	subject  bool
	kind     int
	plural   bool
	opinion  bool
	positive bool
}

// subjectOf reads the meaning of a sentence whose subject is word.
func subjectOf(word string) meaning {
	k, ok := nounKind[word]
	return meaning{subject: ok, kind: k, plural: nounPlural[word]}
}

// sentence draws one sentence of the corpus: grammatical agreement
// sentences, transitive and past sentences, descriptions, and opinions.
func (g *gen) sentence() ([]string, meaning) {
	switch g.r.IntN(8) {
	case 0, 1:
		a := g.agreementSentence(g.coin(0.5))
		return a.words, subjectOf(a.words[a.head])
	case 2:
		plural := g.coin(0.5)
		w := g.np(g.agentSet(), plural)
		m := subjectOf(w[len(w)-1])
		w = append(w, g.verbOf(transitive, plural))
		w = append(w, g.np(g.agentSet(), g.coin(0.5))...)
		if g.coin(0.5) {
			w = append(w, g.pp(g.coin(0.5))...)
		}
		return append(w, "."), m
	case 3:
		w := []string{g.pick(pronouns)}
		if g.coin(0.5) {
			w = g.np(people, g.coin(0.5))
		}
		w = append(w, g.pick(pastTransitive))
		w = append(w, g.np(append(append([]noun(nil), works...), animals...), g.coin(0.5))...)
		if g.coin(0.5) {
			w = append(w, g.pick([]string{"yesterday", "again", "today", "twice"}))
		}
		return append(w, "."), meaning{}
	case 4:
		plural := g.coin(0.5)
		w := g.np(kinds[g.r.IntN(len(kinds))], plural)
		m := subjectOf(w[len(w)-1])
		w = append(w, g.copula(plural), g.pick(neutralAdj))
		if g.coin(0.5) {
			w = append(w, g.pp(g.coin(0.5))...)
		}
		return append(w, "."), m
	default:
		positive := g.coin(0.5)
		return g.opinion(positive, 0.3), meaning{opinion: true, positive: positive}
	}
}

// followUp is a sentence that refers back to one of the given meaning: a
// pronoun agreeing with the subject and a predicate typical of its kind
// ("the foxes near the car sleep . they eat ."), or a verdict agreeing
// with an opinion ("the film was not good . i disliked it .").
func (g *gen) followUp(m meaning) []string {
	if m.opinion {
		if m.positive {
			return append(strings.Fields(g.pick(verdicts[1])), ".")
		}
		return append(strings.Fields(g.pick(verdicts[0])), ".")
	}
	pron := "it"
	switch {
	case m.plural:
		pron = "they"
	case m.kind == 0:
		pron = g.pick([]string{"he", "she"})
	}
	w := []string{pron}
	if m.kind == 2 {
		w = append(w, g.copula(m.plural), g.pick(thingAdj))
	} else {
		w = append(w, g.verbOf(kindVerbs[m.kind], m.plural))
	}
	return append(w, ".")
}

// Corpus returns n documents of the built-in grammar, drawn from seed: the
// text a small "public pretrained" model is trained on. A document is a
// sentence, followed half the time by a sentence that refers back to it
// (followUp): a language model must then carry a sentence's subject and
// sense to its end, the knowledge a fine-tuned classifier reads there.
// The same seed gives the same corpus.
func Corpus(n int, seed uint64) []string {
	g := newGen(seed, 0xc0)
	out := make([]string, n)
	for i := range out {
		w, m := g.sentence()
		if (m.subject || m.opinion) && g.coin(0.5) {
			w = append(w, g.followUp(m)...)
		}
		out[i] = strings.Join(w, " ")
	}
	return out
}

// Vocabulary lists every word of the built-in grammar once, sorted.
func Vocabulary() []string {
	seen := map[string]bool{}
	add := func(ws ...string) {
		for _, w := range ws {
			seen[w] = true
		}
	}
	for _, set := range [][]noun{people, animals, things, works} {
		for _, n := range set {
			add(n.sg, n.pl)
		}
	}
	for _, set := range append([][]verb{intransitive, transitive}, kindVerbs...) {
		for _, v := range set {
			add(v.sg, v.pl)
		}
	}
	for _, vs := range verdicts {
		for _, v := range vs {
			add(strings.Fields(v)...)
		}
	}
	for _, ws := range [][]string{places, pastTransitive, positive, negative, neutralAdj, intensifiers,
		adverbs, prepositions, pronouns, opinionVerbs, functionWords, {"twice"}} {
		add(ws...)
	}
	out := make([]string, 0, len(seen))
	for w := range seen {
		out = append(out, w)
	}
	sort.Strings(out)
	return out
}
