#!/usr/bin/env bash
# Regenerates the README's chart: BERT-base at 128 tokens under our own
# 2PC-Dealer protocols (the simulator's Ours family, which equals the secure
# engine's measured costs), standard fine-tuning against each Marill knob.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
price() { go run ./cmd/marill-sim price -model bert-base -seq 128 -family ours -ops -format json "$@"; }
price > "$tmp/standard.json"
price -freeze 0.5 > "$tmp/freeze.json"
price -lora 8 > "$tmp/lora.json"
price -merge 4 > "$tmp/merge.json"
price -freeze 0.5 -lora 8 -merge 4 > "$tmp/all.json"
price -freeze 0.5 -lora 8 -merge 4 -gelu quad -softmax 2quad > "$tmp/approx.json"
go run ./cmd/marill-plot compare -o docs/bert-base-knobs.svg -metric comm \
	"standard=$tmp/standard.json" "freeze ½=$tmp/freeze.json" "LoRA r=8=$tmp/lora.json" \
	"merge ×4=$tmp/merge.json" "all three=$tmp/all.json" "all + Quad/2Quad=$tmp/approx.json"
