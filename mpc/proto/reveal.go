package proto

import "github.com/marill-go/marill/mpc/ring"

// Reveal opens x to the client, the server, or both.
//
// Functionality: [x] ↦ x for the chosen parties.
//
//  1. Each sending party (the server when revealing to the client, the
//     client when revealing to the server, both for both) sends its share.
//  2. Each receiving party adds the share it received to its own.
//
// Rounds: 1. Bytes: 8 per element from each sending party. No offline
// material.
func (s *Session) Reveal(x *Shared, toClient, toServer bool) []uint64 {
	if s.dealer() || s.failed() {
		return nil
	}
	me, peer := s.Role == Client, s.Role == Server
	receive := (me && toClient) || (peer && toServer)
	sendMine := (me && toServer) || (peer && toClient)
	var theirs []uint64
	switch {
	case sendMine && receive:
		theirs = s.exchangeWords(x.share, 64)
	case sendMine:
		s.send(ring.Pack(nil, x.share, 64))
		return nil
	case receive:
		theirs = s.unpack(s.recv(), x.N, 64)
	default:
		return nil
	}
	if s.failed() {
		return nil
	}
	v := make([]uint64, x.N)
	ring.Add(v, x.share, theirs)
	return v
}
