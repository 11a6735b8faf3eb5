package anger

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestLexiconsLoad(t *testing.T) {
	for _, lang := range languages {
		lx := lexicons[lang]
		terms := 0
		for _, es := range lx.exact {
			terms += len(es)
		}
		for _, es := range lx.prefix {
			terms += len(es)
		}
		terms += len(lx.scanned)
		if terms < 150 || len(lx.stopwords) < 30 || len(lx.units) == 0 || len(lx.waiting) == 0 {
			t.Errorf("%s: a thin lexicon: %d entries, %d stopwords, %d units, %d waiting words",
				lang, terms, len(lx.stopwords), len(lx.units), len(lx.waiting))
		}
	}
}

// The examples of the task, one per language: a negated pleased word is
// anger, a negated anger word is not.
func TestNegation(t *testing.T) {
	for _, c := range []struct {
		lang, angry, calm, plain string
	}{
		{"en", "I am not happy with this at all, not acceptable.", "Not bad at all, really.", "I am happy with this."},
		{"de", "Ich bin überhaupt nicht zufrieden, das ist nicht akzeptabel.", "Gar nicht schlecht, wirklich.", "Ich bin zufrieden."},
		{"fr", "Je ne suis pas content du tout, ce n'est pas acceptable.", "Pas mal du tout, vraiment.", "Je suis content."},
		{"es", "No estoy contento para nada, no es aceptable.", "Nada mal, de verdad.", "Estoy contento."},
	} {
		angry, calm, plain := Score(c.angry, c.lang), Score(c.calm, c.lang), Score(c.plain, c.lang)
		if !angry.Angry {
			t.Errorf("%s %q: %+v, want angry", c.lang, c.angry, angry)
		}
		if calm.Score != 0 || plain.Score != 0 {
			t.Errorf("%s: %q -> %+v, %q -> %+v; want both 0", c.lang, c.calm, calm, c.plain, plain)
		}
		if !slices.ContainsFunc(angry.Signals, func(s string) bool { return strings.HasPrefix(s, "word:") && strings.Contains(s, " ") }) {
			t.Errorf("%s: signals %v name no negated phrase", c.lang, angry.Signals)
		}
	}
}

// A negator reaches only into its own clause: "no" in the first clause does
// not turn the "ridiculous" of the second into praise.
func TestNegationStopsAtClause(t *testing.T) {
	a := Score("No. This is ridiculous.", "en")
	b := Score("This is ridiculous.", "en")
	if a.Score != b.Score || a.Score == 0 {
		t.Errorf("%+v vs %+v", a, b)
	}
}

func TestIntensifiers(t *testing.T) {
	for _, c := range [][3]string{
		{"en", "This is disappointing.", "This is extremely disappointing."},
		{"de", "Ich bin enttäuscht.", "Ich bin extrem enttäuscht."},
		{"fr", "Je suis déçu.", "Je suis vraiment déçu."},
		{"es", "Estoy decepcionado.", "Estoy muy decepcionado."},
	} {
		plain, strong := Score(c[1], c[0]), Score(c[2], c[0])
		if !(strong.Score > plain.Score && plain.Score > 0) {
			t.Errorf("%s: %q %.3f, %q %.3f; want the intensified one higher", c[0], c[1], plain.Score, c[2], strong.Score)
		}
	}
	soft, plain := Score("The lid is a bit disappointing.", "en"), Score("The lid is disappointing.", "en")
	if !(soft.Score < plain.Score) {
		t.Errorf("'a bit' does not soften: %.3f vs %.3f", soft.Score, plain.Score)
	}
}

func TestShouting(t *testing.T) {
	calm := Score("Where is my order? It was due on Monday.", "en")
	loud := Score("WHERE IS MY ORDER? IT WAS DUE ON MONDAY.", "en")
	if !loud.Angry || calm.Score != 0 || !slices.Contains(loud.Signals, "caps") {
		t.Errorf("calm %+v, loud %+v", calm, loud)
	}
	// Acronyms and codes of two or three letters alone are not shouting.
	for _, s := range []string{
		"Can I pay the VAT on the XL size by PDF invoice? See FAQ.",
		"Error E4 on the USB port, order SAVE10.",
	} {
		if r := Score(s, "en"); slices.Contains(r.Signals, "caps") || r.Score != 0 {
			t.Errorf("%q: %+v", s, r)
		}
	}
	// A lexicon word in capitals weighs more than in lowercase.
	if a, b := Score("That is RIDICULOUS", "en"), Score("That is ridiculous", "en"); !(a.Score > b.Score) {
		t.Errorf("%.3f <= %.3f", a.Score, b.Score)
	}
}

