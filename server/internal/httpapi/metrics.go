package httpapi

import (
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
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
}

// NewMetrics registers Holler's collectors plus the Go and process ones.
func NewMetrics() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "holler_http_requests_total", Help: "HTTP requests by method, route and status.",
		}, []string{"method", "route", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "holler_http_request_duration_seconds", Help: "HTTP request latency by method and route.",
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
	m.Registry.MustRegister(m.requests, m.latency, m.sockets, m.delivered, m.published,
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

// Published counts one published notice.
func (m *Metrics) Published() { m.published.Inc() }

func (m *Metrics) middleware() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			err := next(c)
			route := c.Path() // the route pattern, never the raw path: bounded label values
			if route == "" {
				route = "unmatched"
			}
			status := c.Response().Status
			if err != nil {
				status, _, _ = toHTTP(err)
			}
			m.requests.WithLabelValues(c.Request().Method, route, strconv.Itoa(status)).Inc()
			m.latency.WithLabelValues(c.Request().Method, route).Observe(time.Since(start).Seconds())
			return err
		}
	}
}
