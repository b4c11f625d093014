// Package table renders small tables as aligned text, Markdown and HTML.
// Reports and plans use it for their String, Markdown and HTML methods; a
// nil row is a horizontal rule in text output.
package table
