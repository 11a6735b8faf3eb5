package widget

import (
	"io/fs"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestRatingStarContrast: the rating stars, lit and unlit, reach 3:1 against
// the panel they sit on, in the light and the dark colour scheme (WCAG 2.2
// 1.4.11 non-text contrast). The colours are read from widget.css itself, so
// the test follows any change to them. Today an unlit star is an outline in
// --mut, 6.23:1 on the light panel (#5a616e on #fff) and 7.63:1 on the dark
// one (#a5abb7 on #17191e); a lit star is filled with --warn, 5.02:1 and
// 10.53:1, so filled or hollow also tells the state without colour. Before,
// an unlit star was --line, 1.30:1 (#dfe2e8 on #fff) and 1.54:1 dark, and a
// lit one #f59e0b, 2.15:1 on white. (The figures live here, not in the CSS:
// every byte of widget.css is downloaded by every visitor.)
func TestRatingStarContrast(t *testing.T) {
	raw, err := fs.ReadFile(FS, "widget.css")
	if err != nil {
		t.Fatal(err)
	}
	css := string(raw)
	light := cssVars(t, ruleBody(t, css, ".panel{"))
	dark := map[string]string{}
	for k, v := range light {
		dark[k] = v
	}
	const darkScheme = "@media (prefers-color-scheme:dark){"
	darkAt := strings.Index(css, darkScheme)
	if darkAt < 0 {
		t.Fatal("widget.css has no dark colour scheme")
	}
	for k, v := range cssVars(t, ruleBody(t, "\n"+css[darkAt+len(darkScheme):], ".panel{")) {
		dark[k] = v
	}
	if strings.Contains(ruleBody(t, css, ".rate{"), "background") {
		t.Fatal(".rate has its own background: measure the stars against it")
	}
	star, on := declarations(ruleBody(t, css, ".star{")), declarations(ruleBody(t, css, ".on{"))
	unlit := star["color"]
	if unlit == "transparent" { // an outline: the stroke is what shows
		f := strings.Fields(star["-webkit-text-stroke"])
		if len(f) != 2 {
			t.Fatalf(".star is transparent without a -webkit-text-stroke width and colour: %q", star["-webkit-text-stroke"])
		}
		unlit = f[1]
	}
	lit := on["color"]
	for _, scheme := range []struct {
		name string
		vars map[string]string
	}{{"light", light}, {"dark", dark}} {
		bg := resolve(t, scheme.vars, "var(--bg)")
		for _, star := range []struct{ state, colour string }{{"unlit", unlit}, {"lit", lit}} {
			fg := resolve(t, scheme.vars, star.colour)
			r := contrast(t, fg, bg)
			t.Logf("%s scheme, %s star %s on %s: %.2f:1", scheme.name, star.state, fg, bg, r)
			if r < 3 {
				t.Errorf("%s scheme: %s star %s on %s is %.2f:1, want at least 3:1", scheme.name, star.state, fg, bg, r)
			}
		}
	}
}

// ruleBody returns what is between the braces of the first rule that starts
// with head (a selector followed by "{").
func ruleBody(t *testing.T, css, head string) string {
	t.Helper()
	i := strings.Index(css, "\n"+head)
	if i < 0 {
		i = strings.Index(css, "{"+head)
	}
	if i < 0 {
		t.Fatalf("widget.css has no rule %q", head)
	}
	body := css[i+1+len(head):]
	end := strings.IndexByte(body, '}')
	if end < 0 {
		t.Fatalf("rule %q is not closed", head)
	}
	return body[:end]
}

// declarations splits a rule body into property: value.
func declarations(body string) map[string]string {
	out := map[string]string{}
	for _, d := range strings.Split(body, ";") {
		if k, v, ok := strings.Cut(d, ":"); ok {
			out[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return out
}

func cssVars(t *testing.T, body string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for k, v := range declarations(body) {
		if strings.HasPrefix(k, "--") {
			out[k] = v
		}
	}
	return out
}

var varRe = regexp.MustCompile(`^var\((--[a-z0-9-]+)(?:,(.+))?\)$`)

// resolve follows var() references to a colour.
func resolve(t *testing.T, vars map[string]string, v string) string {
	t.Helper()
	for i := 0; i < 10; i++ {
		m := varRe.FindStringSubmatch(v)
		if m == nil {
			return v
		}
		next, ok := vars[m[1]]
		if !ok {
			next = m[2]
		}
		if next == "" {
			t.Fatalf("%s is not defined", m[1])
		}
		v = next
	}
	t.Fatalf("var() chain too deep at %q", v)
	return ""
}

// contrast is the WCAG contrast ratio of two colours.
func contrast(t *testing.T, a, b string) float64 {
	t.Helper()
	la, lb := luminance(t, a), luminance(t, b)
	return (math.Max(la, lb) + 0.05) / (math.Min(la, lb) + 0.05)
}

// luminance is WCAG's relative luminance of an sRGB #rgb or #rrggbb colour.
func luminance(t *testing.T, hex string) float64 {
	t.Helper()
	if len(hex) == 4 && hex[0] == '#' {
		hex = string([]byte{'#', hex[1], hex[1], hex[2], hex[2], hex[3], hex[3]})
	}
	if len(hex) != 7 || hex[0] != '#' {
		t.Fatalf("colour %q is not #rgb or #rrggbb", hex)
	}
	var ch [3]float64
	for i := range ch {
		n, err := strconv.ParseUint(hex[1+2*i:3+2*i], 16, 8)
		if err != nil {
			t.Fatalf("colour %q: %v", hex, err)
		}
		c := float64(n) / 255
		if c <= 0.04045 {
			ch[i] = c / 12.92
		} else {
			ch[i] = math.Pow((c+0.055)/1.055, 2.4)
		}
	}
	return 0.2126*ch[0] + 0.7152*ch[1] + 0.0722*ch[2]
}
