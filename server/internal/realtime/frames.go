package realtime

import (
	"encoding/binary"
	"encoding/json"
	"time"

	"github.com/gorilla/websocket"
)

// Reading client frames without a goroutine parked on every socket.
//
// A polled socket (see poll_linux.go) is read only when the kernel says it
// has input: a short-lived goroutine reads what is there without blocking,
// handles every whole frame and keeps the rest of an unfinished one for the
// next wake-up. Gorilla cannot do this: its reads block until a frame is
// whole and a read error ends the connection for good, so this file parses
// client frames itself (RFC 6455 section 5, server side, no extensions) and
// answers them as gorilla's defaults would. Writing stays gorilla's.

// Frame opcodes.
const (
	opContinuation = 0
	opText         = 1
	opBinary       = 2
	opClose        = 8
	opPing         = 9
	opPong         = 10
)

// maxFrameHeader is the longest client frame header: 2 bytes, an 8-byte
// length and the 4-byte mask.
const maxFrameHeader = 14

// frame is one client frame; payload is unmasked in place in the input.
type frame struct {
	fin     bool
	op      byte
	payload []byte
}

// inputError closes the socket with code (and reason) for a frame that
// breaks the protocol or the read limit.
type inputError struct {
	code   int
	reason string
}

// parseFrame reads the frame at the start of b. room is how many more
// message bytes the read limit allows. n is 0 while the frame is not whole.
// A frame whose header already breaks a rule fails before its payload
// arrives, so unfinished input never exceeds maxFrameHeader+readLimit.
func parseFrame(b []byte, room int) (f frame, n int, ferr *inputError) {
	if len(b) < 2 {
		return f, 0, nil
	}
	if b[0]&0x70 != 0 {
		return f, 0, &inputError{websocket.CloseProtocolError, "reserved bits set"}
	}
	f.fin, f.op = b[0]&0x80 != 0, b[0]&0x0f
	if b[1]&0x80 == 0 {
		return f, 0, &inputError{websocket.CloseProtocolError, "unmasked client frame"}
	}
	length, hdr := uint64(b[1]&0x7f), 2
	switch length {
	case 126:
		if len(b) < 4 {
			return f, 0, nil
		}
		length, hdr = uint64(binary.BigEndian.Uint16(b[2:])), 4
	case 127:
		if len(b) < 10 {
			return f, 0, nil
		}
		length, hdr = binary.BigEndian.Uint64(b[2:]), 10
	}
	switch f.op {
	case opClose, opPing, opPong:
		if !f.fin || length > 125 {
			return f, 0, &inputError{websocket.CloseProtocolError, "bad control frame"}
		}
	case opContinuation, opText, opBinary:
		if length > uint64(room) {
			return f, 0, &inputError{websocket.CloseMessageTooBig, ""}
		}
	default:
		return f, 0, &inputError{websocket.CloseProtocolError, "unknown opcode"}
	}
	end := hdr + 4 + int(length)
	if len(b) < end {
		return f, 0, nil
	}
	mask := b[hdr : hdr+4]
	f.payload = b[hdr+4 : end]
	for i := range f.payload {
		f.payload[i] ^= mask[i&3]
	}
	return f, end, nil
}

// inputState is what a polled socket keeps between wake-ups; nil while it
// holds nothing, which is nearly always.
type inputState struct {
	rest []byte // input after the last whole frame
	msg  []byte // a message whose last fragment has not come yet
	op   byte   // msg's opcode; 0 while no message is open
}

// handleInput handles every whole frame at the start of b and returns how
// many bytes they took; open is false once the socket closed.
func (c *Client) handleInput(b []byte) (used int, open bool) {
	for {
		room := readLimit
		if c.input != nil {
			room -= len(c.input.msg)
		}
		f, n, ferr := parseFrame(b[used:], room)
		if ferr != nil {
			c.closeWith(ferr.code, ferr.reason)
			return used, false
		}
		if n == 0 {
			return used, true
		}
		used += n
		if !c.handleFrame(f) {
			return used, false
		}
	}
}

// handleFrame answers one frame as gorilla's default handlers would;
// false once the socket closed.
func (c *Client) handleFrame(f frame) bool {
	c.seen.Store(time.Now().UnixNano())
	in := c.input
	switch f.op {
	case opText, opBinary:
		if in != nil && in.op != 0 {
			c.closeWith(websocket.CloseProtocolError, "message before the last one ended")
			return false
		}
		if f.fin {
			c.clientMessage(f.payload)
			return true
		}
		if in == nil {
			in = &inputState{}
			c.input = in
		}
		in.msg, in.op = append([]byte(nil), f.payload...), f.op
	case opContinuation:
		if in == nil || in.op == 0 {
			c.closeWith(websocket.CloseProtocolError, "continuation without a message")
			return false
		}
		in.msg = append(in.msg, f.payload...)
		if f.fin {
			msg := in.msg
			in.msg, in.op = nil, 0
			c.clientMessage(msg)
		}
	case opPing:
		// A failed pong needs no action here: the writer and the sweep
		// notice a dead socket.
		_ = c.conn.WriteControl(websocket.PongMessage, f.payload, time.Now().Add(writeWait))
	case opPong:
		// seen is all a pong is for.
	case opClose:
		code := websocket.CloseNoStatusReceived // answered with an empty close frame
		switch {
		case len(f.payload) == 1:
			c.closeWith(websocket.CloseProtocolError, "bad close frame")
			return false
		case len(f.payload) >= 2:
			code = int(binary.BigEndian.Uint16(f.payload))
			if !validCloseCode(code) {
				c.closeWith(websocket.CloseProtocolError, "bad close code")
				return false
			}
		}
		c.closeWith(code, "")
		return false
	}
	return true
}

// validCloseCode reports whether a client may send code (RFC 6455 7.4,
// as gorilla checks it).
func validCloseCode(code int) bool {
	switch {
	case code >= 1000 && code <= 1003, code >= 1007 && code <= 1014:
		return true
	default:
		return code >= 3000 && code <= 4999
	}
}

// readPump reads a socket the poller does not, with a goroutine parked on
// it (gorilla's reads and handlers).
func (c *Client) readPump() {
	c.conn.SetReadLimit(readLimit)
	// No read deadline: a deadline is a timer per socket. The hub's sweep
	// drops a socket whose last frame or pong is older than pongWait.
	c.conn.SetPongHandler(func(string) error {
		c.seen.Store(time.Now().UnixNano())
		return nil
	})
	for {
		_, raw, err := c.conn.ReadMessage()
		if err != nil {
			c.closeWith(0, "")
			return
		}
		c.seen.Store(time.Now().UnixNano())
		c.clientMessage(raw)
	}
}

// clientMessage handles a whole message from the client: a typing notice.
// Typing notices are worth one a second; more is noise (or abuse) that
// would cost a lookup and a broadcast each.
func (c *Client) clientMessage(raw []byte) {
	now := time.Now().UnixNano()
	if c.onFrame == nil || now-c.lastFrame < int64(time.Second) {
		return
	}
	var f ClientFrame
	if json.Unmarshal(raw, &f) != nil {
		return
	}
	c.lastFrame = now
	c.onFrame(f)
}
