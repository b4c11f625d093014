//go:build amd64 && !purego

package fss

import "golang.org/x/sys/cpu"

// mmoBlocks writes dst[i] = AES_k(src[i]) ⊕ src[i] for n 16-byte blocks
// with AES-NI, four blocks in flight (mmo_amd64.s).
//
//go:noescape
func mmoBlocks(xk *[176]byte, dst, src *byte, n int)

func hasAESNI() bool { return cpu.X86.HasAES && cpu.X86.HasSSE41 }
