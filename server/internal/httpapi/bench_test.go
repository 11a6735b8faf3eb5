package httpapi_test

import (
	"bytes"
	"io"
	"net/http"
	"testing"
	"time"

	"holler/server/internal/storetest"
	"holler/server/internal/testserver"
)

// BenchmarkEndpoints measures the hot routes of a real server over real
// HTTP on each store. Each iteration also times GET /healthz on the same
// server and connection pool, and reports the route's cost as a multiple of
// it ("x_healthz"), so figures compare across machines and runs:
//
//	go test -run '^$' -bench Endpoints -benchtime 2s ./server/internal/httpapi/
func BenchmarkEndpoints(b *testing.B) {
	for _, d := range storetest.Dialects {
		b.Run(d, func(b *testing.B) {
			s := testserver.Start(b, testserver.Options{Dialect: d, Configure: noRateLimit})
			admin := s.AdminToken(b)
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
			var conv created
			s.Do(b, "POST", "/api/v1/widget/"+s.DemoKey+"/conversations", "", map[string]string{"kind": "question", "message": "seed"}).JSON(b, &conv)

			routes := []struct {
				name, method, path, token, body string
				want                            int
			}{
				{"widget_config", "GET", "/api/v1/widget/" + s.DemoKey + "/config", "", "", 200},
				{"widget_create", "POST", "/api/v1/widget/" + s.DemoKey + "/conversations", "", `{"kind":"complaint","message":"The parcel never arrived and nobody answers the phone."}`, 201},
				{"visitor_reply", "POST", "/api/v1/widget/" + s.DemoKey + "/conversations/" + conv.Conversation.ID + "/messages", conv.VisitorToken, `{"body":"Any news?"}`, 201},
				{"staff_inbox", "GET", "/api/v1/conversations?limit=50", admin, "", 200},
				{"staff_reply", "POST", "/api/v1/conversations/" + conv.Conversation.ID + "/messages", admin, `{"body":"Looking into it now."}`, 201},
			}
			for _, rt := range routes {
				b.Run(rt.name, func(b *testing.B) {
					var base, cost time.Duration
					for i := 0; i < b.N; i++ {
						t0 := time.Now()
						do(b, client, "GET", s.URL+"/healthz", "", "", 200)
						t1 := time.Now()
						do(b, client, rt.method, s.URL+rt.path, rt.token, rt.body, rt.want)
						base += t1.Sub(t0)
						cost += time.Since(t1)
					}
					b.ReportMetric(float64(cost.Nanoseconds())/float64(b.N), "route_ns/op")
					b.ReportMetric(float64(cost)/float64(base), "x_healthz")
				})
			}
		})
	}
}

func do(b *testing.B, c *http.Client, method, url, token, body string, want int) {
	var rd io.Reader
	if body != "" {
		rd = bytes.NewBufferString(body)
	}
	req, _ := http.NewRequest(method, url, rd)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != want {
		b.Fatalf("%s %s: %d", method, url, resp.StatusCode)
	}
}
