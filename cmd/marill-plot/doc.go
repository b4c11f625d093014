// Command marill-plot draws charts from report files (the JSON of
// mpc.Report, as marill-sim price -format json writes them) for scripts and
// papers.
//
//	marill-plot layers         [flags] REPORT.json
//	marill-plot compare        [flags] NAME=REPORT.json ...
//	marill-plot compare-layers [flags] NAME=REPORT.json ...
//
// The output format follows the -o file's extension: .png (192 dpi), .svg
// or .pdf. Run "marill-plot help" for the flags.
package main
