package data_test

import (
	"fmt"
	"strings"

	"github.com/marill-go/marill/marill/train/data"
)

func ExampleBuiltin() {
	task, err := data.Builtin("sentiment", data.Options{Train: 100, Dev: 10, Test: 10, Seed: 1})
	if err != nil {
		panic(err)
	}
	fmt.Println(task)
	for _, x := range task.Train[:3] {
		fmt.Printf("%-8s %s\n", task.Labels[x.Label], x.Text)
	}
	// Output:
	// sentiment (classification, 100/10/10 train/dev/test, labels negative/positive, built-in, seed 1)
	// negative the album was extremely terrible .
	// positive the museum was not so disappointing .
	// negative our museum was not fantastic .
}

func ExampleReadJSONL() {
	in := `{"text": "a fine film", "label": "pos"}
{"text": "a dull film"}`
	_, err := data.ReadJSONL(strings.NewReader(in), "reviews.jsonl")
	fmt.Println(err)
	// Output:
	// data: reviews.jsonl:2: the text has no label
}

func ExampleTokenizer() {
	tok := data.BuiltinTokenizer()
	ids := tok.Encode("The dogs were wonderful!")
	fmt.Println(len(ids), ids[4] == data.UNK)
	fmt.Println(tok.Decode(ids))
	// Output:
	// 5 true
	// the dogs were wonderful [UNK]
}
