package main

import (
	"crypto/rand"
	"fmt"
	mrand "math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc/codes"
)

const createBookingPath = "/ticketing.booking.v1.BookingService/CreateBooking"

type holdsResult struct {
	Event   string `json:"event"`
	Mode    string `json:"mode"`
	Callers int    `json:"callers"`
	Conns   int    `json:"conns"`
	WallMs  int64  `json:"wallMs"`
	// Holds granted (OK answers) and the tickets they took, inside the window.
	Holds       int64   `json:"holds"`
	Tickets     int64   `json:"tickets"`
	HoldsPerSec float64 `json:"holdsPerSec"`
	SoldOut     bool    `json:"soldOut"`
	// The driver's CPU per call over the whole run.
	DriverCPUUsPerCall float64 `json:"driverCpuUsPerCall"`
	rpcReport
}

// runHolds measures the hold itself: `callers` concurrent CreateBooking calls (as the checkout service makes
// them, one fresh order per call, 1–4 tickets of one type), until the stock says none are left or the time is up.
// Only booking and its database are on this path, so two hold strategies behind the same RPC compare directly.
func runHolds(cfg config) error {
	if cfg.Token == "" || cfg.TicketID == "" || cfg.Callers <= 0 || cfg.DurationSeconds <= 0 {
		return fmt.Errorf("holds needs token, ticketId, callers and durationSeconds")
	}
	conns, err := dial(cfg.Target, cfg.Conns)
	if err != nil {
		return err
	}
	deadline := time.Duration(cfg.DeadlineMs) * time.Millisecond
	var done atomic.Bool
	var soldOut atomic.Bool
	var holds, tickets, calls atomic.Int64
	stats := make([]rpcStats, cfg.Callers)
	start := time.Now()
	end := start.Add(seconds(cfg.DurationSeconds))
	emit(map[string]any{"event": "start", "tMs": 0, "callers": cfg.Callers, "conns": len(conns)})
	go func() {
		var last int64
		for !done.Load() {
			time.Sleep(time.Second)
			n := holds.Load()
			progress("%.0f s: %d holds/s, %d tickets held", time.Since(start).Seconds(), n-last, tickets.Load())
			last = n
		}
	}()

	var finished time.Time
	var once sync.Once
	stop := func() {
		once.Do(func() {
			finished = time.Now()
			done.Store(true)
		})
	}
	var wg sync.WaitGroup
	for i := range cfg.Callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := mrand.New(mrand.NewPCG(mrand.Uint64(), mrand.Uint64()))
			c := newCaller(conns[i%len(conns)], cfg.Token, deadline)
			for !done.Load() {
				if time.Now().After(end) {
					stop()
					return
				}
				q := 1 + rng.IntN(4)
				st, took := c.call(createBookingPath, createBooking(newOrderID(), cfg.TicketID, q))
				calls.Add(1)
				stats[i].add(codeOf(st), took)
				switch codeOf(st) {
				case codes.OK:
					holds.Add(1)
					tickets.Add(int64(q))
				case codes.ResourceExhausted:
					if available, ok := shortage(st, cfg.TicketID); ok && available == 0 {
						soldOut.Store(true)
						stop()
					}
				}
			}
		}()
	}
	wg.Wait()
	stop()
	for _, c := range conns {
		c.Close()
	}
	var all rpcStats
	for i := range stats {
		all.merge(&stats[i])
	}
	wall := finished.Sub(start)
	emit(holdsResult{
		Event: "result", Mode: "holds", Callers: cfg.Callers, Conns: len(conns), WallMs: wall.Milliseconds(),
		Holds: holds.Load(), Tickets: tickets.Load(), HoldsPerSec: round1(float64(holds.Load()) / wall.Seconds()),
		SoldOut: soldOut.Load(), DriverCPUUsPerCall: round1(cpuSeconds() * 1e6 / float64(calls.Load())),
		rpcReport: all.report(),
	})
	return nil
}

// newOrderID is a random (version 4) UUID: each call holds for an order of its own.
func newOrderID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = 0x40 | b[6]&0x0f
	b[8] = 0x80 | b[8]&0x3f
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