func TestExclaim(t *testing.T) {
	plain := Score("You lost my parcel.", "en")
	loud := Score("You lost my parcel!!", "en")
	mixed := Score("You lost my parcel?!", "en")
	single := Score("You lost my parcel!", "en")
	if !(loud.Score > plain.Score && mixed.Score > plain.Score) || single.Score != plain.Score {
		t.Errorf("plain %.3f, !! %.3f, ?! %.3f, ! %.3f", plain.Score, loud.Score, mixed.Score, single.Score)
	}
	if !slices.Contains(loud.Signals, "exclaim") || !slices.Contains(mixed.Signals, "exclaim") {
		t.Errorf("%v %v", loud.Signals, mixed.Signals)
	}
	// Praise with "!!!" stays calm.
	if r := Score("Thank you so much, I love it!!!", "en"); r.Angry {
		t.Errorf("%+v", r)
	}
}

func TestThreatsInsultsDelays(t *testing.T) {
	for _, c := range []struct{ lang, text, signal string }{
		{"en", "Refund me or I will file a chargeback.", "threat:chargeback"},
		{"en", "I'm going to leave a bad review.", "threat:bad review"},
		{"en", "You are all idiots.", "insult:idiots"},
		{"en", "I have been waiting for three weeks.", "delay:three weeks"},
		{"en", "I have written four times about this.", "repeat:four times"},
		{"de", "Ich warte seit drei Wochen auf mein Paket.", "delay:drei wochen"},
		{"de", "Mein Anwalt meldet sich.", "threat:anwalt"},
		{"de", "Was für eine Unverschämtheit.", "word:unverschämtheit"},
		{"de", "Was für eine Riesenfrechheit.", "word:riesenfrechheit"},
		{"de", "Das ist UNVERSCHAEMT.", "word:unverschaemt"},
		{"de", "Nie wieder bestelle ich hier.", "threat:nie wieder"},
		{"fr", "J'attends depuis trois semaines.", "delay:trois semaines"},
		{"fr", "Plus jamais chez vous.", "threat:plus jamais"},
		{"fr", "Bande de voleurs.", "insult:bande de"},
		{"es", "Llevo tres semanas esperando.", "delay:tres semanas"},
		{"es", "Nunca más compro aquí.", "threat:nunca más"},
		{"es", "Nunca mas compro aqui.", "threat:nunca mas"},
		{"es", "Sois unos ladrones.", "insult:ladrones"},
	} {
		r := Score(c.text, c.lang)
		if !slices.Contains(r.Signals, c.signal) || r.Score == 0 {
			t.Errorf("%s %q: %+v, want signal %q", c.lang, c.text, r, c.signal)
		}
	}
	// Time spans without a word of waiting are not delays.
	for _, s := range []string{"Delivery takes 3-5 days, right?", "Does the warranty last two months?"} {
		if r := Score(s, "en"); r.Score != 0 {
			t.Errorf("%q: %+v", s, r)
		}
	}
}

func TestTokenize(t *testing.T) {
	var keys []string
	for _, tok := range tokenize("Don’t! L'article est ARRIVÉ, Straße & naïve 👍🏽❤️ rip-off").tokens {
		keys = append(keys, tok.key)
	}
	want := []string{"don't", "l'article", "est", "arrive", "strasse", "naive", "👍", "❤", "rip", "off"}
	if !reflect.DeepEqual(keys, want) {
		t.Errorf("keys %q, want %q", keys, want)
	}
	fr := lexicons["fr"].prepare(tokenize("n'est qu'il l'attente aujourd'hui").tokens)
	keys = keys[:0]
	for _, tok := range fr {
		keys = append(keys, tok.key)
	}
	want = []string{"n'", "est", "qu'", "il", "l'", "attente", "aujourd'hui"}
	if !reflect.DeepEqual(keys, want) {
		t.Errorf("fr keys %q, want %q", keys, want)
	}
}

