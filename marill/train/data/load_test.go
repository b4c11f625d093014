package data

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestReadJSONL(t *testing.T) {
	in := "\ufeff{\"text\": \"Good movie\", \"label\": \"pos\"}\n\n" +
		"{\"text\": \"bad movie\", \"label\": \"neg\", \"id\": 7}\r\n"
	rs, err := ReadJSONL(strings.NewReader(in), "x.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 2 || rs[0].Text != "Good movie" || rs[1].Label != "neg" || rs[1].Where != "x.jsonl:3" {
		t.Fatalf("records %+v", rs)
	}
	gen, err := ReadJSONL(strings.NewReader(`{"prompt": "a b", "target": "b a"}`), "g")
	if err != nil || gen[0].Kind() != Generation {
		t.Fatalf("generation record: %+v, %v", gen, err)
	}
	ints, err := ReadJSONL(strings.NewReader("{\"text\":\"a\",\"label\":1}\n{\"text\":\"b\",\"label\":0}\n{\"text\":\"c\",\"label\":true}"), "i")
	if err != nil || ints[0].Label != "1" || ints[2].Label != "true" {
		t.Fatalf("labels %+v, %v", ints, err)
	}
	for _, c := range []struct{ in, want string }{
		{"{\"text\":\"a\",\"label\":1}\n{\"text\":\"b\",\"label\":0\n", "f.jsonl:2: not a JSON object"},
		{"{\"text\":\"a\",\"label\":1}\n{\"text\":\"b\"}", "f.jsonl:2: the text has no label"},
		{"{\"text\":\"a\",\"label\":1.5}", "f.jsonl:1: label 1.5 is not an integer"},
		{"{\"text\":\"a\",\"label\":[1]}", "f.jsonl:1: label must be"},
		{"{\"text\":7,\"label\":1}", "f.jsonl:1: \"text\" must be a string"},
		{"{\"text\":\"a\",\"label\":1}\n{\"prompt\":\"p\",\"target\":\"t\"}", "f.jsonl:2: a generation example in a file of classification examples"},
		{"{\"prompt\":\"p\"}", "f.jsonl:1: a generation example needs"},
		{"{\"label\":\"x\"}", "f.jsonl:1: a label without a \"text\""},
		{"{\"other\":1}", "f.jsonl:1: need \"text\" and \"label\""},
		{"[1,2]", "f.jsonl:1: not a JSON object"},
		{"\n\n", "f.jsonl has no examples"},
		{"{\"text\":\"" + strings.Repeat("a", MaxLine) + "\",\"label\":1}", "f.jsonl:1: line longer"},
	} {
		_, err := ReadJSONL(strings.NewReader(c.in), "f.jsonl")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ReadJSONL(%.40q): error %v, want %q", c.in, err, c.want)
		}
	}
}

func TestReadCSV(t *testing.T) {
	in := "id,Text,label\n1,\"the movie, sadly, was bad\",neg\n2,fine film,pos\n"
	rs, err := ReadCSV(strings.NewReader(in), "x.csv")
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 2 || rs[0].Text != "the movie, sadly, was bad" || rs[1].Label != "pos" || rs[1].Where != "x.csv:3" {
		t.Fatalf("records %+v", rs)
	}
	gen, err := ReadCSV(strings.NewReader("prompt,target\nb a,a b\n"), "g.csv")
	if err != nil || gen[0].Target != "a b" {
		t.Fatalf("generation CSV: %+v %v", gen, err)
	}
	for _, c := range []struct{ in, want string }{
		{"", "f.csv is empty"},
		{"text,score\na,1\n", "f.csv:1: the header"},
		{"text,label,text\n", "column \"text\" appears twice"},
		{"text,label\na,1\nb\n", "f.csv:3: the row has 1 fields"},
		{"text,label\na,1\n,0\n", "f.csv:3: need \"text\""},
		{"text,label\n\"a,1\n", "f.csv"},
		{"text,label\n", "has a header but no examples"},
	} {
		_, err := ReadCSV(strings.NewReader(c.in), "f.csv")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ReadCSV(%q): error %v, want %q", c.in, err, c.want)
		}
	}
}

