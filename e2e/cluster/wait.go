package cluster

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"
)

// WaitFor polls cond until it returns true, ctx ends or timeout passes.
// An error from cond means "not yet, and this is why": polling goes on and
// the last such error is part of the failure message.
func WaitFor(ctx context.Context, cond func() (bool, error), timeout time.Duration) error {
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var lastErr error
	polls := 0
	for delay := 10 * time.Millisecond; ; delay = min(delay*2, 250*time.Millisecond) {
		ok, err := cond()
		polls++
		if ok {
			return nil
		}
		if err != nil {
			lastErr = err
		}
		select {
		case <-ctx.Done():
			msg := fmt.Sprintf("condition not met after %v (%d polls)", time.Since(start).Round(time.Millisecond), polls)
			if lastErr != nil {
				return fmt.Errorf("%s; last error: %w", msg, lastErr)
			}
			return fmt.Errorf("%s", msg)
		case <-time.After(delay):
		}
	}
}

// FreePort returns a TCP port that was free on all addresses a moment ago,
// for a server the test is about to start.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", ":0")
	if err != nil {
		t.Fatalf("FreePort: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
