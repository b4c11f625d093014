package table_test

import (
	"fmt"

	"github.com/marill-go/marill/internal/table"
)

func ExampleTable_Text() {
	t := &table.Table{Header: []string{"op", "bytes"}, Align: []table.Align{table.Left, table.Right}}
	t.AddRow("softmax", "1.2 MiB")
	t.AddRow("gelu", "300 KiB")
	fmt.Print(t.Text())
	// Output:
	// op         bytes
	// ────────────────
	// softmax  1.2 MiB
	// gelu     300 KiB
}
