package anger

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// token is one word (or one symbol such as an emoji) of a message.
type token struct {
	// text is the word as written, lowercased: what a signal shows to staff.
	text string
	// key is the folded form every lexicon lookup uses: lowercase, accents
	// stripped, ß as ss, typographic apostrophes as ', plus the language's
	// own folds (see lexicon.fold).
	key string
	// sentence and clause number the stretch the token stands in. Phrases
	// never span a sentence end; negation and intensifiers never reach past a
	// clause end (a comma, a sentence end).
	sentence, clause int
	// upper and lower count the cased letters, for the shouting signal.
	upper, lower int
	// digits: the token is a number written in digits.
	digits bool
}

// scan is a tokenised message with its punctuation signals.
type scan struct {
	tokens []token
	// exclaimRuns counts runs of two or more '!' or a mix of '!' and '?'
	// ("!!", "?!", "!?!"); questionRuns counts runs of two or more '?' alone.
	exclaimRuns, questionRuns int
	// inverted counts '¿' and '¡', which only Spanish writes.
	inverted int
}

// maxScanRunes bounds the work per message: messages are at most 10,000
// characters by contract, and what decides anger shows long before that.
const maxScanRunes = 12000

// tokenize splits text into words and symbols. Letters, digits and marks make
// words; an apostrophe between letters stays inside the word ("don't",
// "n'est"; a language may split it later); a hyphen splits ("rip-off" reads
// as "rip off") without ending the clause; each pictographic symbol is a
// token of its own so emoji can be lexicon entries.
func tokenize(text string) scan {
	s := scan{tokens: make([]token, 0, len(text)/5+1)}
	word := make([]rune, 0, 32)
	sentence, clause := 0, 0
	punctRun, punctBang := 0, false
	flushPunct := func() {
		if punctRun >= 2 {
			if punctBang {
				s.exclaimRuns++
			} else {
				s.questionRuns++
			}
		}
		punctRun, punctBang = 0, false
	}
	flushWord := func() {
		if len(word) == 0 {
			return
		}
		s.tokens = append(s.tokens, makeToken(word, sentence, clause))
		word = word[:0]
	}
	runes := 0
	prev := rune(0)
	for i, r := range text {
		if runes++; runes > maxScanRunes {
			break
		}
		if r == utf8.RuneError {
			r = ' '
		}
		if isEmojiGlue(r) {
			continue // keeps "❤️" and "👍🏽" one symbol token
		}
		if r != '!' && r != '?' && r != '¡' && r != '¿' && !unicode.IsSpace(r) {
			flushPunct()
		}
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r):
			word = append(word, r)
		case isApostrophe(r):
			next, _ := utf8.DecodeRuneInString(text[i+utf8.RuneLen(r):])
			if len(word) > 0 && unicode.IsLetter(prev) && unicode.IsLetter(next) {
				word = append(word, '\'')
			} else {
				flushWord()
			}
		case r == '!' || r == '?' || r == '¡' || r == '¿':
			flushWord()
			if r == '!' || r == '?' {
				punctRun++
				punctBang = punctBang || r == '!'
			} else {
				s.inverted++
			}
			sentence++
			clause++
		case r == '.' || r == ';' || r == ':' || r == '\n' || r == '…':
			flushWord()
			sentence++
			clause++
		case r == ',' || r == '(' || r == ')' || r == '—' || r == '–':
			flushWord()
			clause++
		case unicode.Is(unicode.So, r):
			flushWord()
			s.tokens = append(s.tokens, makeToken([]rune{r}, sentence, clause))
		default:
			flushWord()
		}
		prev = r
	}
	flushWord()
	flushPunct()
	return s
}

// isEmojiGlue: the variation selector, the zero-width joiner and skin tones,
// which modify the symbol before them and mean nothing alone.
func isEmojiGlue(r rune) bool {
	return r == '\ufe0f' || r == '\ufe0e' || r == '\u200d' || (r >= 0x1F3FB && r <= 0x1F3FF)
}

func isApostrophe(r rune) bool { return r == '\'' || r == '’' || r == 'ʼ' || r == '`' || r == '´' }

func makeToken(word []rune, sentence, clause int) token {
	t := token{sentence: sentence, clause: clause, digits: true}
	ascii := true
	for _, r := range word {
		ascii = ascii && r < utf8.RuneSelf
	}
	if ascii {
		// The common case: one lowercase copy serves as text and key.
		b := make([]byte, len(word))
		for i, r := range word {
			c := byte(r)
			switch {
			case 'A' <= c && c <= 'Z':
				t.upper++
				c += 'a' - 'A'
			case 'a' <= c && c <= 'z':
				t.lower++
			}
			if c < '0' || c > '9' {
				t.digits = false
			}
			b[i] = c
		}
		t.text = string(b)
		t.key = t.text
		return t
	}
	var low, key strings.Builder
	for _, r := range word {
		if unicode.IsUpper(r) {
			t.upper++
		} else if unicode.IsLower(r) {
			t.lower++
		}
		if !unicode.IsDigit(r) {
			t.digits = false
		}
		lr := unicode.ToLower(r)
		low.WriteRune(lr)
		key.WriteString(foldRune(lr))
	}
	t.text = low.String()
	t.key = key.String()
	return t
}

// number returns the value of a token written in digits, 0 if it is not one
// (or is absurdly long).
func (t token) number() int {
	if !t.digits || len(t.key) > 6 {
		return 0
	}
	n, err := strconv.Atoi(t.key)
	if err != nil {
		return 0
	}
	return n
}

// shoutable reports whether the token is written in capitals (at least two
// cased letters, none lowercase, no digits: "XL2" and "E4" are codes).
func (t token) shoutable() bool {
	return t.upper >= 2 && t.lower == 0 && !strings.ContainsAny(t.key, "0123456789")
}

// foldRune maps a lowercase rune to its accent-free spelling, so "tres" and
// "très", "unverschamt" and "unverschämt", "reembolso" typed on a phone
// without accents all meet the same lexicon entry.
func foldRune(r rune) string {
	if r < 0x80 {
		return string(r)
	}
	if f, ok := foldTable[r]; ok {
		return f
	}
	if isApostrophe(r) {
		return "'"
	}
	return string(r)
}

var foldTable = map[rune]string{
	'à': "a", 'á': "a", 'â': "a", 'ã': "a", 'ä': "a", 'å': "a", 'ā': "a", 'ă': "a", 'ą': "a",
	'ç': "c", 'ć': "c", 'č': "c",
	'è': "e", 'é': "e", 'ê': "e", 'ë': "e", 'ē': "e", 'ė': "e", 'ę': "e", 'ě': "e",
	'ì': "i", 'í': "i", 'î': "i", 'ï': "i", 'ī': "i",
	'ñ': "n", 'ń': "n",
	'ò': "o", 'ó': "o", 'ô': "o", 'õ': "o", 'ö': "o", 'ø': "o", 'ō': "o",
	'ù': "u", 'ú': "u", 'û': "u", 'ü': "u", 'ū': "u",
	'ý': "y", 'ÿ': "y",
	'ß': "ss", 'œ': "oe", 'æ': "ae",
	'ʼ': "'", '’': "'", '`': "'", '´': "'",
	'\ufe0f': "", // emoji presentation selector: ❤️ and ❤ are one entry
}

// foldKey folds a whole string the way makeToken folds a word (for lexicon
// entries, which are written with accents).
func foldKey(s string) string {
	var b strings.Builder
	for _, r := range s {
		b.WriteString(foldRune(unicode.ToLower(r)))
	}
	return b.String()
}
