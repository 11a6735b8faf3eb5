package httpapi

import (
	"bufio"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/gorilla/websocket"
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"holler/server/internal/buildinfo"
)

// Metrics are one server's Prometheus collectors. Each server has its own
// registry so tests can run several servers in one process.
type Metrics struct {
	Registry  *prometheus.Registry
	requests  *prometheus.CounterVec
	latency   *prometheus.HistogramVec
	sockets   *prometheus.GaugeVec
	delivered prometheus.Counter
	published prometheus.Counter

	// The mail outbox (issue 11).
	mailSent    *prometheus.CounterVec
	mailFailed  *prometheus.CounterVec
	mailRetried prometheus.Counter
	mailQueued  prometheus.Gauge
}

// NewMetrics registers Holler's collectors plus the Go and process ones and
// holler_build_info.
func NewMetrics() *Metrics {
	build := buildinfo.Get()
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "holler_http_requests_total", Help: "HTTP requests by method, route and status.",
		}, []string{"method", "route", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "holler_http_request_duration_seconds", Help: "HTTP request latency by method and route (websocket sessions excluded).",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"method", "route"}),
		sockets: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "holler_websockets_open", Help: "Open websockets by kind (staff, visitor).",
		}, []string{"kind"}),
		delivered: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "holler_events_delivered_total", Help: "Events read from the log and fanned out to sockets.",
		}),
		published: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "holler_events_published_total", Help: "Notices published after commit.",
		}),
	}
	m.mailSent = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "holler_mail_sent_total", Help: "Mails the mail server accepted, by kind.",
	}, []string{"kind"})
	m.mailFailed = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "holler_mail_failed_total", Help: "Mails the mail server refused for good, by kind.",
	}, []string{"kind"})
	m.mailRetried = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "holler_mail_retries_total", Help: "Failed sends that will be tried again.",
	})
	m.mailQueued = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "holler_mail_queued", Help: "Mails waiting in the outbox (all instances).",
	})
	buildInfo := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "holler_build_info", Help: "Always 1; the labels say which build is running.",
		ConstLabels: prometheus.Labels{"version": build.Version, "revision": build.Revision, "go_version": build.GoVersion},
	})
	buildInfo.Set(1)
	m.Registry.MustRegister(m.requests, m.latency, m.sockets, m.delivered, m.published, buildInfo,
		m.mailSent, m.mailFailed, m.mailRetried, m.mailQueued,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// A vector exposes nothing until a label value is used: start both kinds
	// at 0 so "no sockets" reads as 0, not as a missing series.
	m.sockets.WithLabelValues("staff")
	m.sockets.WithLabelValues("visitor")
	return m
}

// SocketOpened implements realtime.Metrics.
func (m *Metrics) SocketOpened(kind string) { m.sockets.WithLabelValues(kind).Inc() }

// SocketClosed implements realtime.Metrics.
func (m *Metrics) SocketClosed(kind string) { m.sockets.WithLabelValues(kind).Dec() }

// EventDelivered implements realtime.Metrics.
func (m *Metrics) EventDelivered(n int) { m.delivered.Add(float64(n)) }

// MailSent implements service.MailMetrics.
func (m *Metrics) MailSent(kind string) { m.mailSent.WithLabelValues(kind).Inc() }

// MailFailed implements service.MailMetrics.
func (m *Metrics) MailFailed(kind string) { m.mailFailed.WithLabelValues(kind).Inc() }

// MailRetried implements service.MailMetrics.
func (m *Metrics) MailRetried() { m.mailRetried.Inc() }

// MailQueued implements service.MailMetrics.
func (m *Metrics) MailQueued(n int64) { m.mailQueued.Set(float64(n)) }

// Published counts one published notice.
func (m *Metrics) Published() { m.published.Inc() }

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{})
}

func (m *Metrics) middleware() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			err := next(c)
			// Every label value comes from a fixed set, so no client can
			// grow the number of series: the route pattern (never the raw
			// path), a known method name, a status code.
			route := c.Path()
			if route == "" {
				route = "unmatched"
			}
			method := methodLabel(c.Request().Method)
			m.requests.WithLabelValues(method, route, strconv.Itoa(responseStatus(c, err))).Inc()
			// A websocket's handler returns when the socket closes: its
			// "latency" is the session's lifetime, minutes or hours, which
			// would swamp the request buckets. Sessions are counted above
			// (status 101) and watched through holler_websockets_open.
			if !upgraded(c) {
				m.latency.WithLabelValues(method, route).Observe(time.Since(start).Seconds())
			}
			return err
		}
	}
}

// methodLabel keeps the method label bounded: any method outside the
// standard set (clients may send any token) is "other".
func methodLabel(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return method
	}
	return "other"
}

// responseStatus is the status a request was answered with: 101 for a
// websocket that was taken over, else what was written or what the error
// handler will write for err. The request log and the metrics share it.
func responseStatus(c echo.Context, err error) int {
	if upgraded(c) {
		return http.StatusSwitchingProtocols
	}
	if err != nil {
		status, _, _ := toHTTP(err)
		return status
	}
	return c.Response().Status
}

// watchUpgrades lets the layers above a websocket handler tell a socket
// session from an ordinary response. The upgrader writes its 101 straight
// to the hijacked connection, so Echo's response still says 200; the
// writer of an upgrade request is wrapped to note the hijack instead.
func watchUpgrades(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if websocket.IsWebSocketUpgrade(c.Request()) {
			c.Response().Writer = &hijackWatch{ResponseWriter: c.Response().Writer}
		}
		return next(c)
	}
}

// upgraded reports whether the request's connection was hijacked (the
// websocket handshake succeeded).
func upgraded(c echo.Context) bool {
	w, ok := c.Response().Writer.(*hijackWatch)
	return ok && w.hijacked
}

type hijackWatch struct {
	http.ResponseWriter
	hijacked bool
}

func (w *hijackWatch) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, rw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	w.hijacked = err == nil
	return conn, rw, err
}

// Unwrap lets http.ResponseController reach the server's writer (Flush).
func (w *hijackWatch) Unwrap() http.ResponseWriter { return w.ResponseWriter }
