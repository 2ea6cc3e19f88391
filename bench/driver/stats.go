package main

import (
	"slices"
	"time"

	"google.golang.org/grpc/codes"
)

// rpcStats counts one RPC's outcomes. Each goroutine keeps its own and they are merged at the end, so the hot
// loop takes no lock. Latencies are kept whole (4 bytes per call) rather than bucketed: a run makes at most a few
// million calls, and exact percentiles need no explanation.
type rpcStats struct {
	codes     [codes.Unauthenticated + 1]int64
	latencyUs []uint32
}

func (s *rpcStats) add(code codes.Code, took time.Duration) {
	if int(code) < len(s.codes) {
		s.codes[code]++
	}
	us := took.Microseconds()
	if us > int64(^uint32(0)) {
		us = int64(^uint32(0))
	}
	s.latencyUs = append(s.latencyUs, uint32(us))
}

func (s *rpcStats) merge(o *rpcStats) {
	for i, n := range o.codes {
		s.codes[i] += n
	}
	s.latencyUs = append(s.latencyUs, o.latencyUs...)
}

func (s *rpcStats) count(code codes.Code) int64 { return s.codes[code] }

type latencyReport struct {
	P50 float64 `json:"p50"`
	P95 float64 `json:"p95"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

type rpcReport struct {
	Calls     int64            `json:"calls"`
	Codes     map[string]int64 `json:"codes"`
	LatencyMs latencyReport    `json:"latencyMs"`
}

func (s *rpcStats) report() rpcReport {
	r := rpcReport{Calls: int64(len(s.latencyUs)), Codes: map[string]int64{}}
	for code, n := range s.codes {
		if n > 0 {
			r.Codes[codeName(codes.Code(code))] = n
		}
	}
	sorted := slices.Clone(s.latencyUs)
	slices.Sort(sorted)
	r.LatencyMs = latencyReport{P50: pct(sorted, 50), P95: pct(sorted, 95), P99: pct(sorted, 99), Max: pct(sorted, 100)}
	return r
}

// pct is the nearest-rank percentile, in milliseconds with 0.1 ms resolution.
func pct(sorted []uint32, p int) float64 {
	if len(sorted) == 0 {
		return 0
	}
	rank := (p*len(sorted) + 99) / 100
	if rank < 1 {
		rank = 1
	}
	return float64(sorted[rank-1]/100) / 10
}

// codeName gives the canonical upper-case name (RESOURCE_EXHAUSTED), as grpc-status tables and the SDK print it.
func codeName(c codes.Code) string {
	if c < codes.Code(len(codeNames)) {
		return codeNames[c]
	}
	return c.String()
}

var codeNames = [...]string{
	"OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS",
	"PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED",
	"INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
}
