// Command marill-sim is the cost simulator's command line: price a model
// under a protocol family, print Marill's what-if table for the three MPC
// settings, or calibrate a compute profile on this machine.
//
//	marill-sim price     [-model NAME] [-seq N] [-family F | -setting S] [knob flags]
//	marill-sim whatif    [-model NAME] [-seq N] [-settings 2pc,3pc,2pc-dealer] [-layers]
//	marill-sim calibrate [-o profile.json] [-time 200ms] [-ours=true]
//	marill-sim list      families, settings, networks and compute profiles
//
// Run "marill-sim help" for the flags.
package main
