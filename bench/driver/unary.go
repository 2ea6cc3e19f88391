package main

import (
	"encoding/base64"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

const (
	unaryWarmup int32 = iota
	unaryMeasuring
	unaryStopping
)

type unaryResult struct {
	Event       string  `json:"event"`
	Mode        string  `json:"mode"`
	Method      string  `json:"method"`
	Callers     int     `json:"callers"`
	Conns       int     `json:"conns"`
	MeasuredMs  int64   `json:"measuredMs"`
	Completed   int64   `json:"completed"`
	CallsPerSec float64 `json:"callsPerSec"`
	// The driver's CPU per call over the whole run, warm-up included.
	DriverCPUUsPerCall float64 `json:"driverCpuUsPerCall"`
	rpcReport
}

// runUnary keeps `callers` concurrent calls of one method going: a warm-up (JIT, pools, connection windows) that
// is thrown away, then the measured window. The rate counts the answers received inside the window; latencies
// are of the calls started inside it.
func runUnary(cfg config) error {
	req, err := base64.StdEncoding.DecodeString(cfg.RequestBase64)
	if err != nil || cfg.Method == "" || cfg.Callers <= 0 || cfg.Seconds <= 0 {
		return fmt.Errorf("unary needs method, requestBase64, callers and seconds")
	}
	conns, err := dial(cfg.Target, cfg.Conns)
	if err != nil {
		return err
	}
	deadline := time.Duration(cfg.DeadlineMs) * time.Millisecond
	var phase atomic.Int32
	var calls atomic.Int64
	stats := make([]rpcStats, cfg.Callers)
	completed := make([]int64, cfg.Callers)

	start := time.Now()
	emit(map[string]any{"event": "start", "tMs": 0, "callers": cfg.Callers, "conns": len(conns)})
	var measureStart, measureEnd time.Time
	var windows sync.WaitGroup
	windows.Add(1)
	go func() {
		defer windows.Done()
		time.Sleep(seconds(cfg.WarmupSeconds))
		measureStart = time.Now()
		phase.Store(unaryMeasuring)
		emit(map[string]any{"event": "measuring", "tMs": msSince(start)})
		time.Sleep(seconds(cfg.Seconds))
		phase.Store(unaryStopping)
		measureEnd = time.Now()
		emit(map[string]any{"event": "measured", "tMs": msSince(start)})
	}()
	go func() {
		var last int64
		for phase.Load() != unaryStopping {
			time.Sleep(time.Second)
			n := calls.Load()
			progress("%.0f s: %d calls/s", time.Since(start).Seconds(), n-last)
			last = n
		}
	}()

	var wg sync.WaitGroup
	for i := range cfg.Callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := newCaller(conns[i%len(conns)], cfg.Token, deadline)
			for {
				p := phase.Load()
				if p == unaryStopping {
					return
				}
				st, took := c.call(cfg.Method, req)
				calls.Add(1)
				if p == unaryMeasuring {
					stats[i].add(codeOf(st), took)
				}
				if phase.Load() == unaryMeasuring {
					completed[i]++
				}
			}
		}()
	}
	wg.Wait()
	windows.Wait()
	for _, c := range conns {
		c.Close()
	}

	var all rpcStats
	var done int64
	for i := range stats {
		all.merge(&stats[i])
		done += completed[i]
	}
	window := measureEnd.Sub(measureStart)
	total := calls.Load()
	emit(unaryResult{
		Event: "result", Mode: "unary", Method: cfg.Method, Callers: cfg.Callers, Conns: len(conns),
		MeasuredMs: window.Milliseconds(), Completed: done, CallsPerSec: round1(float64(done) / window.Seconds()),
		DriverCPUUsPerCall: round1(cpuSeconds() * 1e6 / float64(total)),
		rpcReport:          all.report(),
	})
	return nil
}
