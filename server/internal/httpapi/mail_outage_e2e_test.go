package httpapi_test

import (
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"holler/server/internal/mailtest"
	"holler/server/internal/storetest"
	"holler/server/internal/testserver"
)

// TestMailOutage: while the mail server refuses connections, and then while
// it accepts them but never answers, staff replies still answer 201 and
// their mails wait; once it is back on the same port every mail arrives,
// and each exactly once (counted by Message-ID). Both stores.
func TestMailOutage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		smtp := mailtest.Start(t)
		s := testserver.Start(t, testserver.Options{Dialect: dialect, Configure: withMail(smtp)})
		admin := s.AdminToken(t)
		quietAdmin(t, s, admin)
		setReplyDelay(t, s, admin, 0)

		// Up: the first mail goes through, so the worker is past its start.
		first := customerComplaint(t, s, "first@customer.example", "hello")
		staffSays(t, s, admin, first.ID, "hi", false)
		smtp.WaitTo(t, "first@customer.example", 1)

		want := []string{"first@customer.example"}
		work := func(phase string, n int) {
			for i := range n {
				addr := fmt.Sprintf("%s-%d@customer.example", phase, i)
				c := customerComplaint(t, s, addr, "help "+phase) // 201 checked inside
				staffSays(t, s, admin, c.ID, "answer "+phase, false)
				want = append(want, addr)
			}
		}
		smtp.Stop() // connection refused
		work("down", 3)
		// The worker must really meet each kind of outage, not slip past it.
		waitRetries(t, s, 1)
		smtp.Stall(t) // accepts TCP, never greets
		work("stalled", 3)
		waitRetries(t, s, retries(t, s)+1)
		if q := mailStatus(t, s, admin).Queued; q < 6 {
			t.Errorf("mail status lists %d queued during the outage, want at least 6", q)
		}
		smtp.Restart(t)
		work("back", 2)

		for _, addr := range want {
			smtp.WaitTo(t, addr, 1)
		}
		// A witness queued last: once it is here, any duplicate of the mails
		// above would have been sent before it.
		w := customerComplaint(t, s, "witness@customer.example", "last")
		staffSays(t, s, admin, w.ID, "last answer", false)
		smtp.WaitTo(t, "witness@customer.example", 1)

		all := smtp.Messages()
		for id, n := range smtp.CountByMessageID() {
			if n != 1 {
				t.Errorf("Message-ID %s arrived %d times", id, n)
			}
		}
		for _, addr := range append(want, "witness@customer.example") {
			if n := len(smtp.To(addr)); n != 1 {
				t.Errorf("%s got %d mails, want 1", addr, n)
			}
		}
		if len(all) != len(want)+1 {
			t.Errorf("%d mails in all, want %d", len(all), len(want)+1)
		}
	})
}

// retries reads holler_mail_retries_total: failed sends that will be retried.
func retries(t *testing.T, s *testserver.Server) int {
	t.Helper()
	n, _ := strconv.Atoi(metricValue(metricsText(t, s), "holler_mail_retries_total"))
	return n
}

// waitRetries waits until the worker has failed at least n sends.
func waitRetries(t *testing.T, s *testserver.Server, n int) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for retries(t, s) < n {
		if time.Now().After(deadline) {
			t.Fatalf("the worker never failed %d sends", n)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

type mailStatusBody struct {
	Configured bool  `json:"configured"`
	Queued     int64 `json:"queued"`
	Failed     int64 `json:"failed"`
	Recent     []struct {
		Recipient string `json:"recipient"`
		LastError string `json:"last_error"`
		Status    string `json:"status"`
	} `json:"recent_failures"`
}

func mailStatus(t *testing.T, s *testserver.Server, token string) mailStatusBody {
	t.Helper()
	r := s.Do(t, "GET", "/api/v1/mail/status", token, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("mail status: %d %s", r.Status, r.Body)
	}
	var out struct {
		Mail mailStatusBody `json:"mail"`
	}
	r.JSON(t, &out)
	return out.Mail
}
