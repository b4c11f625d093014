package data

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"unicode"
)

// Special token ids, the same in every Tokenizer.
const (
	PAD  = 0 // padding (never produced by Encode)
	UNK  = 1 // a word outside the vocabulary
	CLS  = 2 // first token of an encoder's input; the classifier reads it
	SEP  = 3 // ends a text or a prompt
	MASK = 4 // a masked word (masked-language-model pretraining)
	BOS  = 5 // first token of a decoder's input
	EOS  = 6 // ends a generated target
)

// Specials are the names of the special tokens, by id.
func Specials() []string {
	return []string{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "[BOS]", "[EOS]"}
}

// Tokenizer maps words to ids: the special tokens first, then a fixed word
// list. Text is lower-cased and split at spaces and punctuation (Words).
type Tokenizer struct {
	words []string // specials, then the word list
	ids   map[string]int
}

// NewTokenizer returns a tokenizer over words (duplicates are dropped,
// order kept). A word must be non-empty, without spaces and lower case.
func NewTokenizer(words []string) (*Tokenizer, error) {
	t := &Tokenizer{ids: map[string]int{}}
	for _, s := range Specials() {
		t.ids[s] = len(t.words)
		t.words = append(t.words, s)
	}
	for i, w := range words {
		switch {
		case w == "" || strings.IndexFunc(w, unicode.IsSpace) >= 0:
			return nil, fmt.Errorf("data: tokenizer word %d (%q) is empty or has a space", i, w)
		case strings.ToLower(w) != w:
			return nil, fmt.Errorf("data: tokenizer word %d (%q) is not lower case", i, w)
		}
		if _, ok := t.ids[w]; ok {
			continue // a duplicate (special names are upper case, so never a word)
		}
		t.ids[w] = len(t.words)
		t.words = append(t.words, w)
	}
	return t, nil
}

// BuiltinTokenizer covers the built-in grammar's vocabulary: every word of
// the corpus and the built-in tasks.
func BuiltinTokenizer() *Tokenizer {
	t, err := NewTokenizer(Vocabulary())
	if err != nil {
		panic(err) // the lexicon is valid
	}
	return t
}

// BuildTokenizer returns a tokenizer over the maxWords most frequent words
// of texts (ties broken alphabetically; maxWords ≤ 0 keeps every word), for
// data that is not the built-in grammar's.
func BuildTokenizer(texts []string, maxWords int) *Tokenizer {
	count := map[string]int{}
	for _, s := range texts {
		for _, w := range Words(s) {
			count[w]++
		}
	}
	words := make([]string, 0, len(count))
	for w := range count {
		words = append(words, w)
	}
	sort.Slice(words, func(i, j int) bool {
		if count[words[i]] != count[words[j]] {
			return count[words[i]] > count[words[j]]
		}
		return words[i] < words[j]
	})
	if maxWords > 0 && len(words) > maxWords {
		words = words[:maxWords]
	}
	t, err := NewTokenizer(words)
	if err != nil {
		panic(err) // Words yields valid words
	}
	return t
}

// Words lower-cases text and splits it into words: runs of letters and
// digits, and every other non-space character on its own ("don't." →
// don ' t .).
func Words(text string) []string {
	var out []string
	var cur strings.Builder
	flush := func() {
		if cur.Len() > 0 {
			out = append(out, cur.String())
			cur.Reset()
		}
	}
	for _, r := range strings.ToLower(text) {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			cur.WriteRune(r)
		case unicode.IsSpace(r):
			flush()
		default:
			flush()
			out = append(out, string(r))
		}
	}
	flush()
	return out
}

// Size is the number of ids (specials included): a model's vocabulary.
func (t *Tokenizer) Size() int { return len(t.words) }

// ID returns a word's id, or UNK.
func (t *Tokenizer) ID(word string) int {
	if id, ok := t.ids[word]; ok {
		return id
	}
	return UNK
}

// Word returns the word of an id ("" if out of range).
func (t *Tokenizer) Word(id int) string {
	if id < 0 || id >= len(t.words) {
		return ""
	}
	return t.words[id]
}

// Encode splits text into words and maps them to ids (no special tokens
// are added; unknown words become UNK).
func (t *Tokenizer) Encode(text string) []int {
	ws := Words(text)
	ids := make([]int, len(ws))
	for i, w := range ws {
		ids[i] = t.ID(w)
	}
	return ids
}

// Decode joins the words of ids with spaces, leaving out PAD, BOS, EOS,
// CLS and SEP.
func (t *Tokenizer) Decode(ids []int) string {
	var ws []string
	for _, id := range ids {
		switch id {
		case PAD, BOS, EOS, CLS, SEP:
			continue
		}
		ws = append(ws, t.Word(id))
	}
	return strings.Join(ws, " ")
}

// UnknownRate is the fraction of words of texts outside the vocabulary.
func (t *Tokenizer) UnknownRate(texts []string) float64 {
	n, unk := 0, 0
	for _, s := range texts {
		for _, w := range Words(s) {
			n++
			if _, ok := t.ids[w]; !ok {
				unk++
			}
		}
	}
	if n == 0 {
		return 0
	}
	return float64(unk) / float64(n)
}

// tokenizerFile is the JSON form of a tokenizer.
type tokenizerFile struct {
	Format string   `json:"format"`
	Words  []string `json:"words"`
}

const tokenizerFormat = "marill-train/words-v1"

// MarshalJSON writes the word list (specials are implied).
func (t *Tokenizer) MarshalJSON() ([]byte, error) {
	return json.Marshal(tokenizerFile{Format: tokenizerFormat, Words: t.words[len(Specials()):]})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (t *Tokenizer) UnmarshalJSON(b []byte) error {
	var f tokenizerFile
	if err := json.Unmarshal(b, &f); err != nil {
		return fmt.Errorf("data: tokenizer: %w", err)
	}
	if f.Format != tokenizerFormat {
		return fmt.Errorf("data: tokenizer format %q, want %q", f.Format, tokenizerFormat)
	}
	n, err := NewTokenizer(f.Words)
	if err != nil {
		return err
	}
	*t = *n
	return nil
}

// Save writes the tokenizer as JSON.
func (t *Tokenizer) Save(path string) error {
	b, err := json.Marshal(t)
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("data: %w", err)
	}
	return nil
}

// LoadTokenizer reads a tokenizer written by Save.
func LoadTokenizer(path string) (*Tokenizer, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	t := &Tokenizer{}
	if err := json.Unmarshal(b, t); err != nil {
		return nil, fmt.Errorf("data: %s: %w", path, err)
	}
	return t, nil
}
