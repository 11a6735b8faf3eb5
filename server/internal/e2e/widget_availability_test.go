package e2e_test

// Browser tests of the widget's availability line (issue 11): it tells the
// truth about who is there, when they are back, and what happens to a
// message left meanwhile; it never promises an email Holler cannot send.

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"holler/server/internal/browsertest"
	"holler/server/internal/config"
	"holler/server/internal/storetest"
	"holler/server/internal/testserver"
)

// wSiteZone is the Demo site's zone in these tests, and the visitor's: the
// widget shows the opening in the visitor's own zone, so "09:00" reads 9:00.
const wSiteZone = "America/New_York"

// wAvailStart starts a server (mail configured or not) and a tab whose
// clock runs in wSiteZone; the Demo site speaks English and opens only on
// Tuesdays 09:00-10:00, with today a holiday, so it is closed now.
func wAvailStart(t *testing.T, dialect string, mail bool) *wEnv {
	e := wStartWith(t, testserver.Options{Dialect: dialect, Configure: func(c *config.Config) {
		c.RateLimit = false
		if mail {
			// Nothing listens there: sending is not what is tested, only
			// that the widget knows mail is configured.
			c.SMTPURL = "smtp://127.0.0.1:1?tls=none"
		}
	}}, 90*time.Second)
	if _, err := chromedp.Call(e.ctx, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: wSiteZone}); err != nil {
		t.Fatalf("visitor time zone: %v", err)
	}
	loc, err := time.LoadLocation(wSiteZone)
	if err != nil {
		t.Fatal(err)
	}
	r := e.s.Do(t, "PATCH", "/api/v1/sites/"+e.s.DemoSite, e.admin, map[string]any{"locale": "en", "time_zone": wSiteZone,
		"hours":    []map[string]string{{"day": "tue", "open": "09:00", "close": "10:00"}},
		"holidays": []string{time.Now().In(loc).Format(time.DateOnly)}})
	if r.Status != http.StatusOK {
		t.Fatalf("site hours: %d %s", r.Status, r.Body)
	}
	return e
}

// wAvail is what the panel says about availability.
type wAvail struct {
	Online     string `json:"online"`
	Line       string `json:"line"`
	EmailLabel string `json:"emailLabel"`
	Hint       string `json:"hint"`
	Panel      string `json:"panel"`
}

func (e *wEnv) wAvailability() wAvail {
	e.t.Helper()
	return wEval[wAvail](e, `({online: __w.q('.avail').dataset.online, line: __w.q('.avail').textContent,
		emailLabel: __w.q('label[for=holler-email]').textContent, hint: __w.q('.hint')?.textContent || '',
		panel: __w.q('#holler-panel').innerText})`)
}

// TestWidgetAvailabilityLines: with staff online the header says so and
// gives the site's typical reply time; when they leave and the site is
// closed it says when they are back (in the visitor's zone) and, since mail
// is configured, that the answer comes by email, and asks for the email
// address, still optional. Both stores.
func TestWidgetAvailabilityLines(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		e := wAvailStart(t, dialect, true)
		e.wDo("desktop viewport", chromedp.EmulateViewport(1280, 900))

		// History: five conversations answered within seconds.
		for i := 0; i < 5; i++ {
			var c struct {
				Conversation struct{ ID string } `json:"conversation"`
			}
			r := e.s.Do(t, "POST", "/api/v1/widget/"+e.s.DemoKey+"/conversations", "", map[string]string{"kind": "question", "message": "Is this in stock?"})
			if r.Status != http.StatusCreated {
				t.Fatalf("create: %d %s", r.Status, r.Body)
			}
			r.JSON(t, &c)
			e.wStaffReply(c.Conversation.ID, "Yes, it is.")
		}
		ws, resp, err := e.s.DialSocket("/api/v1/ws", e.admin, "", http.Header{"Origin": {e.s.Config.PublicURL}})
		if err != nil {
			t.Fatalf("staff socket: %v %v", err, resp)
		}
		go func() {
			for {
				if _, _, err := ws.ReadMessage(); err != nil {
					return
				}
			}
		}()
		e.wEventually("staff show as online", wWaitBound, func() (bool, string) {
			r := e.s.Do(t, "GET", "/api/v1/widget/"+e.s.DemoKey+"/config", "", nil)
			return strings.Contains(string(r.Body), `"online":true`), string(r.Body)
		})

		e.wLoad()
		e.wOpenPanel()
		a := e.wAvailability()
		if a.Online != "true" || a.Line != "Online now · we usually reply in 1 min" {
			t.Fatalf("online: %+v", a)
		}
		if a.EmailLabel != "Email (optional)" || a.Hint != "" {
			t.Fatalf("online, the form asks as usual: %+v", a)
		}

		// Staff leave; the site is closed: back on Tuesday, by email.
		ws.Close()
		e.wEventually("staff show as offline", wWaitBound, func() (bool, string) {
			r := e.s.Do(t, "GET", "/api/v1/widget/"+e.s.DemoKey+"/config", "", nil)
			return strings.Contains(string(r.Body), `"online":false`), string(r.Body)
		})
		e.wLoad()
		e.wOpenPanel()
		a = e.wAvailability()
		if a.Online != "false" || !strings.HasPrefix(a.Line, "We’re back Tue") || !strings.Contains(a.Line, "9:00") ||
			!strings.HasSuffix(a.Line, " · we’ll email you") {
			t.Fatalf("offline with mail: %+v, want \"We’re back Tue … 9:00 … · we’ll email you\"", a)
		}
		if a.EmailLabel != "Your email, so we can reply (optional)" || !wEval[bool](e, `!__w.q('#holler-email').required`) {
			t.Fatalf("offline with mail, the email field is asked for and optional: %+v", a)
		}
		if dialect == storetest.Dialects[0] {
			browsertest.Screenshot(t, e.ctx, "widget-offline-email")
		}
		e.wClean()
	})
}

// TestWidgetOfflineWithoutEmail: mail is not configured, nobody is online,
// the site is closed: the widget says when staff are back and that the
// answer will be here, and never promises an email.
func TestWidgetOfflineWithoutEmail(t *testing.T) {
	e := wAvailStart(t, "sqlite", false)
	e.wLoad()
	e.wOpenPanel()
	a := e.wAvailability()
	if a.Online != "false" || !strings.HasPrefix(a.Line, "We’re back Tue") || !strings.Contains(a.Line, "9:00") {
		t.Fatalf("offline: %+v", a)
	}
	if a.Hint != "Leave a message; we’ll answer here when we’re back." || a.EmailLabel != "Email (optional)" {
		t.Fatalf("offline without mail: %+v", a)
	}
	if p := strings.ToLower(a.Panel); strings.Contains(p, "email you") || strings.Contains(p, "by email") || strings.Contains(p, "so we can reply") {
		t.Fatalf("the panel promises email although none is configured: %q", a.Panel)
	}
	e.wClean()
}
