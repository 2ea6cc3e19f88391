package main

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// The phases of an on-sale. The latency and code tables file a call under the phase it started in. The rates are
// throughput: answers received while a phase was current, divided by its length, so calls still in flight when
// it ends (up to one deadline later) count in the tables but not in the per-second figures, and calls begun
// before a switch but answered after it count for the phase that answered them.
const (
	phaseOnsale int32 = iota
	phaseSoldOut
	phaseStopping
)

const (
	rpcAdd = iota
	rpcPlace
	rpcUpdate
	rpcCount
)

var rpcNames = [rpcCount]string{"AddToCart", "PlaceOrder", "UpdateCart"}

type buyerStats struct {
	rpcs [2][rpcCount]rpcStats // by phase (on-sale, sold-out), by RPC

	orders, tickets             int64 // every successful PlaceOrder
	windowOrders, windowTickets int64 // those answered during the on-sale phase
	soldOutRequests             int64 // AddToCart and PlaceOrder calls answered during the sold-out phase
	soldOutRejections           int64 // of which RESOURCE_EXHAUSTED
}

type onsale struct {
	cfg     config
	start   time.Time
	phase   atomic.Int32
	placed  atomic.Int64 // tickets in successful PlaceOrders, to notice capacity reached
	calls   atomic.Int64 // for progress only
	flying  atomic.Int64 // calls in flight, reported at the phase switch
	switchT atomic.Int64 // ns since start when the on-sale phase ended
	endT    atomic.Int64 // ns since start when the sold-out phase ended
	reason  atomic.Value
	stopped chan struct{}
}

func runOnsale(cfg config) error {
	if len(cfg.Tokens) == 0 || cfg.TicketID == "" || cfg.Capacity <= 0 || cfg.DurationSeconds <= 0 {
		return fmt.Errorf("onsale needs tokens, ticketId, capacity and durationSeconds")
	}
	conns, err := dial(cfg.Target, cfg.Conns)
	if err != nil {
		return err
	}
	r := &onsale{cfg: cfg, stopped: make(chan struct{})}
	stats := make([]buyerStats, len(cfg.Tokens))
	deadline := time.Duration(cfg.DeadlineMs) * time.Millisecond
	// A run-unique prefix keeps idempotency keys apart from an earlier run's against the same database.
	run := fmt.Sprintf("%x", rand.Uint64())

	r.start = time.Now()
	emit(map[string]any{"event": "start", "tMs": 0, "buyers": len(cfg.Tokens), "conns": len(conns)})
	capTimer := time.AfterFunc(seconds(cfg.DurationSeconds), func() {
		if r.phase.CompareAndSwap(phaseOnsale, phaseStopping) {
			r.switchT.Store(int64(time.Since(r.start)))
			r.endT.Store(int64(time.Since(r.start)))
			emit(map[string]any{"event": "cap", "tMs": msSince(r.start), "inFlight": r.flying.Load()})
			close(r.stopped)
		}
	})
	defer capTimer.Stop()
	go r.progress()

	var wg sync.WaitGroup
	for i, token := range cfg.Tokens {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.buyer(newCaller(conns[i%len(conns)], token, deadline), &stats[i], fmt.Sprintf("%s-%d-", run, i))
		}()
	}
	wg.Wait()
	drainedMs := msSince(r.start)
	for _, c := range conns {
		c.Close()
	}
	emit(r.result(stats, drainedMs))
	return nil
}

func (r *onsale) buyer(c caller, s *buyerStats, keyPrefix string) {
	rng := rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	ticket := r.cfg.TicketID
	n := int64(0)
	key := func() string {
		n++
		return keyPrefix + strconv.FormatInt(n, 10)
	}
	for {
		q := 1 + rng.IntN(4)
		st, phase := r.call(c, s, rpcAdd, addToCartPath, cartChange(key(), ticket, q))
		if phase == phaseStopping {
			return
		}
		switch codeOf(st) {
		case codes.OK:
		case codes.ResourceExhausted:
			// Refused before anything was added, so the cart is as it was: empty. A refusal that names how many
			// are left is believed; one without that detail can only mean sold out. Once sold out, the detail is
			// not read at all: that phase is about how fast refusals come, and the driver must keep up.
			if r.phase.Load() == phaseOnsale {
				if available, ok := shortage(st, ticket); !ok || available <= 0 {
					r.soldOut("AddToCart refused RESOURCE_EXHAUSTED")
				}
			}
			continue
		default:
			r.call(c, s, rpcUpdate, updateCartPath, cartChange(key(), ticket, 0))
			continue
		}

		st, phase = r.call(c, s, rpcPlace, placeOrderPath, placeOrder(key()))
		if phase == phaseStopping {
			return
		}
		switch codeOf(st) {
		case codes.OK:
			s.orders++
			s.tickets += int64(q)
			if r.phase.Load() == phaseOnsale {
				s.windowOrders++
				s.windowTickets += int64(q)
			}
			if r.placed.Add(int64(q)) >= r.cfg.Capacity {
				r.soldOut("placed tickets reached capacity")
			}
			continue // a placed order took the cart with it
		case codes.ResourceExhausted:
			if r.phase.Load() == phaseOnsale {
				if available, ok := shortage(st, ticket); ok && available <= 0 {
					r.soldOut("PlaceOrder refused with available 0")
				}
			}
		}
		// A refused or failed placement keeps the cart; empty it so the next AddToCart starts afresh.
		r.call(c, s, rpcUpdate, updateCartPath, cartChange(key(), ticket, 0))
	}
}

