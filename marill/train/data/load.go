package data

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Record is one example as read from a file, before labels become
// indices: Label is the label as written ("positive", "1").
type Record struct {
	Text, Label    string
	Prompt, Target string
	// Where is "file:line", for messages.
	Where string
}

// Kind is the record's kind.
func (r Record) Kind() Kind {
	if r.Prompt != "" || r.Target != "" {
		return Generation
	}
	return Classification
}

// MaxLine bounds a JSONL line (1 MiB).
const MaxLine = 1 << 20

// ReadJSONL reads one JSON object per line: {"text": ..., "label": ...}
// for classification or {"prompt": ..., "target": ...} for generation.
// Labels may be strings or integers. Blank lines are skipped; other fields
// are ignored. name labels errors, which give the line number.
func ReadJSONL(r io.Reader, name string) ([]Record, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), MaxLine)
	var out []Record
	var kind Kind
	line := 0
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if line == 1 {
			b = bytes.TrimPrefix(b, []byte("\ufeff"))
		}
		if len(b) == 0 {
			continue
		}
		where := fmt.Sprintf("%s:%d", name, line)
		var raw map[string]json.RawMessage
		if err := json.Unmarshal(b, &raw); err != nil {
			return nil, fmt.Errorf("data: %s: not a JSON object: %v", where, err)
		}
		rec := Record{Where: where}
		for _, f := range []struct {
			key string
			dst *string
		}{{"text", &rec.Text}, {"prompt", &rec.Prompt}, {"target", &rec.Target}} {
			v, ok := raw[f.key]
			if !ok {
				continue
			}
			if err := json.Unmarshal(v, f.dst); err != nil {
				return nil, fmt.Errorf("data: %s: %q must be a string, got %s", where, f.key, v)
			}
		}
		if v, ok := raw["label"]; ok {
			l, err := labelString(v)
			if err != nil {
				return nil, fmt.Errorf("data: %s: %v", where, err)
			}
			rec.Label = l
			if _, hasText := raw["text"]; !hasText {
				return nil, fmt.Errorf("data: %s: a label without a \"text\"", where)
			}
		}
		if err := checkRecord(&rec, &kind); err != nil {
			return nil, err
		}
		out = append(out, rec)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, fmt.Errorf("data: %s:%d: line longer than %d bytes", name, line+1, MaxLine)
		}
		return nil, fmt.Errorf("data: %s: %w", name, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("data: %s has no examples", name)
	}
	return out, nil
}

// labelString accepts a JSON string, integer or boolean label.
func labelString(v json.RawMessage) (string, error) {
	var s string
	if err := json.Unmarshal(v, &s); err == nil {
		return s, nil
	}
	var f float64
	if err := json.Unmarshal(v, &f); err == nil {
		if f != math.Trunc(f) || math.Abs(f) > 1<<53 {
			return "", fmt.Errorf("label %s is not an integer", v)
		}
		return strconv.FormatInt(int64(f), 10), nil
	}
	var b bool
	if err := json.Unmarshal(v, &b); err == nil {
		return strconv.FormatBool(b), nil
	}
	return "", fmt.Errorf("label must be a string, an integer or a boolean, got %s", v)
}

// checkRecord validates a record and that it has the file's kind (set by
// the first record).
func checkRecord(rec *Record, kind *Kind) error {
	rec.Text, rec.Label = strings.TrimSpace(rec.Text), strings.TrimSpace(rec.Label)
	rec.Prompt, rec.Target = strings.TrimSpace(rec.Prompt), strings.TrimSpace(rec.Target)
	k := rec.Kind()
	switch {
	case k == Classification && rec.Text == "":
		return fmt.Errorf("data: %s: need \"text\" and \"label\" (classification) or \"prompt\" and \"target\" (generation)", rec.Where)
	case k == Classification && rec.Label == "":
		return fmt.Errorf("data: %s: the text has no label", rec.Where)
	case k == Generation && (rec.Prompt == "" || rec.Target == ""):
		return fmt.Errorf("data: %s: a generation example needs a non-empty \"prompt\" and \"target\"", rec.Where)
	case k == Generation && rec.Text != "":
		return fmt.Errorf("data: %s: has both \"text\" (classification) and \"prompt\"/\"target\" (generation)", rec.Where)
	}
	if *kind == 0 {
		*kind = k
	} else if *kind != k {
		return fmt.Errorf("data: %s: a %v example in a file of %v examples", rec.Where, k, *kind)
	}
	return nil
}

