package mpc

import "strings"

// Recorder keeps an engine's scope stack and accumulates its report rows.
// Consecutive and repeated operations with the same scope, op and placement
// merge into one row. Engines embed one; it is not safe for concurrent use.
type Recorder struct {
	scopes []string
	path   string
	rows   []Row
	index  map[rowKey]int
}

type rowKey struct {
	scope, op string
	place     Placement
}

// Push opens a scope named name under the current one.
func (r *Recorder) Push(name string) {
	r.scopes = append(r.scopes, name)
	r.path = strings.Join(r.scopes, "/")
}

// Pop closes the innermost scope; an unmatched Pop is ignored.
func (r *Recorder) Pop() {
	if len(r.scopes) == 0 {
		return
	}
	r.scopes = r.scopes[:len(r.scopes)-1]
	r.path = strings.Join(r.scopes, "/")
}

// Scope opens name and returns the function that closes it, for
// Engine.Scope implementations.
func (r *Recorder) Scope(name string) func() {
	r.Push(name)
	depth := len(r.scopes)
	return func() {
		// Closing out of order closes everything opened inside too.
		for len(r.scopes) >= depth {
			r.Pop()
		}
	}
}

// Path is the current scope path ("" at the top).
func (r *Recorder) Path() string { return r.path }

// Record adds c to the row of op at the current scope and placement.
func (r *Recorder) Record(op string, place Placement, c Cost) {
	if r.index == nil {
		r.index = map[rowKey]int{}
	}
	k := rowKey{r.path, op, place}
	i, ok := r.index[k]
	if !ok {
		i = len(r.rows)
		r.index[k] = i
		r.rows = append(r.rows, Row{Scope: r.path, Op: op, Place: place})
	}
	r.rows[i].Cost.Add(c)
}

// Rows returns a copy of the rows so far.
func (r *Recorder) Rows() []Row { return append([]Row(nil), r.rows...) }

// Reset forgets all rows (scopes stay open).
func (r *Recorder) Reset() {
	r.rows = nil
	r.index = nil
}

// Sticky holds an engine's first error. Engines embed it to implement
// Engine.Err and Engine.Fail.
type Sticky struct{ err error }

// Err returns the first recorded error.
func (s *Sticky) Err() error { return s.err }

// Fail records err if no error is recorded yet; nil is ignored.
func (s *Sticky) Fail(err error) {
	if s.err == nil && err != nil {
		s.err = err
	}
}

// Failed reports whether an error is recorded.
func (s *Sticky) Failed() bool { return s.err != nil }

// Placeholder is the tensor engines return once they have failed: it has a
// shape and a visibility so model code can go on, and no data. Engines
// reject it as an operand before their error is set.
type Placeholder struct {
	S Shape
	V Visibility
}

// Shape returns the placeholder's shape.
func (p Placeholder) Shape() Shape { return p.S }

// Vis returns the placeholder's visibility.
func (p Placeholder) Vis() Visibility { return p.V }
