package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// iperfPort is the server port; every container is its own namespace, so
// a fixed port cannot collide with other tests.
const iperfPort = "5201"

// Iperf runs a TCP iperf3 test of the given length from client to server
// (at server.IP, set by Attach) and returns the received throughput in
// bits per second.
func Iperf(client, server *Container, seconds int) (float64, error) {
	if seconds < 1 {
		return 0, fmt.Errorf("iperf: seconds = %d, want >= 1", seconds)
	}
	if !server.IP.IsValid() {
		return 0, fmt.Errorf("iperf: server %s has no address (Attach it first)", server.Name)
	}
	c := server.cluster
	srv, err := c.startProcess("iperf3-"+server.Name, server.NS,
		[]string{"iperf3", "--server", "--one-off", "--bind", server.IP.String(), "--port", iperfPort}, nil)
	if err != nil {
		return 0, err
	}
	defer srv.Stop()
	ctx := context.Background()
	err = WaitFor(ctx, func() (bool, error) {
		if srv.Exited() {
			return false, fmt.Errorf("iperf3 server exited: %s", srv.LogTail(5))
		}
		out, err := server.Run(ctx, "ss", "-Hltn", "sport = :"+iperfPort)
		return strings.TrimSpace(out) != "", err
	}, 10*time.Second)
	if err != nil {
		return 0, fmt.Errorf("iperf: server in %s not listening: %w", server.Name, err)
	}
	cctx, cancel := context.WithTimeout(ctx, time.Duration(seconds+20)*time.Second)
	defer cancel()
	out, err := client.Run(cctx, "iperf3", "--client", server.IP.String(), "--port", iperfPort,
		"--time", strconv.Itoa(seconds), "--connect-timeout", "3000", "--json")
	if err != nil {
		return 0, fmt.Errorf("iperf: %w", err)
	}
	var result struct {
		Error string `json:"error"`
		End   struct {
			SumReceived struct {
				BitsPerSecond float64 `json:"bits_per_second"`
			} `json:"sum_received"`
		} `json:"end"`
	}
	if err := json.Unmarshal([]byte(out), &result); err != nil {
		return 0, fmt.Errorf("iperf: parsing client output: %w: %.300s", err, out)
	}
	if result.Error != "" {
		return 0, fmt.Errorf("iperf: %s", result.Error)
	}
	if result.End.SumReceived.BitsPerSecond <= 0 {
		return 0, fmt.Errorf("iperf: no data received: %.300s", out)
	}
	return result.End.SumReceived.BitsPerSecond, nil
}
