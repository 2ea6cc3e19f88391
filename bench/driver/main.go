// Command onsale-driver is the load generator of `make bench-onsale`. It is written in Go and speaks gRPC with
// pre-encoded request bytes so that, on a small machine shared with the servers under test, the CPU goes to the
// servers and not to the client: no generated code, no response decoding, one goroutine per simulated buyer.
//
// Configuration is one JSON object on stdin (see config); results are JSON lines on stdout (phase switches as they
// happen, then one "result" line); progress goes to stderr.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"syscall"
	"time"
)

type config struct {
	Mode string `json:"mode"` // "onsale", "unary" or "holds"
	// host:port (or http://host:port) of the server; in all-in-one every service is on it.
	Target     string `json:"target"`
	Conns      int    `json:"conns"`
	DeadlineMs int    `json:"deadlineMs"`

	// onsale: one JWT per buyer, the ticket type on sale and its capacity.
	Tokens          []string `json:"tokens"`
	TicketID        string   `json:"ticketId"`
	Capacity        int64    `json:"capacity"`
	DurationSeconds float64  `json:"durationSeconds"`
	SoldOutSeconds  float64  `json:"soldOutSeconds"`

	// unary: one method called with the same request by every caller. holds: Token, Callers, TicketID and
	// DurationSeconds.
	Method        string  `json:"method"`
	RequestBase64 string  `json:"requestBase64"`
	Token         string  `json:"token"`
	Callers       int     `json:"callers"`
	WarmupSeconds float64 `json:"warmupSeconds"`
	Seconds       float64 `json:"seconds"`
}

func main() {
	var cfg config
	if err := json.NewDecoder(os.Stdin).Decode(&cfg); err != nil {
		fail("reading the configuration from stdin: %v", err)
	}
	if cfg.Conns <= 0 {
		cfg.Conns = 32
	}
	if cfg.DeadlineMs <= 0 {
		cfg.DeadlineMs = 10_000
	}
	if cfg.Target == "" {
		fail("target is required")
	}
	var err error
	switch cfg.Mode {
	case "onsale":
		err = runOnsale(cfg)
	case "unary":
		err = runUnary(cfg)
	case "holds":
		err = runHolds(cfg)
	default:
		err = fmt.Errorf("unknown mode %q (onsale or unary)", cfg.Mode)
	}
	if err != nil {
		fail("%v", err)
	}
}

var (
	outMu  sync.Mutex
	stdout = json.NewEncoder(os.Stdout)
)

// emit writes one JSON line to stdout. The orchestrator samples CPU when it reads a phase line, so each line is
// written at once rather than buffered.
func emit(v any) {
	outMu.Lock()
	defer outMu.Unlock()
	if err := stdout.Encode(v); err != nil {
		fail("writing to stdout: %v", err)
	}
}

func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "onsale-driver: "+format+"\n", args...)
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "onsale-driver: "+format+"\n", args...)
	os.Exit(1)
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

func msSince(t time.Time) int64 { return time.Since(t).Milliseconds() }

// cpuSeconds is the driver's own CPU so far (user + system), so every result says what the load itself cost.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}
