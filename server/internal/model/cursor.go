package model

import (
	"encoding/base64"
	"errors"
	"sort"
	"strconv"
	"strings"
)

// Cursor is a position in the event logs of one or more sites: the last
// seq seen per site. On the wire it is opaque (base64url text).
type Cursor map[string]int64

// ErrBadCursor is returned for text that is not a cursor.
var ErrBadCursor = errors.New("bad cursor")

// Encode renders the cursor in a stable order.
func (c Cursor) Encode() string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(k)
		b.WriteByte(':')
		b.WriteString(strconv.FormatInt(c[k], 10))
	}
	return base64.RawURLEncoding.EncodeToString([]byte(b.String()))
}

// DecodeCursor parses a cursor produced by Encode.
func DecodeCursor(s string) (Cursor, error) {
	if len(s) > 64*1024 {
		return nil, ErrBadCursor
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, ErrBadCursor
	}
	c := Cursor{}
	if len(raw) == 0 {
		return c, nil
	}
	for _, part := range strings.Split(string(raw), ",") {
		site, seq, ok := strings.Cut(part, ":")
		n, err := strconv.ParseInt(seq, 10, 64)
		if !ok || err != nil || site == "" || n < 0 {
			return nil, ErrBadCursor
		}
		c[site] = n
	}
	return c, nil
}