func TestDetect(t *testing.T) {
	for _, c := range []struct{ text, hint, want string }{
		{"Where is my order? I have been waiting for a week.", "", "en"},
		{"Wo ist meine Bestellung? Ich warte seit einer Woche.", "", "de"},
		{"Où est ma commande ? J'attends depuis une semaine.", "", "fr"},
		{"¿Dónde está mi pedido? Llevo una semana esperando.", "", "es"},
		// A German complaint on an English site is scored in German ...
		{"Das ist eine Frechheit, ich warte seit drei Wochen auf die Lieferung und niemand antwortet mir.", "en", "de"},
		// ... but a short or mixed text keeps the site's language.
		{"ok", "de", "de"},
		{"Merci!", "en", "en"},
		{"", "", "en"},
		{"12345", "fr", "fr"},
		{"Das ist nicht gut", "de-AT", "de"},
		{"Das ist nicht gut", "it", "de"},
	} {
		if got := Score(c.text, c.hint).Lang; got != c.want {
			t.Errorf("Score(%q, %q).Lang = %q, want %q", c.text, c.hint, got, c.want)
		}
	}
}

// The story: an angry German complaint about a late delivery,
// written on a site whose hint is English.
func TestAngryGermanLateDelivery(t *testing.T) {
	r := Score("Seit ZWEI WOCHEN warte ich auf meine Bestellung!!! Das ist eine absolute Frechheit, ich will mein Geld zurück.", "en")
	if !r.Angry || r.Lang != "de" || r.Score < 0.7 {
		t.Fatalf("%+v", r)
	}
	for _, s := range []string{"delay:zwei wochen", "word:frechheit", "caps", "exclaim"} {
		if !slices.Contains(r.Signals, s) {
			t.Errorf("signals %v lack %q", r.Signals, s)
		}
	}
}

func TestCalmMessages(t *testing.T) {
	for _, c := range [][2]string{
		{"en", "Hi, do you ship to Canada? Thanks!"},
		{"en", "The mug arrived cracked, could you send a new one please?"},
		{"de", "Hallo, kann ich die Rechnung als PDF bekommen? Danke!"},
		{"fr", "Bonjour, le colis est arrivé abîmé, pouvez-vous m'en renvoyer un ?"},
		{"es", "Hola, ¿me pueden cambiar la talla? Muchas gracias."},
	} {
		if r := Score(c[1], c[0]); r.Angry || r.Score >= 0.3 {
			t.Errorf("%s %q: %+v", c[0], c[1], r)
		}
	}
}

func TestResultShape(t *testing.T) {
	r := Score("", "")
	if r.Score != 0 || r.Angry || r.Lang != "en" || r.Signals == nil || len(r.Signals) != 0 {
		t.Errorf("%+v", r)
	}
	long := strings.Repeat("This is UNACCEPTABLE, ridiculous and a scam!!! I will sue. ", 200)
	r = Score(long, "en")
	if r.Score <= Threshold || r.Score > 1 || len(r.Signals) > maxSignals {
		t.Errorf("%+v", r)
	}
	if r.Angry != (r.Score >= Threshold) {
		t.Errorf("Angry %v but Score %.3f", r.Angry, r.Score)
	}
}

func TestOpeners(t *testing.T) {
	for _, lang := range append(Languages(), "", "it", "DE-ch") {
		o := Openers(lang)
		if len(o) < 3 || len(o) > 5 {
			t.Errorf("%q: %d openers", lang, len(o))
		}
		for _, s := range o {
			if len(s) > 120 || strings.TrimSpace(s) != s || s == "" {
				t.Errorf("%q: opener %q", lang, s)
			}
		}
	}
	if Openers("de")[0] == Openers("en")[0] || Openers("it")[0] != Openers("en")[0] || Openers("DE-ch")[0] != Openers("de")[0] {
		t.Error("openers are not per language with English as the fallback")
	}
	o := Openers("fr")
	o[0] = "changed"
	if Openers("fr")[0] == "changed" {
		t.Error("Openers hands out the lexicon's own slice")
	}
}

