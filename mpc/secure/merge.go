package secure

import (
	"fmt"

	"github.com/marill-go/marill/mpc"
)

// MergeViews joins the client's and the server's reports of one run (each
// party's Party.Report, e.g. from separate processes) into the report the
// in-process engine gives: per row, the bytes each party sent as that
// party counted them, the offline bytes each party received, the larger of
// the two views' rounds (they agree when every message of an operation is
// received within it) and the larger of the two measured times (the
// parties work in parallel). The views must come from the same run: the
// same rows in the same order.
func MergeViews(client, server *mpc.Report) (*mpc.Report, error) {
	if client == nil || server == nil {
		return nil, fmt.Errorf("mpc/secure: MergeViews needs both parties' reports")
	}
	if len(client.Rows) != len(server.Rows) {
		return nil, fmt.Errorf("mpc/secure: the client's report has %d rows and the server's %d: not the same run", len(client.Rows), len(server.Rows))
	}
	out := &mpc.Report{Schema: mpc.ReportSchema, Engine: "secure/2pc-dealer (merged views)", TimeKind: mpc.Measured, Meta: client.Meta,
		Notes: []string{"merged from the client's and the server's own reports: each party's bytes as it sent them, each party's offline bytes as it received them."}}
	for i, c := range client.Rows {
		s := server.Rows[i]
		if c.Scope != s.Scope || c.Op != s.Op || c.Place != s.Place || c.Count != s.Count {
			return nil, fmt.Errorf("mpc/secure: row %d is %s/%s (%v) in the client's report and %s/%s (%v) in the server's: not the same run",
				i, c.Scope, c.Op, c.Place, s.Scope, s.Op, s.Place)
		}
		r := c
		r.SentServer = s.SentServer
		r.OfflineServer = s.OfflineServer
		r.Rounds = max(c.Rounds, s.Rounds)
		r.Time = max(c.Time, s.Time)
		out.Rows = append(out.Rows, r)
	}
	return out, nil
}
