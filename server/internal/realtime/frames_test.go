package realtime

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/gorilla/websocket"
)

// clientFrame is a frame as a client sends it: masked.
func clientFrame(fin bool, op byte, payload []byte) []byte {
	b0 := op
	if fin {
		b0 |= 0x80
	}
	out := []byte{b0}
	switch n := len(payload); {
	case n < 126:
		out = append(out, 0x80|byte(n))
	case n <= 0xffff:
		out = append(out, 0x80|126)
		out = binary.BigEndian.AppendUint16(out, uint16(n))
	default:
		out = append(out, 0x80|127)
		out = binary.BigEndian.AppendUint64(out, uint64(n))
	}
	mask := [4]byte{0x12, 0x34, 0x56, 0x78}
	out = append(out, mask[:]...)
	for i, c := range payload {
		out = append(out, c^mask[i&3])
	}
	return out
}

func TestParseFrame(t *testing.T) {
	long := bytes.Repeat([]byte("x"), 300)
	unmasked := clientFrame(true, opText, []byte("hi"))
	unmasked[1] &^= 0x80
	reserved := clientFrame(true, opText, []byte("hi"))
	reserved[0] |= 0x40
	for _, tc := range []struct {
		name    string
		in      []byte
		room    int
		n       int // 0: incomplete
		payload []byte
		code    int // a close code: the frame is refused
	}{
		{name: "empty", in: nil, room: readLimit},
		{name: "one byte", in: clientFrame(true, opText, []byte("hi"))[:1], room: readLimit},
		{name: "header only", in: clientFrame(true, opText, []byte("hi"))[:6], room: readLimit},
		{name: "whole", in: clientFrame(true, opText, []byte("hi")), room: readLimit, n: 8, payload: []byte("hi")},
		{name: "16-bit length", in: clientFrame(true, opText, long), room: readLimit, n: 8 + 300, payload: long},
		{name: "16-bit length, short", in: clientFrame(true, opText, long)[:3], room: readLimit},
		{name: "64-bit length over the limit", in: clientFrame(true, opBinary, bytes.Repeat([]byte("y"), 70000))[:10], room: readLimit,
			code: websocket.CloseMessageTooBig},
		{name: "over the room left", in: clientFrame(false, opContinuation, long)[:4], room: 299, code: websocket.CloseMessageTooBig},
		{name: "unmasked", in: unmasked, room: readLimit, code: websocket.CloseProtocolError},
		{name: "reserved bits", in: reserved, room: readLimit, code: websocket.CloseProtocolError},
		{name: "unknown opcode", in: clientFrame(true, 3, nil), room: readLimit, code: websocket.CloseProtocolError},
		{name: "fragmented ping", in: clientFrame(false, opPing, nil), room: readLimit, code: websocket.CloseProtocolError},
		{name: "long ping", in: clientFrame(true, opPing, long), room: readLimit, code: websocket.CloseProtocolError},
		{name: "ping", in: clientFrame(true, opPing, []byte("p")), room: 0, n: 7, payload: []byte("p")},
		{name: "followed by more", in: append(clientFrame(true, opPong, nil), 0x81), room: readLimit, n: 6, payload: []byte{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, n, ferr := parseFrame(bytes.Clone(tc.in), tc.room)
			if tc.code != 0 {
				if ferr == nil || ferr.code != tc.code {
					t.Fatalf("got %+v, want close code %d", ferr, tc.code)
				}
				return
			}
			if ferr != nil || n != tc.n || tc.n > 0 && !bytes.Equal(f.payload, tc.payload) {
				t.Fatalf("got n=%d payload %q err %+v, want n=%d payload %q", n, f.payload, ferr, tc.n, tc.payload)
			}
		})
	}
}

func TestValidCloseCode(t *testing.T) {
	for code, want := range map[int]bool{999: false, 1000: true, 1003: true, 1004: false, 1005: false, 1006: false,
		1007: true, 1014: true, 1015: false, 2999: false, 3000: true, 4999: true, 5000: false} {
		if validCloseCode(code) != want {
			t.Errorf("validCloseCode(%d) = %v", code, !want)
		}
	}
}

// FuzzParseFrame: any input parses without a panic into a whole frame, "not
// whole yet" or a refusal; a whole frame is no longer than the input and
// within the read limit, every shorter prefix of it is "not whole yet" (so
// input split anywhere across wake-ups parses the same), and a refusal
// stays the same whatever follows it.
//
//	go test -fuzz FuzzParseFrame ./server/internal/realtime/
func FuzzParseFrame(f *testing.F) {
	f.Add(clientFrame(true, opText, []byte(`{"type":"typing"}`)), readLimit)
	f.Add(clientFrame(false, opContinuation, bytes.Repeat([]byte("x"), 300)), 299)
	f.Add(clientFrame(true, opClose, []byte{0x03, 0xe8}), readLimit)
	f.Add(clientFrame(true, opPing, nil), 0)
	f.Add([]byte{0x81, 0xff, 0, 0, 0, 0, 0, 0, 0x10, 0, 1, 2, 3, 4}, readLimit)
	f.Fuzz(func(t *testing.T, in []byte, room int) {
		room = max(0, min(room, readLimit))
		fr, n, ferr := parseFrame(bytes.Clone(in), room)
		switch {
		case ferr != nil:
			if n != 0 {
				t.Fatalf("a refusal took %d bytes", n)
			}
			more := append(bytes.Clone(in), 0x80, 0x80, 0, 0, 0, 0)
			if _, _, again := parseFrame(more, room); again == nil || *again != *ferr {
				t.Fatalf("refusal %+v became %+v with more input", ferr, again)
			}
		case n == 0:
			return
		default:
			if n > len(in) || len(fr.payload) > n {
				t.Fatalf("frame of %d bytes (payload %d) from %d bytes of input", n, len(fr.payload), len(in))
			}
			if (fr.op == opText || fr.op == opBinary || fr.op == opContinuation) && len(fr.payload) > room {
				t.Fatalf("payload %d over the room %d", len(fr.payload), room)
			}
			for k := range n {
				if _, m, err := parseFrame(bytes.Clone(in[:k]), room); m != 0 || err != nil {
					t.Fatalf("prefix of %d of a %d-byte frame: n=%d err=%+v", k, n, m, err)
				}
			}
		}
	})
}