// ReadCSV reads a CSV file with a header row naming its columns: text and
// label for classification, prompt and target for generation (other
// columns are ignored). Fields may be quoted. name labels errors, which
// give the line number.
func ReadCSV(r io.Reader, name string) ([]Record, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err == io.EOF {
		return nil, fmt.Errorf("data: %s is empty; it needs a header row (text,label or prompt,target)", name)
	}
	if err != nil {
		return nil, fmt.Errorf("data: %s: %w", name, err)
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if _, dup := col[h]; dup {
			return nil, fmt.Errorf("data: %s:1: column %q appears twice", name, h)
		}
		col[h] = i
	}
	_, hasText := col["text"]
	_, hasLabel := col["label"]
	_, hasPrompt := col["prompt"]
	_, hasTarget := col["target"]
	switch {
	case hasText && hasLabel && !hasPrompt && !hasTarget, hasPrompt && hasTarget && !hasText:
	default:
		return nil, fmt.Errorf("data: %s:1: the header %q needs columns text and label, or prompt and target", name, strings.Join(header, ","))
	}
	var out []Record
	var kind Kind
	for {
		fields, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("data: %s: %w", name, err)
		}
		line, _ := cr.FieldPos(0)
		where := fmt.Sprintf("%s:%d", name, line)
		get := func(c string) (string, error) {
			i, ok := col[c]
			if !ok {
				return "", nil
			}
			if i >= len(fields) {
				return "", fmt.Errorf("data: %s: the row has %d fields, column %q is field %d", where, len(fields), c, i+1)
			}
			return fields[i], nil
		}
		rec := Record{Where: where}
		for _, f := range []struct {
			c   string
			dst *string
		}{{"text", &rec.Text}, {"label", &rec.Label}, {"prompt", &rec.Prompt}, {"target", &rec.Target}} {
			if *f.dst, err = get(f.c); err != nil {
				return nil, err
			}
		}
		if len(fields) == 1 && strings.TrimSpace(fields[0]) == "" {
			continue // a blank line
		}
		if err := checkRecord(&rec, &kind); err != nil {
			return nil, err
		}
		out = append(out, rec)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("data: %s has a header but no examples", name)
	}
	return out, nil
}

// ReadFile reads a .jsonl (or .json lines) or .csv file, by extension.
func ReadFile(path string) ([]Record, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	defer f.Close()
	name := filepath.Base(path)
	switch strings.ToLower(filepath.Ext(path)) {
	case ".jsonl", ".ndjson", ".json":
		return ReadJSONL(f, name)
	case ".csv":
		return ReadCSV(f, name)
	}
	return nil, fmt.Errorf("data: %s: unknown extension; use .jsonl or .csv", path)
}

// Files names a task's data files. Train is required. Without Test, a
// tenth of the training file (at least one example) is held out as the
// test split; without Dev, another tenth as the dev split.
type Files struct {
	Train, Dev, Test string
}

// LoadTask reads a task from files (JSONL or CSV, by extension); seed
// drives the split of held-out examples. Labels become indices: integer
// labels 0..K−1 keep their values, other labels are numbered in sorted
// order.
func LoadTask(name string, files Files, seed uint64) (*Task, error) {
	if files.Train == "" {
		return nil, fmt.Errorf("data: task %q needs a training file", name)
	}
	read := func(p string) ([]Record, error) {
		if p == "" {
			return nil, nil
		}
		return ReadFile(p)
	}
	train, err := read(files.Train)
	if err != nil {
		return nil, err
	}
	dev, err := read(files.Dev)
	if err != nil {
		return nil, err
	}
	test, err := read(files.Test)
	if err != nil {
		return nil, err
	}
	t, err := FromRecords(name, train, dev, test, seed)
	if err != nil {
		return nil, err
	}
	t.Source = files.Train
	return t, nil
}

