// Package data is the data of Marill-Go's training workbench, none of it
// downloaded: a small English-like grammar that generates a pretraining
// corpus and downstream tasks from a seed, a word-level tokenizer, and
// loaders for your own examples.
//
// # The grammar
//
// The lexicon has about 400 words: nouns in four kinds (people, animals, things,
// works such as films and meals) with singular and plural forms,
// intransitive and transitive verbs in both numbers, adjectives of
// positive, negative and neutral sense, intensifiers, negations, adverbs,
// prepositions and function words. Sentences are drawn from templates:
// subjects with attractor nouns (prepositional phrases, object and subject
// relative clauses), transitive and past sentences, descriptions, and
// opinions ("i thought the film was not very good .", "the meal was bland
// but the show was wonderful ."). Corpus(n, seed) draws n documents: a
// sentence, followed half the time by one that refers back to it — a
// pronoun agreeing with the subject and a predicate typical of its kind
// ("the foxes near the car sleep . they eat ."), or a verdict agreeing with
// an opinion ("the film was not good . i disliked it ."). A language model
// trained on it learns to carry a sentence's subject and sense to its end,
// as real pretrained models carry what a text says.
//
// # Built-in tasks
//
//	sentiment  classification, 2 labels: is the opinion positive? The last clause decides
//	           ("X but Y", "although X , Y"); "not" and "never" flip its adjective.
//	agreement  classification, 2 labels: does the main verb agree in number with the
//	           subject? Attractors of the other number sit between them. (Hard for
//	           2-layer models trained briefly: they stay at chance, although the
//	           pretrained language model prefers the grammatical form.)
//	subject    classification, 4 labels: is the subject a person, an animal, a thing
//	           or a work? Other nouns in the sentence are mostly of other kinds.
//	plural     generation: rewrite a sentence with a singular subject in the plural
//	           (the subject and the verbs agreeing with it change, attractors do not).
//	reverse    generation: the prompt's 3 to 6 words in reverse order.
//
// Builtin(name, Options) draws disjoint train, dev and test splits (10,000,
// 1,000 and 1,000 by default) with balanced labels; the test split is drawn
// first, so a larger training split keeps the same test split. Tests
// re-derive every label and target with an independent reading of the
// rules.
//
// # Tokens
//
// Tokenizer maps words to ids after seven special tokens ([PAD], [UNK],
// [CLS], [SEP], [MASK], [BOS], [EOS]). Words lower-cases text and splits
// it at spaces and punctuation. BuiltinTokenizer covers the grammar;
// BuildTokenizer makes one from your texts. Tokenizers save as JSON.
//
// # Your data
//
// ReadJSONL reads one object per line, {"text": ..., "label": ...} for
// classification (labels strings, integers or booleans) or {"prompt": ...,
// "target": ...} for generation. ReadCSV reads a header row naming the
// columns text and label, or prompt and target (quoted fields welcome).
// Errors name the file and line: malformed JSON, a missing or empty
// field, a label that is not a string or an integer, a record of the other
// kind, an over-long line, a row short of fields. LoadTask reads a task
// from Files{Train, Dev, Test}; a missing dev or test file is held out of
// the training file (a tenth each, by a seeded shuffle). Integer labels
// 0..K−1 keep their values; other labels are numbered in sorted order.
package data
