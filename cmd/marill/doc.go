// Command marill is the Marill-Go command line: run the demo, print a
// model's placement plan, or inspect a checkpoint.
//
//	marill demo   [knob flags] [-seq N] [-model NAME]   build, fine-tune, plan, run
//	marill plan   [knob flags] [-seq N] [-model NAME] [-ops]
//	marill inspect FILE.safetensors
//	marill bench   [-model NAME] [-seq N] [-configs LIST]
//
// Run "marill help" for the flags.
package main
