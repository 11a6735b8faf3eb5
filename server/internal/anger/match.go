package anger

import (
	"strings"
	"unicode/utf8"
)

// prepare turns scanned tokens into this language's tokens: clitics split
// off ("l'attente" -> "l'" "attente") and language folds applied.
func (lx *lexicon) prepare(in []token) []token {
	out := make([]token, 0, len(in)+len(in)/4)
	for _, t := range in {
		if len(lx.elision) > 0 {
			if i := strings.IndexByte(t.key, '\''); i > 0 && i < len(t.key)-1 && lx.elision[t.key[:i]] {
				clitic := t
				clitic.key, clitic.upper, clitic.lower = t.key[:i+1], 0, 0
				clitic.text = clitic.key
				out = append(out, clitic)
				t.key = t.key[i+1:]
				if j := strings.IndexAny(t.text, "'’ʼ`´"); j >= 0 {
					_, size := utf8.DecodeRuneInString(t.text[j:])
					t.text = t.text[j+size:]
				}
			}
		}
		t.key = lx.fold(t.key)
		out = append(out, t)
	}
	return out
}

// match finds the longest entry starting at toks[i] that fits inside i's
// sentence; on a tie the entry written first wins. It returns the entry and
// how many tokens it covers (nil, 1 when nothing matches).
func (lx *lexicon) match(toks []token, i int) (*entry, int) {
	key := toks[i].key
	var best *entry
	try := func(cands []*entry) {
		for _, e := range cands {
			if (best == nil || len(e.pats) > len(best.pats)) && lx.fits(e, toks, i) {
				best = e
			}
		}
	}
	try(lx.exact[key])
	for _, n := range lx.prefixLens {
		if n <= len(key) {
			try(lx.prefix[key[:n]])
		}
	}
	for _, e := range lx.scanned {
		if e.pats[0].match(key) {
			try([]*entry{e})
		}
	}
	if best == nil {
		return nil, 1
	}
	return best, len(best.pats)
}

func (lx *lexicon) fits(e *entry, toks []token, i int) bool {
	if i+len(e.pats) > len(toks) {
		return false
	}
	for j, p := range e.pats {
		t := toks[i+j]
		if t.sentence != toks[i].sentence || !p.match(t.key) {
			return false
		}
	}
	return true
}

// isNumber returns the count a token stands for ("3", "drei", "trois").
func (lx *lexicon) isNumber(t token) int {
	if n := t.number(); n > 0 {
		return n
	}
	return lx.numbers[t.key]
}

func (lx *lexicon) waits(toks []token) bool {
	for _, t := range toks {
		for _, p := range lx.waiting {
			if p.match(t.key) {
				return true
			}
		}
	}
	return false
}

// countAt reports a "number + unit" complaint starting at toks[i] ("three
// weeks" from units, "five times" from repeats): its weight, its words and
// the index of its last token, or 0 when there is none.
func (lx *lexicon) countAt(units []unit, toks []token, i int) (float64, string, int) {
	n := lx.isNumber(toks[i])
	if n == 0 {
		return 0, "", i
	}
	// The unit may follow one filler word: "three whole weeks", "drei ganze Wochen".
	for j := i + 1; j <= i+2 && j < len(toks); j++ {
		if toks[j].clause != toks[i].clause {
			break
		}
		for _, u := range units {
			if u.pat.match(toks[j].key) {
				if n < u.min {
					return 0, "", i
				}
				words := make([]string, 0, j-i+1)
				for k := i; k <= j; k++ {
					words = append(words, toks[k].text)
				}
				return u.weight, strings.Join(words, " "), j
			}
		}
	}
	return 0, "", i
}