// call makes one call unless the run is stopping, and files it under the phase it started in. It returns that
// phase (phaseStopping: no call was made).
func (r *onsale) call(c caller, s *buyerStats, rpc int, method string, req []byte) (*status.Status, int32) {
	phase := r.phase.Load()
	if phase == phaseStopping {
		return nil, phase
	}
	r.flying.Add(1)
	st, took := c.call(method, req)
	r.flying.Add(-1)
	r.calls.Add(1)
	code := codeOf(st)
	s.rpcs[phase][rpc].add(code, took)
	if rpc != rpcUpdate && r.phase.Load() == phaseSoldOut {
		s.soldOutRequests++
		if code == codes.ResourceExhausted {
			s.soldOutRejections++
		}
	}
	return st, phase
}

// soldOut ends the on-sale phase once, and ends the sold-out phase soldOutSeconds later.
func (r *onsale) soldOut(reason string) {
	if !r.phase.CompareAndSwap(phaseOnsale, phaseSoldOut) {
		return
	}
	r.switchT.Store(int64(time.Since(r.start)))
	r.reason.Store(reason)
	emit(map[string]any{"event": "soldout", "tMs": msSince(r.start), "reason": reason, "inFlight": r.flying.Load()})
	time.AfterFunc(seconds(r.cfg.SoldOutSeconds), func() {
		r.phase.Store(phaseStopping)
		r.endT.Store(int64(time.Since(r.start)))
		emit(map[string]any{"event": "end", "tMs": msSince(r.start), "inFlight": r.flying.Load()})
		close(r.stopped)
	})
}

func (r *onsale) progress() {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	var last int64
	for {
		select {
		case <-r.stopped:
			progress("%.0f s: stopping, %d calls in flight", time.Since(r.start).Seconds(), r.flying.Load())
			return
		case <-tick.C:
			calls := r.calls.Load()
			phase := []string{"on-sale", "sold out", "stopping"}[r.phase.Load()]
			progress("%.0f s: %s, %d/%d tickets placed, %d calls/s", time.Since(r.start).Seconds(), phase,
				r.placed.Load(), r.cfg.Capacity, calls-last)
			last = calls
		}
	}
}

type phaseReport struct {
	WallMs int64                `json:"wallMs"`
	RPCs   map[string]rpcReport `json:"rpcs"`
}

type soldOutReport struct {
	phaseReport
	Requests       int64   `json:"requests"`
	Rejections     int64   `json:"rejections"`
	RequestsPerS   float64 `json:"requestsPerSec"`
	RejectionsPerS float64 `json:"rejectionsPerSec"`
}

type onsaleResult struct {
	Event     string `json:"event"`
	Mode      string `json:"mode"`
	Buyers    int    `json:"buyers"`
	Conns     int    `json:"conns"`
	Capacity  int64  `json:"capacity"`
	SoldOut   bool   `json:"soldOut"`
	CapHit    bool   `json:"capHit"`
	Reason    string `json:"reason,omitempty"`
	DrainedMs int64  `json:"drainedMs"`
	Onsale    struct {
		phaseReport
		Orders          int64   `json:"orders"`
		Tickets         int64   `json:"tickets"`
		PlaceOrdersPerS float64 `json:"placeOrdersPerSec"`
		TicketsPerS     float64 `json:"ticketsPerSec"`
	} `json:"onsale"`
	SoldOutPhase *soldOutReport `json:"soldOutPhase,omitempty"`
	TotalOrders  int64          `json:"totalOrders"`
	TotalTickets int64          `json:"totalTickets"`
	// The driver's CPU per call over the whole run.
	DriverCPUUsPerCall float64 `json:"driverCpuUsPerCall"`
}

func (r *onsale) result(stats []buyerStats, drainedMs int64) onsaleResult {
	var merged [2][rpcCount]rpcStats
	res := onsaleResult{Event: "result", Mode: "onsale", Buyers: len(stats), Conns: r.cfg.Conns, Capacity: r.cfg.Capacity, DrainedMs: drainedMs,
		DriverCPUUsPerCall: round1(cpuSeconds() * 1e6 / float64(r.calls.Load()))}
	var windowOrders, windowTickets, soRequests, soRejections int64
	for i := range stats {
		s := &stats[i]
		for p := range merged {
			for k := range merged[p] {
				merged[p][k].merge(&s.rpcs[p][k])
			}
		}
		res.TotalOrders += s.orders
		res.TotalTickets += s.tickets
		windowOrders += s.windowOrders
		windowTickets += s.windowTickets
		soRequests += s.soldOutRequests
		soRejections += s.soldOutRejections
	}
	reports := func(p int) map[string]rpcReport {
		m := map[string]rpcReport{}
		for k, name := range rpcNames {
			m[name] = merged[p][k].report()
		}
		return m
	}
	switchT := time.Duration(r.switchT.Load())
	res.SoldOut = r.reason.Load() != nil
	res.CapHit = !res.SoldOut
	if res.SoldOut {
		res.Reason = r.reason.Load().(string)
	}
	res.Onsale.WallMs = switchT.Milliseconds()
	res.Onsale.RPCs = reports(0)
	res.Onsale.Orders = windowOrders
	res.Onsale.Tickets = windowTickets
	res.Onsale.PlaceOrdersPerS = round1(float64(windowOrders) / switchT.Seconds())
	res.Onsale.TicketsPerS = round1(float64(windowTickets) / switchT.Seconds())
	if res.SoldOut {
		wall := time.Duration(r.endT.Load()) - switchT
		res.SoldOutPhase = &soldOutReport{phaseReport{wall.Milliseconds(), reports(1)}, soRequests, soRejections,
			round1(float64(soRequests) / wall.Seconds()), round1(float64(soRejections) / wall.Seconds())}
	}
	return res
}

func round1(f float64) float64 {
	if f != f { // NaN: nothing measured
		return 0
	}
	return float64(int64(f*10+0.5)) / 10
}
