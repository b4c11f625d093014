//go:build !amd64 || purego

package fss

func mmoBlocks(xk *[176]byte, dst, src *byte, n int) { panic("fss: no AES-NI kernel on this platform") }

func hasAESNI() bool { return false }
