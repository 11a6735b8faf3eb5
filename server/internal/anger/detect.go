package anger

import "strings"

// detect picks the language to score in. The evidence is stopwords (short
// function words each language has of its own) and letters only one of them
// uses (ß, ñ, ç...). A hint is kept unless the text clearly is another
// language: a German complaint on an English site is scored in German.
func detect(s scan, hint string) string {
	var score [4]float64
	var letters [4]float64
	letters[3] = 0.5 * float64(s.inverted)
	for _, t := range s.tokens {
		for li, lang := range languages {
			sw := lexicons[lang].stopwords
			if sw[t.key] {
				score[li]++
			} else if i := strings.IndexByte(t.key, '\''); i > 0 && sw[t.key[:i+1]] {
				score[li]++ // an elided clitic: "c'est", "j'ai"
			}
		}
		for _, r := range t.text {
			if li := letterLanguage(r); li >= 0 {
				letters[li] += 0.5
			}
		}
	}
	best := -1
	for li := range languages {
		score[li] += min(letters[li], 2)
		if best < 0 || score[li] > score[best] {
			best = li
		}
	}
	hinted := -1
	for li, lang := range languages {
		if lang == hint {
			hinted = li
		}
	}
	switch {
	case hinted >= 0 && (score[best] < 2 || score[best] < 2*score[hinted]+1):
		return languages[hinted]
	case score[best] == 0:
		return "en"
	}
	return languages[best]
}

// letterLanguage names the one language (index into languages) that uses a
// letter, -1 for letters that tell nothing.
func letterLanguage(r rune) int {
	switch r {
	case 'ß', 'ä', 'ö':
		return 1
	case 'ç', 'œ', 'è', 'ê', 'à', 'ù', 'â', 'î', 'ô', 'û', 'ë', 'ï':
		return 2
	case 'ñ', 'á', 'í', 'ó', 'ú':
		return 3
	}
	return -1
}
