// Package anger scores how angry a customer message reads, so the inbox can
// put angry customers first and offer staff an empathy opener.
//
// It is a lexicon scorer, not a model: word lists for English, German, French
// and Spanish ship in the binary (lexicon/*.txt), with negation ("not happy",
// "nicht zufrieden"), intensifiers ("absolutely", "extrem"), and signals a
// word list misses: shouting in capitals, "!!" and "?!", threats (chargeback,
// lawyer, bad review), insults, and delay complaints ("seit drei Wochen").
// Nothing is downloaded, nothing is called, the same text always gives the
// same result. docs/anger.md has the measured precision and recall.
package anger

import (
	"math"
	"strings"
)

// Threshold is the Score from which a message counts as angry. The scale is
// raw evidence e mapped to e/(e+saturation): one strong word with a second
// signal ("Unacceptable!!", "ridiculous, three weeks") reaches it; a calm
// complaint ("the mug arrived cracked") stays well under it.
const Threshold = 0.5

// saturation is the raw evidence at which Score is Threshold.
const saturation = 2.5

// Weights of the signals that are not words. Tuned on the dev half of the
// labelled messages (see docs/anger.md).
const (
	shoutWord    = 0.5 // each word in capitals that is not itself a lexicon term
	shoutWords   = 4   // at most this many count
	shoutBoost   = 1.5 // a lexicon term written in capitals weighs this much more
	shoutAll     = 1.0 // extra when the whole message shouts
	exclaimRun   = 0.8 // each "!!" or "?!"
	questionRun  = 0.5 // each "??"
	punctRuns    = 2   // at most this many runs of each count
	negatedAnger = 0.5 // "not bad": a negated anger word counts -0.5 times
	negatedJoy   = 0.8 // "not happy": a negated pleased word counts 0.8 times as anger
	negateReach  = 3   // a negator reaches this many words ahead in its clause
	intensReach  = 2   // an intensifier reaches this many words ahead in its clause
	maxIntensity = 3.0
	maxSignals   = 8
)

// Result is the score of one message.
type Result struct {
	// Score is 0 (calm, pleased) to 1 (furious).
	Score float64 `json:"score"`
	// Angry is Score >= Threshold.
	Angry bool `json:"angry"`
	// Lang is the language the message was scored in ("en", "de", "fr", "es").
	Lang string `json:"lang"`
	// Signals explain the score for the UI: lexicon words in the order met
	// ("word:inakzeptabel", "threat:chargeback", "insult:idiots",
	// "word:nicht zufrieden"), then "delay:three weeks", "repeat:five times",
	// "caps", "exclaim". Never nil.
	Signals []string `json:"signals"`
}

// Languages lists the languages with a lexicon.
func Languages() []string { return append([]string(nil), languages...) }

// Score rates text. lang is a hint ("en", "de", "fr", "es", a tag such as
// "de-AT", or "" to detect); a text that is clearly in another supported
// language is scored in that language instead.
func Score(text, lang string) Result {
	sc := tokenize(text)
	l := detect(sc, normalizeLang(lang))
	lx := lexicons[l]
	toks := lx.prepare(sc.tokens)

	var raw float64
	var sig signalList
	shout := shouting(toks)
	inTerm := make([]bool, len(toks))

	negUntil, negClause, negText := -1, -1, ""
	intUntil, intClause, intensity := -1, -1, 1.0
	waiting := lx.waits(toks)
	delay, delayText := 0.0, ""
	repeat, repeatText := 0.0, ""
	shoutedAnger := false

	for i := 0; i < len(toks); {
		e, n := lx.match(toks, i)
		if e == nil {
			if waiting {
				if w, words, end := lx.countAt(lx.units, toks, i); w > 0 {
					w = shoutCount(w, shout, inTerm, i, end, &shoutedAnger)
					if w > delay {
						delay, delayText = w, words
					}
				}
			}
			if w, words, end := lx.countAt(lx.repeats, toks, i); w > 0 {
				w = shoutCount(w, shout, inTerm, i, end, &shoutedAnger)
				if w > repeat {
					repeat, repeatText = w, words
				}
			}
			i++
			continue
		}
		words := joinText(toks[i : i+n])
		last := i + n - 1
		switch e.kind {
		case negatorEntry:
			negUntil, negClause, negText = last+negateReach, toks[i].clause, words
		case intensifierEntry:
			if intUntil < i || intClause != toks[i].clause {
				intensity = 1
			}
			intensity = math.Min(intensity*e.weight, maxIntensity)
			intUntil, intClause = last+intensReach, toks[i].clause
		case termEntry:
			w := e.weight
			label := e.tag + ":" + words
			shouted := false
			for j := i; j <= last; j++ {
				inTerm[j] = true
				shouted = shouted || shout[j]
			}
			if shouted {
				w *= shoutBoost
			}
			if intUntil >= i && intClause == toks[i].clause {
				w *= intensity
				intUntil = -1
			}
			// A term that carries its own negation ("not acceptable", "pas
			// acceptable") is not negated again by the "ne" of "n'est pas".
			if negUntil >= i && negClause == toks[i].clause && !e.selfNegated {
				if w > 0 {
					w = -w * negatedAnger
				} else {
					w = -w * negatedJoy
					label = "word:" + negText + " " + words
				}
				negUntil = -1
			}
			raw += w
			if w > 0 {
				sig.add(label)
				shoutedAnger = shoutedAnger || shouted
			}
		}
		i += n
	}
	if delay > 0 {
		raw += delay
		sig.add("delay:" + delayText)
	}
	if repeat > 0 {
		raw += repeat
		sig.add("repeat:" + repeatText)
	}
	if extra := shoutExtra(toks, shout, inTerm); extra > 0 || shoutedAnger {
		raw += extra
		sig.add("caps")
	}
	if sc.exclaimRuns > 0 || sc.questionRuns > 0 {
		raw += exclaimRun*float64(min(sc.exclaimRuns, punctRuns)) + questionRun*float64(min(sc.questionRuns, punctRuns))
		sig.add("exclaim")
	}

	r := Result{Lang: l, Signals: sig.list}
	if raw > 0 {
		r.Score = math.Round(raw/(raw+saturation)*1000) / 1000
	}
	r.Angry = r.Score >= Threshold
	if r.Signals == nil {
		r.Signals = []string{}
	}
	return r
}

