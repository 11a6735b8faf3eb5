package mail_test

import (
	"strings"
	"testing"

	"holler/server/internal/mail"
)

// TestRenderSLAEscalation: each language words both missed targets with the
// due time and the ref, the HTML escapes the customer's words, and no
// placeholder is left.
func TestRenderSLAEscalation(t *testing.T) {
	subjects := map[string]string{
		"en": "[Shop] Overdue: Complaint K7Q-4M2", "de": "[Shop] Überfällig: Beschwerde K7Q-4M2",
		"fr": "[Shop] En retard : Réclamation K7Q-4M2", "es": "[Shop] Vencida: Queja K7Q-4M2", "xx": "[Shop] Overdue: Complaint K7Q-4M2",
	}
	for loc, subject := range subjects {
		intros := map[string]bool{}
		for _, target := range []string{"first_response", "resolution"} {
			r, err := mail.Render(mail.Content{Kind: mail.KindSLAEscalation, Locale: loc, SiteName: "Shop", Ref: "K7Q-4M2", ConvKind: "complaint",
				Link: "https://help.example/#/inbox/1", Items: []mail.Item{{Author: "Ann", Body: "<script>x</script>"}},
				SettingsLink: "https://help.example/#/team", SLATarget: target, Due: "2026-03-30 09:30 (Europe/Berlin)"})
			if err != nil {
				t.Fatalf("%s %s: %v", loc, target, err)
			}
			if r.Subject != subject {
				t.Errorf("%s: subject %q, want %q", loc, r.Subject, subject)
			}
			for _, body := range []string{r.Text, r.HTML} {
				if !strings.Contains(body, "2026-03-30 09:30 (Europe/Berlin)") || !strings.Contains(body, "K7Q-4M2") || strings.Contains(body, "{") {
					t.Errorf("%s %s: due time or ref missing, or a placeholder left:\n%s", loc, target, body)
				}
			}
			if strings.Contains(r.HTML, "<script>") || !strings.Contains(r.Text, "<script>x</script>") {
				t.Errorf("%s %s: the customer's words unescaped in HTML or lost in text", loc, target)
			}
			intros[strings.SplitN(r.Text, "\n", 2)[0]] = true
		}
		if len(intros) != 2 {
			t.Errorf("%s: the two targets read the same: %v", loc, intros)
		}
	}
}
