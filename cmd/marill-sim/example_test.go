package main

import (
	"context"
	"os"
)

// A tiny BERT priced under SIGMA on a WAN (network time only), as CSV.
func Example_price() {
	run(context.Background(), []string{"price", "-model", "tiny-bert", "-seq", "8", "-family", "sigma", "-network", "wan", "-compute", "network-only", "-format", "csv"}, os.Stdout, os.Stderr)
	// Output:
	// scope,op,place,count,elements,macs,rounds,sent_client,sent_server,offline_client,offline_server,time_ns,time_kind
	// embed,embed,client,3,384,0,0,0,0,0,0,0,estimated
	// embed,add,client,2,256,0,0,0,0,0,0,0,estimated
	// embed/norm,layernorm,client,1,128,0,0,0,0,0,0,0,estimated
	// block0/attn/q,matmul,mpc,1,128,2048,6,3040,2240,91520,89920,240243200,estimated
	// block0/attn/q,add,local,1,128,0,0,0,0,0,0,0,estimated
	// block0/attn/k,matmul,mpc,1,128,2048,0,2240,2240,91520,89920,179200,estimated
	// block0/attn/k,add,local,1,128,0,0,0,0,0,0,0,estimated
	// block0/attn/v,matmul,mpc,1,128,2048,0,2240,2240,91520,89920,179200,estimated
	// block0/attn/v,add,local,1,128,0,0,0,0,0,0,0,estimated
	// block0/attn/scores,matmul,mpc,1,256,1024,5,4480,4480,176640,176640,200358400,estimated
	// block0/attn/scores,scale,local,1,256,0,0,0,0,0,0,0,estimated
	// block0/attn,softmax,mpc,1,256,0,27,15340,15340,396892,396892,1081227200,estimated
	// block0/attn/context,matmul,mpc,1,128,1024,5,2240,2240,89920,89920,200179200,estimated
	// block0/attn/o,matmul,mpc,1,128,2048,5,2240,2240,91520,89920,200179200,estimated
	// block0/attn/o,add,local,1,128,0,0,0,0,0,0,0,estimated
	// block0,add,local,2,256,0,0,0,0,0,0,0,estimated
	// block0/norm1,layernorm,mpc,1,128,0,11,3372,3372,47302,47102,440269760,estimated
	// block0/ffn/up,matmul,mpc,1,256,4096,5,4480,4480,182240,179040,200358400,estimated
	// block0/ffn/up,add,local,1,256,0,0,0,0,0,0,0,estimated
	// block0/ffn,gelu,mpc,1,256,0,7,4640,4640,145088,145088,280371200,estimated
	// block0/ffn/down,matmul,mpc,1,128,4096,5,2240,2240,95520,92320,200179200,estimated
	// block0/ffn/down,add,local,1,128,0,0,0,0,0,0,0,estimated
	// block0/norm2,layernorm,mpc,1,128,0,11,3372,3372,47302,47102,440269760,estimated
	// block1/attn/q,matmul,mpc,1,128,2048,5,2240,2240,91520,89920,200179200,estimated
	// block1/attn/q,add,local,1,128,0,0,0,0,0,0,0,estimated
	// block1/attn/k,matmul,mpc,1,128,2048,0,2240,2240,91520,89920,179200,estimated
	// block1/attn/k,add,local,1,128,0,0,0,0,0,0,0,estimated
	// block1/attn/v,matmul,mpc,1,128,2048,0,2240,2240,91520,89920,179200,estimated
	// block1/attn/v,add,local,1,128,0,0,0,0,0,0,0,estimated
	// block1/attn/scores,matmul,mpc,1,256,1024,5,4480,4480,176640,176640,200358400,estimated
	// block1/attn/scores,scale,local,1,256,0,0,0,0,0,0,0,estimated
	// block1/attn,softmax,mpc,1,256,0,27,15340,15340,396892,396892,1081227200,estimated
	// block1/attn/context,matmul,mpc,1,128,1024,5,2240,2240,89920,89920,200179200,estimated
	// block1/attn/o,matmul,mpc,1,128,2048,5,2240,2240,91520,89920,200179200,estimated
	// block1/attn/o,add,local,1,128,0,0,0,0,0,0,0,estimated
	// block1,add,local,2,256,0,0,0,0,0,0,0,estimated
	// block1/norm1,layernorm,mpc,1,128,0,11,3372,3372,47302,47102,440269760,estimated
	// block1/ffn/up,matmul,mpc,1,256,4096,5,4480,4480,182240,179040,200358400,estimated
	// block1/ffn/up,add,local,1,256,0,0,0,0,0,0,0,estimated
	// block1/ffn,gelu,mpc,1,256,0,7,4640,4640,145088,145088,280371200,estimated
	// block1/ffn/down,matmul,mpc,1,128,4096,5,2240,2240,95520,92320,200179200,estimated
	// block1/ffn/down,add,local,1,128,0,0,0,0,0,0,0,estimated
	// block1/norm2,layernorm,mpc,1,128,0,11,3372,3372,47302,47102,440269760,estimated
	// head/pooler,matmul,mpc,1,16,256,5,280,280,14240,12640,200022400,estimated
	// head/pooler,add,local,1,16,0,0,0,0,0,0,0,estimated
	// head/pooler,tanh,mpc,1,16,0,7,290,290,9068,9068,280023200,estimated
	// head/classifier,matmul,mpc,1,2,32,5,35,35,1868,1668,200002800,estimated
	// head/classifier,add,local,1,2,0,0,0,0,0,0,0,estimated
	// head,reveal,mpc,1,2,0,1,0,13,0,0,40001040,estimated
}
