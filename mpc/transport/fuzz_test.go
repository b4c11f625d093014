package transport

import (
	"bytes"
	"runtime"
	"testing"
)

// fuzzMaxFrame is the decoder's limit under fuzzing: small, so that a
// decoder allocating a claimed length before checking it would show.
const fuzzMaxFrame = 1 << 16

func encodeFrames(frames ...header) []byte {
	var b []byte
	for i, h := range frames {
		h.seq = uint64(i)
		var hdr [FrameHeaderSize]byte
		putHeader(hdr[:], h)
		b = append(b, hdr[:]...)
		b = append(b, pattern(int(h.length), byte(i))...)
	}
	return b
}

// FuzzReadFrame feeds arbitrary bytes to the frame decoder: it must never
// panic, never allocate much beyond MaxFrame, and every frame it accepts
// must re-encode to exactly the bytes it consumed. The input is also sent
// as a payload, which must round-trip.
func FuzzReadFrame(f *testing.F) {
	f.Add([]byte{})
	f.Add(encodeFrames(header{kind: kindData, length: 5, stamp: 1}))
	f.Add(encodeFrames(header{kind: kindData, length: 3}, header{kind: kindKeepalive},
		header{kind: kindHello, length: 40}, header{kind: kindData, length: 100, stamp: 7}))
	f.Add(encodeFrames(header{kind: kindData, length: 300, stamp: 2})[:150])
	f.Add(rawFrame(0, fuzzMaxFrame+1, 1, 0, nil))
	f.Add(rawFrame(0, 1<<31, 1, 0, nil))
	f.Add(append(rawFrame(0, 1, 1, 0, []byte{9}), rawFrame(0, 1, 1, 0, []byte{9})...))
	f.Add([]byte("\x16\x03\x01 not a frame"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		r := bytes.NewReader(data)
		d := frameDecoder{r: r, maxFrame: fuzzMaxFrame}
		var consumed int
		var payloadBytes int
		for {
			h, p, err := d.next()
			if err != nil {
				break
			}
			if len(p) != int(h.length) || len(p) > fuzzMaxFrame {
				t.Fatalf("payload of %d bytes, header says %d", len(p), h.length)
			}
			end := len(data) - r.Len()
			var hdr [FrameHeaderSize]byte
			putHeader(hdr[:], h)
			if !bytes.Equal(append(hdr[:], p...), data[consumed:end]) {
				t.Fatalf("frame %+v does not re-encode to the bytes it came from", h)
			}
			consumed = end
			payloadBytes += len(p)
		}
		runtime.ReadMemStats(&after)
		// Accepted payloads come from the input; at most one rejected
		// frame may have been allocated, and it is at most MaxFrame.
		if got, limit := after.TotalAlloc-before.TotalAlloc, uint64(payloadBytes+fuzzMaxFrame+64<<10); got > limit {
			t.Fatalf("decoding %d bytes allocated %d bytes", len(data), got)
		}

		// The input as a payload, online and offline, round-trips.
		payload := data[:min(len(data), fuzzMaxFrame)]
		for _, h := range []header{{kind: kindData, stamp: int64(len(data)) + 1}, {kind: kindData}, {kind: kindHello}} {
			h.length = uint32(len(payload))
			var buf bytes.Buffer
			var hdr [FrameHeaderSize]byte
			putHeader(hdr[:], h)
			buf.Write(hdr[:])
			buf.Write(payload)
			d := frameDecoder{r: &buf, maxFrame: fuzzMaxFrame}
			got, p, err := d.next()
			if err != nil || got != h || !bytes.Equal(p, payload) {
				t.Fatalf("round trip of %+v: got %+v, %d bytes, %v", h, got, len(p), err)
			}
		}
	})
}
