package table

import (
	"html"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Align of a column.
type Align uint8

const (
	Left Align = iota
	Right
)

// Table is a header, rows of cells and an optional footer of notes.
type Table struct {
	Title  string
	Header []string
	Align  []Align
	Rows   [][]string
	Notes  []string
}

// AddRow appends a row.
func (t *Table) AddRow(cells ...string) { t.Rows = append(t.Rows, cells) }

// AddSeparator appends a horizontal rule (text and Markdown only mark it in text).
func (t *Table) AddSeparator() { t.Rows = append(t.Rows, nil) }

func (t *Table) widths() []int {
	w := make([]int, len(t.Header))
	for i, h := range t.Header {
		w[i] = utf8.RuneCountInString(h)
	}
	for _, r := range t.Rows {
		for i, c := range r {
			if i < len(w) {
				if n := utf8.RuneCountInString(c); n > w[i] {
					w[i] = n
				}
			}
		}
	}
	return w
}

func (t *Table) align(i int) Align {
	if i < len(t.Align) {
		return t.Align[i]
	}
	return Left
}

func pad(s string, w int, a Align) string {
	n := w - utf8.RuneCountInString(s)
	if n <= 0 {
		return s
	}
	if a == Right {
		return strings.Repeat(" ", n) + s
	}
	return s + strings.Repeat(" ", n)
}

// Text renders an aligned plain-text table.
func (t *Table) Text() string {
	var b strings.Builder
	w := t.widths()
	if t.Title != "" {
		b.WriteString(t.Title)
		b.WriteByte('\n')
	}
	line := func(cells []string) {
		for i := range w {
			c := ""
			if i < len(cells) {
				c = cells[i]
			}
			if i > 0 {
				b.WriteString("  ")
			}
			b.WriteString(pad(c, w[i], t.align(i)))
		}
		b.WriteByte('\n')
	}
	rule := func() {
		total := 0
		for i, x := range w {
			total += x
			if i > 0 {
				total += 2
			}
		}
		b.WriteString(strings.Repeat("─", total))
		b.WriteByte('\n')
	}
	line(t.Header)
	rule()
	for _, r := range t.Rows {
		if r == nil {
			rule()
			continue
		}
		line(r)
	}
	for _, n := range t.Notes {
		b.WriteString(n)
		b.WriteByte('\n')
	}
	return trimLines(b.String())
}

func trimLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.Join(lines, "\n")
}

// Markdown renders a GitHub-flavoured Markdown table.
func (t *Table) Markdown() string {
	var b strings.Builder
	if t.Title != "" {
		b.WriteString("**" + t.Title + "**\n\n")
	}
	esc := func(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
	b.WriteString("|")
	for _, h := range t.Header {
		b.WriteString(" " + esc(h) + " |")
	}
	b.WriteString("\n|")
	for i := range t.Header {
		if t.align(i) == Right {
			b.WriteString("---:|")
		} else {
			b.WriteString("---|")
		}
	}
	b.WriteByte('\n')
	for _, r := range t.Rows {
		if r == nil {
			continue
		}
		b.WriteString("|")
		for i := range t.Header {
			c := ""
			if i < len(r) {
				c = r[i]
			}
			b.WriteString(" " + esc(c) + " |")
		}
		b.WriteByte('\n')
	}
	if len(t.Notes) > 0 {
		b.WriteByte('\n')
		for _, n := range t.Notes {
			b.WriteString(n + "  \n")
		}
	}
	return b.String()
}

// HTML renders a table element (with the notes in a caption-like footer).
func (t *Table) HTML() string {
	var b strings.Builder
	b.WriteString(`<table class="marill">`)
	if t.Title != "" {
		b.WriteString("<caption>" + html.EscapeString(t.Title) + "</caption>")
	}
	b.WriteString("<thead><tr>")
	for i, h := range t.Header {
		b.WriteString(`<th style="text-align:` + cssAlign(t.align(i)) + `">` + html.EscapeString(h) + "</th>")
	}
	b.WriteString("</tr></thead><tbody>")
	for _, r := range t.Rows {
		if r == nil {
			continue
		}
		b.WriteString("<tr>")
		for i := range t.Header {
			c := ""
			if i < len(r) {
				c = r[i]
			}
			b.WriteString(`<td style="text-align:` + cssAlign(t.align(i)) + `">` + html.EscapeString(c) + "</td>")
		}
		b.WriteString("</tr>")
	}
	b.WriteString("</tbody>")
	if len(t.Notes) > 0 {
		b.WriteString(`<tfoot><tr><td colspan="` + strconv.Itoa(len(t.Header)) + `" style="text-align:left;font-size:smaller">`)
		for i, n := range t.Notes {
			if i > 0 {
				b.WriteString("<br>")
			}
			b.WriteString(html.EscapeString(n))
		}
		b.WriteString("</td></tr></tfoot>")
	}
	b.WriteString("</table>")
	return b.String()
}

func cssAlign(a Align) string {
	if a == Right {
		return "right"
	}
	return "left"
}