func TestLoadTask(t *testing.T) {
	dir := t.TempDir()
	var b bytes.Buffer
	for i := 0; i < 100; i++ {
		label := "pos"
		if i%3 == 0 {
			label = "neg"
		}
		b.WriteString(`{"text": "example ` + strings.Repeat("x", i%7+1) + `", "label": "` + label + "\"}\n")
	}
	train := filepath.Join(dir, "train.jsonl")
	if err := os.WriteFile(train, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	task, err := LoadTask("mine", Files{Train: train}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(task.Test) != 10 || len(task.Dev) != 9 || len(task.Train) != 81 {
		t.Fatalf("held out %d/%d/%d", len(task.Train), len(task.Dev), len(task.Test))
	}
	if !reflect.DeepEqual(task.Labels, []string{"neg", "pos"}) || task.Kind != Classification {
		t.Fatalf("labels %v kind %v", task.Labels, task.Kind)
	}
	again, _ := LoadTask("mine", Files{Train: train}, 1)
	if !reflect.DeepEqual(task, again) {
		t.Fatal("the same seed held out different examples")
	}
	// A test file of CSV with integer labels: labels are integers only if
	// every label is.
	test := filepath.Join(dir, "test.csv")
	os.WriteFile(test, []byte("text,label\nsome text,pos\n"), 0o644)
	task, err = LoadTask("mine", Files{Train: train, Test: test}, 1)
	if err != nil || len(task.Test) != 1 || len(task.Dev) != 10 {
		t.Fatalf("with a test file: %v, %v", task, err)
	}
	os.WriteFile(test, []byte("prompt,target\na,b\n"), 0o644)
	if _, err := LoadTask("mine", Files{Train: train, Test: test}, 1); err == nil || !strings.Contains(err.Error(), "test.csv:2") {
		t.Fatalf("mixed kinds: %v", err)
	}
	if _, err := LoadTask("mine", Files{Train: filepath.Join(dir, "x.txt")}, 1); err == nil {
		t.Fatal("a missing file was accepted")
	}
	os.WriteFile(filepath.Join(dir, "x.txt"), []byte("a"), 0o644)
	if _, err := LoadTask("mine", Files{Train: filepath.Join(dir, "x.txt")}, 1); err == nil || !strings.Contains(err.Error(), "extension") {
		t.Fatalf("unknown extension: %v", err)
	}
	one := filepath.Join(dir, "one.jsonl")
	os.WriteFile(one, []byte(`{"text":"a","label":0}`), 0o644)
	if _, err := LoadTask("mine", Files{Train: one}, 1); err == nil || !strings.Contains(err.Error(), "too few") {
		t.Fatalf("one example: %v", err)
	}
}

func TestIntegerLabelsKeepTheirValues(t *testing.T) {
	rs := []Record{{Text: "a", Label: "2"}, {Text: "b", Label: "0"}, {Text: "c", Label: "2"}}
	task, err := FromRecords("ints", rs, nil, []Record{{Text: "d", Label: "0"}}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(task.Labels, []string{"0", "1", "2"}) {
		t.Fatalf("labels %v", task.Labels)
	}
	for _, x := range append(task.Train, task.Dev...) {
		if x.Text == "a" && x.Label != 2 {
			t.Fatalf("label of a is %d", x.Label)
		}
	}
}

func TestWriteJSONLRoundTrip(t *testing.T) {
	task, err := Builtin("sentiment", Options{Train: 20, Dev: 2, Test: 5})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := WriteJSONL(&b, task.Train, task.Kind, task.Labels); err != nil {
		t.Fatal(err)
	}
	rs, err := ReadJSONL(&b, "rt")
	if err != nil {
		t.Fatal(err)
	}
	back, err := FromRecords("rt", rs, rs[:2], rs[:5], 0)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back.Train, task.Train) || !reflect.DeepEqual(back.Labels, task.Labels) {
		t.Fatal("examples changed in a JSONL round trip")
	}
	g, _ := Builtin("reverse", Options{Train: 5, Dev: 1, Test: 1})
	b.Reset()
	WriteJSONL(&b, g.Train, g.Kind, nil)
	rs, err = ReadJSONL(&b, "g")
	if err != nil || rs[0].Prompt != g.Train[0].Prompt || rs[0].Target != g.Train[0].Target {
		t.Fatalf("generation round trip: %+v %v", rs, err)
	}
}