// FromRecords builds a task from records of one kind; missing dev or test
// splits are held out of train as LoadTask describes.
func FromRecords(name string, train, dev, test []Record, seed uint64) (*Task, error) {
	if len(train) == 0 {
		return nil, fmt.Errorf("data: task %q has no training examples", name)
	}
	kind := train[0].Kind()
	for _, s := range [][]Record{train, dev, test} {
		for _, r := range s {
			if r.Kind() != kind {
				return nil, fmt.Errorf("data: %s: a %v example in a %v task", r.Where, r.Kind(), kind)
			}
		}
	}
	rng := rand.New(rand.NewPCG(seed, 0x5b1))
	train = append([]Record(nil), train...)
	holdOut := func() []Record {
		n := max(len(train)/10, 1)
		if len(train)-n < 1 {
			return nil
		}
		rng.Shuffle(len(train), func(i, j int) { train[i], train[j] = train[j], train[i] })
		out := append([]Record(nil), train[len(train)-n:]...)
		train = train[:len(train)-n]
		return out
	}
	if len(test) == 0 {
		if test = holdOut(); len(test) == 0 {
			return nil, fmt.Errorf("data: task %q has %d example(s): too few to hold out a test split", name, len(train))
		}
	}
	if len(dev) == 0 {
		dev = holdOut()
	}
	t := &Task{Name: name, Kind: kind}
	index := map[string]int{}
	if kind == Classification {
		t.Labels, index = labelIndex(train, dev, test)
	}
	conv := func(rs []Record) []Example {
		out := make([]Example, len(rs))
		for i, r := range rs {
			out[i] = Example{Text: r.Text, Label: index[r.Label], Prompt: r.Prompt, Target: r.Target}
		}
		return out
	}
	t.Train, t.Dev, t.Test = conv(train), conv(dev), conv(test)
	if err := t.Validate(); err != nil {
		return nil, err
	}
	return t, nil
}

// labelIndex numbers the labels: integers 0..K−1 keep their values when
// every label is such an integer, otherwise labels are sorted.
func labelIndex(splits ...[]Record) ([]string, map[string]int) {
	set := map[string]bool{}
	for _, s := range splits {
		for _, r := range s {
			set[r.Label] = true
		}
	}
	names := make([]string, 0, len(set))
	for l := range set {
		names = append(names, l)
	}
	maxInt, allInts := -1, true
	for _, l := range names {
		v, err := strconv.Atoi(l)
		if err != nil || v < 0 || v > 1<<16 || strconv.Itoa(v) != l {
			allInts = false
			break
		}
		maxInt = max(maxInt, v)
	}
	index := map[string]int{}
	if allInts {
		names = make([]string, maxInt+1)
		for i := range names {
			names[i] = strconv.Itoa(i)
			index[names[i]] = i
		}
		return names, index
	}
	sort.Strings(names)
	for i, l := range names {
		index[l] = i
	}
	return names, index
}

// WriteJSONL writes examples one JSON object per line, in the form
// ReadJSONL reads (labels as their names when names are given).
func WriteJSONL(w io.Writer, xs []Example, kind Kind, labels []string) error {
	enc := json.NewEncoder(w)
	for _, x := range xs {
		var v any
		if kind == Generation {
			v = struct {
				Prompt string `json:"prompt"`
				Target string `json:"target"`
			}{x.Prompt, x.Target}
		} else {
			var label any = x.Label
			if x.Label >= 0 && x.Label < len(labels) {
				label = labels[x.Label]
			}
			v = struct {
				Text  string `json:"text"`
				Label any    `json:"label"`
			}{x.Text, label}
		}
		if err := enc.Encode(v); err != nil {
			return fmt.Errorf("data: %w", err)
		}
	}
	return nil
}
