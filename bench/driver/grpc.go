package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// rawCodec passes request bytes through and never decodes a response: the driver only needs the status, which
// arrives in the trailers, so response bodies stay in gRPC's buffers and are freed unread.
type rawCodec struct{}

func (rawCodec) Marshal(v any) (mem.BufferSlice, error) {
	b, ok := v.([]byte)
	if !ok {
		return nil, fmt.Errorf("rawCodec: cannot marshal %T", v)
	}
	return mem.BufferSlice{mem.SliceBuffer(b)}, nil
}

func (rawCodec) Unmarshal(mem.BufferSlice, any) error { return nil }

// Name is the content subtype: application/grpc+proto, which is what the bytes are.
func (rawCodec) Name() string { return "proto" }

// dial opens n connections to target and waits until each is ready, so connection set-up is not timed as the
// first calls' latency. Separate ClientConns mean separate HTTP/2 connections, as many real clients would open.
func dial(target string, n int) ([]*grpc.ClientConn, error) {
	target = strings.TrimPrefix(strings.TrimPrefix(target, "http://"), "https://")
	conns := make([]*grpc.ClientConn, n)
	for i := range conns {
		conn, err := grpc.NewClient("passthrough:///"+target,
			grpc.WithTransportCredentials(insecure.NewCredentials()),
			grpc.WithDefaultCallOptions(grpc.ForceCodecV2(rawCodec{})),
		)
		if err != nil {
			return nil, err
		}
		conns[i] = conn
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, conn := range conns {
		conn.Connect()
		for s := conn.GetState(); s != connectivity.Ready; s = conn.GetState() {
			if !conn.WaitForStateChange(ctx, s) {
				return nil, fmt.Errorf("connecting to %s: still %s after 10 s", target, s)
			}
		}
	}
	return conns, nil
}

// caller is one simulated client: its connection, its bearer token (already in the outgoing metadata) and the
// per-call deadline.
type caller struct {
	conn     *grpc.ClientConn
	md       context.Context
	deadline time.Duration
}

func newCaller(conn *grpc.ClientConn, token string, deadline time.Duration) caller {
	md := metadata.NewOutgoingContext(context.Background(), metadata.Pairs("authorization", "Bearer "+token))
	return caller{conn: conn, md: md, deadline: deadline}
}

// call makes one unary call and returns its status (nil error means OK) and how long it took.
func (c caller) call(method string, req []byte) (*status.Status, time.Duration) {
	ctx, cancel := context.WithTimeout(c.md, c.deadline)
	start := time.Now()
	err := c.conn.Invoke(ctx, method, req, nil)
	took := time.Since(start)
	cancel()
	if err == nil {
		return nil, took
	}
	return status.Convert(err), took
}

func codeOf(s *status.Status) codes.Code {
	if s == nil {
		return codes.OK
	}
	return s.Code()
}

// shortage reads the InsufficientStock detail of a RESOURCE_EXHAUSTED status: how many of ticketID were left,
// and whether the detail named it at all.
func shortage(s *status.Status, ticketID string) (available int64, found bool) {
	for _, d := range s.Proto().GetDetails() {
		if d.GetTypeUrl() == insufficientStockType {
			if available, ok := shortageOf(d.GetValue(), ticketID); ok {
				return available, true
			}
		}
	}
	return 0, false
}