// shouting marks the tokens written in capitals as shouting: words of four
// letters or more, or shorter ones next to another capitalised word, so
// "DO NOT ORDER" shouts and a lone "XL", "FAQ" or "VAT" does not.
func shouting(toks []token) []bool {
	out := make([]bool, len(toks))
	for i, t := range toks {
		if !t.shoutable() {
			continue
		}
		out[i] = t.upper >= 4 ||
			(i > 0 && toks[i-1].shoutable() && toks[i-1].sentence == t.sentence) ||
			(i+1 < len(toks) && toks[i+1].shoutable() && toks[i+1].sentence == t.sentence)
	}
	return out
}

// shoutCount boosts a count written in capitals ("FIVE times", "DREI
// WOCHEN") like a shouted term, and marks its words as counted.
func shoutCount(w float64, shout, inTerm []bool, from, to int, shouted *bool) float64 {
	loud := false
	for j := from; j <= to; j++ {
		loud = loud || shout[j]
		inTerm[j] = true
	}
	if loud {
		*shouted = true
		return w * shoutBoost
	}
	return w
}

// shoutExtra is the weight of shouting beyond the lexicon terms it boosted.
func shoutExtra(toks []token, shout, inTerm []bool) float64 {
	n, words, shouted := 0, 0, 0
	for i, t := range toks {
		if t.upper+t.lower > 0 {
			words++
		}
		if shout[i] {
			shouted++
			if !inTerm[i] {
				n++
			}
		}
	}
	extra := shoutWord * float64(min(n, shoutWords))
	if words >= 3 && shouted*5 >= words*4 {
		extra += shoutAll
	}
	return extra
}

func joinText(toks []token) string {
	if len(toks) == 1 {
		return toks[0].text
	}
	parts := make([]string, len(toks))
	for i, t := range toks {
		parts[i] = t.text
	}
	return strings.Join(parts, " ")
}

// signalList keeps signals once each, in the order met, at most maxSignals.
type signalList struct{ list []string }

func (s *signalList) add(v string) {
	for _, have := range s.list {
		if have == v {
			return
		}
	}
	if len(s.list) < maxSignals {
		s.list = append(s.list, v)
	}
}

// normalizeLang maps a hint such as "de-AT" or "FR" to a supported language,
// "" when it names none.
func normalizeLang(lang string) string {
	lang = strings.ToLower(strings.TrimSpace(lang))
	if i := strings.IndexAny(lang, "-_"); i >= 0 {
		lang = lang[:i]
	}
	if _, ok := lexicons[lang]; ok {
		return lang
	}
	return ""
}

// Openers returns 3 to 5 short empathy openers in lang (English when lang
// has no lexicon) for a reply to an angry customer. The slice is the
// caller's to keep.
func Openers(lang string) []string {
	l := normalizeLang(lang)
	if l == "" {
		l = "en"
	}
	return append([]string(nil), lexicons[l].openers...)
}
