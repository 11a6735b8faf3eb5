package anger

import (
	"embed"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The word lists ship inside the binary: one file per language plus
// common.txt (emoji and other signs every language shares), in the format
// parseLexicon documents.
//
//go:embed lexicon/*.txt
var lexiconFiles embed.FS

// languages lists the supported languages in the order ties are broken.
var languages = []string{"en", "de", "fr", "es"}

// lexicons is loaded once at start from the embedded files; a broken file is
// a build defect, so it panics (TestLexiconsLoad keeps that from shipping).
var lexicons = mustLoadLexicons()

func mustLoadLexicons() map[string]*lexicon {
	common, err := lexiconFiles.ReadFile("lexicon/common.txt")
	if err != nil {
		panic(err)
	}
	out := make(map[string]*lexicon, len(languages))
	for _, lang := range languages {
		src, err := lexiconFiles.ReadFile("lexicon/" + lang + ".txt")
		if err != nil {
			panic(err)
		}
		lx, err := parseLexicon(lang, string(src)+"\n[terms]\n"+string(common))
		if err != nil {
			panic(fmt.Errorf("anger: lexicon %s: %w", lang, err))
		}
		out[lang] = lx
	}
	return out
}

type patKind uint8

const (
	exactPat    patKind = iota // "word"
	prefixPat                  // "word*": word, words, wordy
	suffixPat                  // "*word": German compounds, "Riesenfrechheit"
	containsPat                // "*word*"
)

// pattern matches one folded token.
type pattern struct {
	kind patKind
	text string
}

func (p pattern) match(key string) bool {
	switch p.kind {
	case prefixPat:
		return strings.HasPrefix(key, p.text)
	case suffixPat:
		return strings.HasSuffix(key, p.text)
	case containsPat:
		return strings.Contains(key, p.text)
	default:
		return key == p.text
	}
}

type entryKind uint8

const (
	termEntry        entryKind = iota // carries an anger weight
	negatorEntry                      // flips the next term in its clause
	intensifierEntry                  // scales the next term in its clause
)

// entry is one line of [terms], [negators] or [intensifiers]: a word or a
// phrase of several words.
type entry struct {
	kind entryKind
	pats []pattern
	// weight: for a term, how much it says "angry" (negative: pleased); for an
	// intensifier, the factor (below 1 softens: "a bit").
	weight float64
	// tag names the signal a term raises: word, threat, insult, delay.
	tag string
	// selfNegated: a term whose first word is a negator ("not acceptable").
	selfNegated bool
}

// unit is a span of time that, after a number and with a word of waiting in
// the message, makes a delay complaint ("seit drei Wochen").
type unit struct {
	pat    pattern
	weight float64
	min    int // the smallest count that is a delay: 5 days, 1 week
}

type lexicon struct {
	lang       string
	exact      map[string][]*entry
	prefix     map[string][]*entry
	prefixLens []int    // the lengths of prefix keys, longest first
	scanned    []*entry // entries whose first pattern is a suffix or contains pattern
	stopwords  map[string]bool
	numbers    map[string]int
	units      []unit
	repeats    []unit // "five times": a count of tries that needs no word of waiting
	waiting    []pattern
	openers    []string
	elision    map[string]bool // clitics split off at an apostrophe: "n'est" -> "n'" "est"
	// umlautFold also folds the ASCII spellings ae, oe, ue to a, o, u, so
	// "unverschaemt" meets "unverschämt" (which the generic fold made "unverschamt").
	umlautFold bool
}

var tagRE = regexp.MustCompile(`^[a-z]+$`)

// parseLexicon reads a lexicon file. Lines are blank, "# comments", or
// belong to the last "[section]" header:
//
//	[options]      umlaut_fold | elision CLITIC...
//	[terms]        PHRASE WEIGHT [TAG]     e.g. "nie wieder 2.5 threat"
//	[negators]     PHRASE                  e.g. "not", "*n't"
//	[intensifiers] PHRASE FACTOR           e.g. "absolutely 1.7", "a bit 0.5"
//	[stopwords]    WORD...                 words that tell the language apart
//	[numbers]      WORD VALUE              e.g. "drei 3"
//	[units]        PATTERN WEIGHT MIN      e.g. "woche* 1.5 1"
//	[repeats]      PATTERN WEIGHT MIN      e.g. "mal 1 3" ("drei mal")
//	[waiting]      PATTERN                 e.g. "seit"
//	[openers]      a whole line of text    an empathy opener for staff
//
// A phrase is words separated by spaces; each word may end in * (prefix) or
// start with * (suffix; both: contains). Words are folded like message
// tokens, so accents are optional in messages.
func parseLexicon(lang, src string) (*lexicon, error) {
	lx := &lexicon{
		lang:      lang,
		exact:     map[string][]*entry{},
		prefix:    map[string][]*entry{},
		stopwords: map[string]bool{},
		numbers:   map[string]int{},
		elision:   map[string]bool{},
	}
	type line struct {
		no      int
		section string
		text    string
	}
	var lines []line
	section := ""
	for i, raw := range strings.Split(src, "\n") {
		text := strings.TrimSpace(raw)
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		if !utf8.ValidString(text) {
			return nil, fmt.Errorf("line %d: not UTF-8", i+1)
		}
		if strings.HasPrefix(text, "[") && strings.HasSuffix(text, "]") {
			section = text[1 : len(text)-1]
			switch section {
			case "options", "terms", "negators", "intensifiers", "stopwords", "numbers", "units", "repeats", "waiting", "openers":
			default:
				return nil, fmt.Errorf("line %d: unknown section %q", i+1, section)
			}
			continue
		}
		if section == "" {
			return nil, fmt.Errorf("line %d: text before the first [section]", i+1)
		}
		lines = append(lines, line{i + 1, section, text})
	}
	// Options first: they change how every other line is folded.
	for _, l := range lines {
		if l.section != "options" {
			continue
		}
		f := strings.Fields(l.text)
		switch f[0] {
		case "umlaut_fold":
			lx.umlautFold = true
		case "elision":
			for _, c := range f[1:] {
				lx.elision[foldKey(c)] = true
			}
		default:
			return nil, fmt.Errorf("line %d: unknown option %q", l.no, f[0])
		}
	}
	seen := map[string]int{}
	for _, l := range lines {
		if err := lx.parseLine(l.section, l.text, seen, l.no); err != nil {
			return nil, fmt.Errorf("line %d: %w", l.no, err)
		}
	}
	lx.markSelfNegated()
	for n := range lx.prefixLenSet() {
		lx.prefixLens = append(lx.prefixLens, n)
	}
	sort.Sort(sort.Reverse(sort.IntSlice(lx.prefixLens)))
	return lx, nil
}

func (lx *lexicon) parseLine(section, text string, seen map[string]int, no int) error {
	f := strings.Fields(text)
	switch section {
	case "options":
		return nil
	case "openers":
		lx.openers = append(lx.openers, text)
		return nil
	case "stopwords":
		for _, w := range f {
			lx.stopwords[foldKey(w)] = true
		}
		return nil
	case "numbers":
		if len(f) != 2 {
			return fmt.Errorf("want WORD VALUE")
		}
		n, err := strconv.Atoi(f[1])
		if err != nil || n < 0 || n > 1000 {
			return fmt.Errorf("bad number %q", f[1])
		}
		lx.numbers[lx.fold(foldKey(f[0]))] = n
		return nil
	case "waiting":
		if len(f) != 1 {
			return fmt.Errorf("want one word")
		}
		p, err := lx.parsePattern(f[0])
		if err != nil {
			return err
		}
		lx.waiting = append(lx.waiting, p)
		return nil
	case "units", "repeats":
		if len(f) != 3 {
			return fmt.Errorf("want PATTERN WEIGHT MIN")
		}
		p, err := lx.parsePattern(f[0])
		if err != nil {
			return err
		}
		w, err := parseWeight(f[1])
		if err != nil {
			return err
		}
		min, err := strconv.Atoi(f[2])
		if err != nil || min < 1 || min > 1000 {
			return fmt.Errorf("bad minimum %q", f[2])
		}
		if section == "units" {
			lx.units = append(lx.units, unit{p, w, min})
		} else {
			lx.repeats = append(lx.repeats, unit{p, w, min})
		}
		return nil
	}
	e := &entry{tag: "word"}
	switch section {
	case "terms":
		e.kind = termEntry
		if len(f) >= 3 && tagRE.MatchString(f[len(f)-1]) {
			e.tag, f = f[len(f)-1], f[:len(f)-1]
		}
		if len(f) < 2 {
			return fmt.Errorf("want PHRASE WEIGHT [TAG]")
		}
		w, err := parseWeight(f[len(f)-1])
		if err != nil {
			return err
		}
		e.weight, f = w, f[:len(f)-1]
	case "negators":
		e.kind = negatorEntry
	case "intensifiers":
		e.kind = intensifierEntry
		if len(f) < 2 {
			return fmt.Errorf("want PHRASE FACTOR")
		}
		w, err := parseWeight(f[len(f)-1])
		if err != nil || w <= 0 {
			return fmt.Errorf("bad factor %q", f[len(f)-1])
		}
		e.weight, f = w, f[:len(f)-1]
	}
	var key strings.Builder
	for _, w := range lx.splitClitics(f) {
		p, err := lx.parsePattern(w)
		if err != nil {
			return err
		}
		e.pats = append(e.pats, p)
		fmt.Fprintf(&key, "%d%s ", p.kind, p.text)
	}
	if prev, dup := seen[key.String()]; dup {
		return fmt.Errorf("%q repeats line %d", strings.Join(f, " "), prev)
	}
	seen[key.String()] = no
	first := e.pats[0]
	switch first.kind {
	case exactPat:
		lx.exact[first.text] = append(lx.exact[first.text], e)
	case prefixPat:
		lx.prefix[first.text] = append(lx.prefix[first.text], e)
	default:
		lx.scanned = append(lx.scanned, e)
	}
	return nil
}

// splitClitics splits phrase words the way prepare splits message tokens,
// so "j'en ai marre" in a lexicon meets "j'" "en" "ai" "marre" in a message.
func (lx *lexicon) splitClitics(words []string) []string {
	if len(lx.elision) == 0 {
		return words
	}
	out := make([]string, 0, len(words))
	for _, w := range words {
		k := foldKey(w)
		if i := strings.IndexByte(k, '\''); i > 0 && i < len(k)-1 && lx.elision[k[:i]] {
			out = append(out, k[:i+1], k[i+1:])
			continue
		}
		out = append(out, w)
	}
	return out
}

func parseWeight(s string) (float64, error) {
	w, err := strconv.ParseFloat(s, 64)
	if err != nil || w < -10 || w > 10 {
		return 0, fmt.Errorf("bad weight %q", s)
	}
	return w, nil
}

func (lx *lexicon) parsePattern(w string) (pattern, error) {
	p := pattern{kind: exactPat}
	lead, trail := strings.HasPrefix(w, "*"), strings.HasSuffix(w, "*") && len(w) > 1
	core := strings.TrimSuffix(strings.TrimPrefix(w, "*"), "*")
	switch {
	case lead && trail:
		p.kind = containsPat
	case lead:
		p.kind = suffixPat
	case trail:
		p.kind = prefixPat
	}
	p.text = lx.fold(foldKey(core))
	if p.text == "" || strings.Contains(p.text, "*") {
		return p, fmt.Errorf("bad word %q", w)
	}
	// A short open-ended pattern would match half the language.
	if n := utf8.RuneCountInString(p.text); (p.kind == prefixPat && n < 2) || ((p.kind == suffixPat || p.kind == containsPat) && n < 3) {
		return p, fmt.Errorf("pattern %q too short", w)
	}
	return p, nil
}

func (lx *lexicon) markSelfNegated() {
	negators := map[string]bool{}
	for _, es := range lx.exact {
		for _, e := range es {
			if e.kind == negatorEntry && len(e.pats) == 1 {
				negators[e.pats[0].text] = true
			}
		}
	}
	for key, es := range lx.exact {
		for _, e := range es {
			e.selfNegated = e.kind == termEntry && len(e.pats) > 1 && negators[key]
		}
	}
}

func (lx *lexicon) prefixLenSet() map[int]bool {
	set := map[int]bool{}
	for k := range lx.prefix {
		set[len(k)] = true
	}
	return set
}

// fold applies the language's own folds on top of the generic one.
func (lx *lexicon) fold(key string) string {
	if lx.umlautFold && strings.ContainsAny(key, "e") {
		key = umlautReplacer.Replace(key)
	}
	return key
}

var umlautReplacer = strings.NewReplacer("ae", "a", "oe", "o", "ue", "u")
