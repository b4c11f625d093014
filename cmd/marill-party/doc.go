// Command marill-party runs one party of a secure inference on its own
// host: the dealer, the server (holds the fine-tuned private weights) or
// the client (holds the prompt, learns the output). The logic lives in
// package mpc/deploy; this command reads flags and files.
//
//	marill-party certs  -dir DIR [-hosts client=H,server=H,dealer=H]
//	marill-party dealer -run RUN.json -certs DIR -listen :7000 [-seed N] [-report F]
//	marill-party server -run RUN.json -certs DIR -listen :7001 -dealer H:7000 (-checkpoint F | -seed N [-perturb X]) [-report F]
//	marill-party client -run RUN.json -certs DIR -connect H:7001 -dealer H:7000 (-ids LIST | -input-seed N) [-out F] [-report F]
//	marill-party merge  client.json server.json [dealer.json]
//	marill-party hash   -run RUN.json
//
// Run "marill-party help" for every flag.
package main