func TestParseLexiconErrors(t *testing.T) {
	for _, src := range []string{
		"word 1",                          // before any section
		"[nope]\nword 1",                  // unknown section
		"[terms]\nword",                   // no weight
		"[terms]\nword heavy",             // weight not a number
		"[terms]\nword 99",                // weight out of range
		"[terms]\nword 1\nWORD 2",         // the same word twice
		"[terms]\nnaïve 1\nnaive 2",       // the same once folded
		"[terms]\n* 1",                    // an empty pattern
		"[terms]\n*ab 1",                  // a suffix too short
		"[terms]\na* 1",                   // a prefix too short
		"[intensifiers]\nvery 0",          // a factor that erases
		"[numbers]\nthree three",          // not a number
		"[units]\nweek* 1",                // no minimum
		"[options]\nbogus",                // unknown option
		"[terms]\nbad\xff 1",              // not UTF-8
		"[negators]\nnot\n[terms]\nnot 1", // a negator that is also a term
	} {
		if _, err := parseLexicon("xx", src); err == nil {
			t.Errorf("parseLexicon(%q) accepted it", src)
		}
	}
	lx, err := parseLexicon("xx", "# comment\n[terms]\nfoo bar* 2 threat\n\n[negators]\nnicht\n")
	if err != nil {
		t.Fatal(err)
	}
	if es := lx.exact["foo"]; len(es) != 1 || es[0].tag != "threat" || es[0].weight != 2 || len(es[0].pats) != 2 || es[0].pats[1].kind != prefixPat {
		t.Errorf("%+v", lx.exact["foo"])
	}
}

func TestScoreIsDeterministic(t *testing.T) {
	for _, lang := range languages {
		for _, m := range loadLabelled(t, lang, "dev") {
			a, b := Score(m.text, lang), Score(m.text, lang)
			if !reflect.DeepEqual(a, b) {
				t.Fatalf("%q: %+v then %+v", m.text, a, b)
			}
		}
	}
}

func FuzzScore(f *testing.F) {
	for _, s := range []string{
		"", "!!!", "?!?!", "NOT OK", "n'est pas", "don't", "'", "l'", "Straße", "😡🤬👍🏽❤️",
		"three weeks ago", "seit drei Wochen", "depuis trois semaines", "hace tres semanas",
		"123456789012345 days ago", "\xff\xfe", "a\u0301\u0301\u0301", "¿¡", "ÆŒß", "\u200d\ufe0f",
	} {
		f.Add(s, "")
		f.Add(s, "de")
	}
	f.Fuzz(func(t *testing.T, text, lang string) {
		a := Score(text, lang)
		if a.Score < 0 || a.Score > 1 || a.Angry != (a.Score >= Threshold) || len(a.Signals) > maxSignals {
			t.Fatalf("%q %q: %+v", text, lang, a)
		}
		if !slices.Contains(languages, a.Lang) {
			t.Fatalf("lang %q", a.Lang)
		}
		if b := Score(text, lang); !reflect.DeepEqual(a, b) {
			t.Fatalf("%q: %+v then %+v", text, a, b)
		}
	})
}

func FuzzParseLexicon(f *testing.F) {
	for _, lang := range languages {
		src, err := lexiconFiles.ReadFile("lexicon/" + lang + ".txt")
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(src[:min(len(src), 600)]))
	}
	f.Add("[options]\nelision l n\n[terms]\nn'est pas 1\n*abc* 1 insult\n")
	f.Add("[units]\nday* 1 5\n[repeats]\ntime* 1 3\n[numbers]\ntwo 2\n")
	f.Fuzz(func(t *testing.T, src string) {
		lx, err := parseLexicon("xx", src)
		if err != nil {
			return
		}
		// Whatever parses must match without trouble.
		toks := lx.prepare(tokenize(src).tokens)
		for i := range toks {
			if e, n := lx.match(toks, i); e != nil && (n < 1 || i+n > len(toks)) {
				t.Fatalf("match at %d covers %d of %d tokens", i, n, len(toks))
			}
			lx.countAt(lx.units, toks, i)
		}
	})
}

func BenchmarkScore500(b *testing.B) {
	msg := "Hello, I ordered a jacket three weeks ago and it still hasn't arrived. I have written to you FOUR times " +
		"and nobody answers!! This is absolutely unacceptable. The tracking page says 'in transit' since the 3rd " +
		"and your courier doesn't know anything either. I want a refund now or I will file a chargeback with my " +
		"bank and leave a bad review. Honestly I am not happy at all with how this has been handled, very poor. " +
		"Please call me back today, my number is on the order, and tell me what you are going to do about it."
	if n := len([]rune(msg)); n < 480 || n > 520 {
		b.Fatalf("message is %d characters, want about 500", n)
	}
	b.ReportAllocs()
	for b.Loop() {
		Score(msg, "en")
	}
}
