package study

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// Status is the state of a running study, given to a Progress after every
// point.
type Status struct {
	// Total is the number of points of the grid; Done counts finished ones,
	// Resumed of them read back from an earlier run, Failed of them with an
	// error.
	Total, Done, Resumed, Failed int
	// Elapsed is the time since Run started; Rate is points per second
	// evaluated by this run; ETA estimates the time left at that rate (0
	// until a point has finished).
	Elapsed, ETA time.Duration
	Rate         float64
	// Last is the key of the point that just finished ("" at the start).
	Last string
	// Finished is set on the last update of a run, also when it was
	// cancelled.
	Finished bool
}

// Fraction is Done / Total (1 for an empty study).
func (s Status) Fraction() float64 {
	if s.Total == 0 {
		return 1
	}
	return float64(s.Done) / float64(s.Total)
}

// String is a one-line account, e.g. "312/1296 (24%) 3 failed, 410.2 pts/s, ETA 2s".
func (s Status) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d/%d (%.0f%%)", s.Done, s.Total, 100*s.Fraction())
	if s.Resumed > 0 {
		fmt.Fprintf(&b, " %d resumed", s.Resumed)
	}
	if s.Failed > 0 {
		fmt.Fprintf(&b, " %d failed", s.Failed)
	}
	if s.Rate > 0 {
		fmt.Fprintf(&b, ", %.1f pts/s", s.Rate)
	}
	switch {
	case s.Finished:
		fmt.Fprintf(&b, ", took %s", s.Elapsed.Round(time.Millisecond))
	case s.Rate > 0:
		fmt.Fprintf(&b, ", ETA %s", s.ETA.Round(time.Second))
	}
	return b.String()
}

// Progress receives the status of a run: once at the start, after every
// point, and once with Finished set. Run calls it from one goroutine at a
// time. A terminal uses NewBar; a notebook front end passes a ProgressFunc
// that updates its display.
type Progress interface {
	Update(Status)
}

// ProgressFunc adapts a function to Progress.
type ProgressFunc func(Status)

// Update calls f.
func (f ProgressFunc) Update(s Status) { f(s) }

// NewBar returns a Progress that draws a bar with the count, rate and ETA on
// w, redrawing in place with a carriage return at most every 200 ms (and on
// the first and last update), so it suits terminals, pipes and notebook
// streams alike; the last update ends the line.
func NewBar(w io.Writer) Progress {
	return &bar{w: w, width: 30, every: 200 * time.Millisecond}
}

type bar struct {
	mu    sync.Mutex
	w     io.Writer
	width int
	every time.Duration
	last  time.Time
	drawn bool
}

func (b *bar) Update(s Status) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := time.Now()
	if b.drawn && !s.Finished && now.Sub(b.last) < b.every {
		return
	}
	b.last, b.drawn = now, true
	fill := int(s.Fraction() * float64(b.width))
	line := "\r[" + strings.Repeat("=", fill) + strings.Repeat(" ", b.width-fill) + "] " + s.String()
	if s.Finished {
		line += "\n"
	} else {
		line += "   " // erase the tail of a longer previous line
	}
	io.WriteString(b.w, line)
}
