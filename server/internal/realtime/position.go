package realtime

import (
	"encoding/base64"
	"slices"
	"strconv"
	"strings"

	"holler/server/internal/model"
)

// position is where a socket stands in its sites' logs: the last seq
// queued for (or skipped by) it per site, sorted by site ID. It is a
// model.Cursor kept as a slice: a socket sees one site or a few, and a map
// per socket costs about 250 bytes, most of an idle socket's share of the
// hub. Sorted, it also encodes without sorting keys for every frame.
type position []sitePos

type sitePos struct {
	site string
	seq  int64
}

// newPosition starts a socket at cur on each of sites (0 where cur does not
// name one).
func newPosition(sites []string, cur model.Cursor) position {
	p := make(position, 0, len(sites))
	for _, id := range sites {
		p.set(id, cur[id])
	}
	return p
}

func (p position) index(site string) (int, bool) {
	return slices.BinarySearchFunc(p, site, func(sp sitePos, site string) int { return strings.Compare(sp.site, site) })
}

// get returns the seq of site and whether the socket follows it.
func (p position) get(site string) (int64, bool) {
	if i, ok := p.index(site); ok {
		return p[i].seq, true
	}
	return 0, false
}

// set records seq for site, following it if it did not.
func (p *position) set(site string, seq int64) {
	i, ok := p.index(site)
	if !ok {
		*p = slices.Insert(*p, i, sitePos{site: site})
	}
	(*p)[i].seq = seq
}

// remove stops following site.
func (p *position) remove(site string) {
	if i, ok := p.index(site); ok {
		*p = slices.Delete(*p, i, i+1)
	}
}

// encode is model.Cursor's Encode of the same position.
func (p position) encode() string {
	var buf [128]byte
	b := buf[:0]
	for i, sp := range p {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, sp.site...)
		b = append(b, ':')
		b = strconv.AppendInt(b, sp.seq, 10)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
