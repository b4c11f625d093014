package kernel

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func testSigner(t testing.TB, key string) *Signer {
	t.Helper()
	s, err := NewSigner("hmac-sha256", key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func request(msgType, content string) *Message {
	return &Message{
		Identities:   [][]byte{[]byte("client-1"), []byte("route-2")},
		Header:       Header{MsgID: newID(), Session: "client-session", Username: "u", Date: "2026-11-21T10:00:00.000000Z", MsgType: msgType, Version: ProtocolVersion},
		ParentHeader: json.RawMessage("{}"),
		Metadata:     json.RawMessage("{}"),
		Content:      json.RawMessage(content),
	}
}

func TestFraming(t *testing.T) {
	s := testSigner(t, "secret")
	m := request("execute_request", `{"code":"1+1"}`)
	m.Buffers = [][]byte{[]byte("buf")}
	frames, err := s.Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	// identities, delimiter, signature, four JSON parts, buffers.
	if len(frames) != 2+1+1+4+1 || string(frames[2]) != delimiter || len(frames[3]) != 64 {
		t.Fatalf("frames %q", frames)
	}
	got, err := s.Decode(frames)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Identities) != 2 || string(got.Identities[0]) != "client-1" || got.Header != m.Header ||
		string(got.Content) != `{"code":"1+1"}` || len(got.Buffers) != 1 || string(got.Buffers[0]) != "buf" {
		t.Errorf("decoded %+v", got)
	}
	// A reply's parent header is the request's header exactly as received,
	// fields the kernel does not know included.
	frames[4] = []byte(`{"msg_id":"x","session":"s","username":"u","date":"d","msg_type":"kernel_info_request","version":"5.3","subshell_id":null}`)
	frames[3] = []byte(s.Sign(frames[4], frames[5], frames[6], frames[7]))
	got, err = s.Decode(frames)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.parent(), frames[4]) {
		t.Errorf("parent %s", got.parent())
	}
	var nilMsg *Message
	if string(nilMsg.parent()) != "{}" {
		t.Errorf("no parent: %s", nilMsg.parent())
	}
}

func TestSignatures(t *testing.T) {
	s := testSigner(t, "secret")
	good, _ := s.Encode(request("kernel_info_request", "{}"))
	tampered := append([][]byte(nil), good...)
	tampered[len(tampered)-1] = []byte(`{"evil":true}`)
	other, _ := testSigner(t, "another key").Encode(request("kernel_info_request", "{}"))
	unsigned := append([][]byte(nil), good...)
	unsigned[3] = nil
	for name, frames := range map[string][][]byte{"tampered content": tampered, "another key": other, "no signature": unsigned} {
		if _, err := s.Decode(frames); !errors.Is(err, ErrBadSignature) {
			t.Errorf("%s: %v, want ErrBadSignature", name, err)
		}
	}
	if _, err := s.Decode(good); err != nil {
		t.Fatalf("good message: %v", err)
	}
	if _, err := s.Decode(good); !errors.Is(err, ErrReplay) {
		t.Errorf("the same message again: %v, want ErrReplay", err)
	}
	// Without a key nothing is signed, and a signature is an error.
	open := testSigner(t, "")
	frames, _ := open.Encode(request("kernel_info_request", "{}"))
	if len(frames[3]) != 0 {
		t.Errorf("signature without a key: %q", frames[3])
	}
	if _, err := open.Decode(frames); err != nil {
		t.Errorf("unsigned message without a key: %v", err)
	}
	if _, err := open.Decode(good); !errors.Is(err, ErrBadSignature) {
		t.Errorf("signed message without a key: %v", err)
	}
	if _, err := NewSigner("hmac-md5", "k"); err == nil || !strings.Contains(err.Error(), "hmac-md5") {
		t.Errorf("unsupported scheme: %v", err)
	}
}

func TestMalformed(t *testing.T) {
	s := testSigner(t, "")
	sig := func(parts ...string) [][]byte {
		f := [][]byte{[]byte(delimiter), nil}
		for _, p := range parts {
			f = append(f, []byte(p))
		}
		return f
	}
	for _, tc := range []struct {
		frames [][]byte
		want   string
	}{
		{[][]byte{[]byte("id"), []byte("{}")}, "without the <IDS|MSG> delimiter"},
		{sig("{}", "{}", "{}"), "want at least 5"},
		{sig("not json", "{}", "{}", "{}"), "message header"},
		{sig(`{"msg_id":"1"}`, "{}", "{}", "{}"), "no msg_type"},
	} {
		if _, err := s.Decode(tc.frames); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want %q", tc.frames, err, tc.want)
		}
	}
}

func TestConnectionInfo(t *testing.T) {
	good := ConnectionInfo{Transport: "tcp", IP: "127.0.0.1", ShellPort: 1, ControlPort: 2, StdinPort: 3, IOPubPort: 4, HBPort: 5, Key: "k", SignatureScheme: "hmac-sha256"}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	if e := good.endpoint(4); e != "tcp://127.0.0.1:4" {
		t.Errorf("endpoint %s", e)
	}
	ipc := good
	ipc.Transport, ipc.IP = "ipc", "/tmp/kernel"
	if e := ipc.endpoint(4); e != "ipc:///tmp/kernel-4" {
		t.Errorf("ipc endpoint %s", e)
	}
	for _, bad := range []func(*ConnectionInfo){
		func(c *ConnectionInfo) { c.Transport = "udp" },
		func(c *ConnectionInfo) { c.IP = "" },
		func(c *ConnectionInfo) { c.HBPort = 0 },
		func(c *ConnectionInfo) { c.ShellPort = 70000 },
		func(c *ConnectionInfo) { c.SignatureScheme = "hmac-sha1" },
	} {
		c := good
		bad(&c)
		if err := c.Validate(); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
}
