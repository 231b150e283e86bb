package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"strings"
	"time"
)

// A read-only OVSDB transaction sent straight to ovsdb-server over its
// JSON-RPC socket (RFC 7047) saves a process start, a schema download and
// a monitor: in the attach benchmark the read phase went from p50 8.6 ms
// with ovs-vsctl to 2.9 ms, now bounded by the `ip link show` running
// alongside. Only reads go this way: writes stay with ovs-vsctl, which
// also waits until ovs-vswitchd has applied them.

// ovsdbDialer connects to an OVSDB server.
type ovsdbDialer func(ctx context.Context) (net.Conn, error)

// ovsdbDialerFor is how to reach the OVSDB that ovs-vsctl --db=db would
// use, or nil when lorisctl leaves the target to ovs-vsctl (ssl: needs
// ovs-vsctl's certificates; passive targets are not for clients). The
// default is ovs-vsctl's: db.sock in $OVS_RUNDIR or /var/run/openvswitch.
func ovsdbDialerFor(db string, getenv func(string) string, timeout time.Duration) ovsdbDialer {
	var network, addr string
	switch {
	case db == "":
		dir := getenv("OVS_RUNDIR")
		if dir == "" {
			dir = "/var/run/openvswitch"
		}
		network, addr = "unix", dir+"/db.sock"
	case strings.HasPrefix(db, "unix:"):
		network, addr = "unix", strings.TrimPrefix(db, "unix:")
	case strings.HasPrefix(db, "tcp:"):
		network, addr = "tcp", strings.TrimPrefix(db, "tcp:")
		if strings.Count(addr, ":") > 1 && !strings.HasPrefix(addr, "[") {
			return nil // IPv6 without brackets: ovs-vsctl's syntax, not Go's
		}
	default:
		return nil
	}
	return func(ctx context.Context) (net.Conn, error) {
		d := net.Dialer{Timeout: timeout}
		conn, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		if timeout > 0 {
			conn.SetDeadline(time.Now().Add(timeout))
		}
		return conn, nil
	}
}

// ovsdbSelect is one select operation: the rows of table matching every
// where clause (["column", "function", value]), with the given columns.
type ovsdbSelect struct {
	Op      string   `json:"op"`
	Table   string   `json:"table"`
	Where   [][3]any `json:"where"`
	Columns []string `json:"columns"`
}

func selectRows(table string, columns []string, where ...[3]any) ovsdbSelect {
	if where == nil {
		where = [][3]any{}
	}
	return ovsdbSelect{Op: "select", Table: table, Where: where, Columns: columns}
}

// ovsdbTransact runs selects in one transaction on conn and returns each
// one's rows, keyed by column like ovsRows. The transaction is atomic, so
// the rows are one consistent view, as with one ovs-vsctl run.
func ovsdbTransact(ctx context.Context, conn net.Conn, selects []ovsdbSelect) ([][]map[string]json.RawMessage, error) {
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Now()) })
	defer stop()
	params := []any{"Open_vSwitch"}
	for _, s := range selects {
		params = append(params, s)
	}
	req := map[string]any{"method": "transact", "params": params, "id": 1}
	if err := json.NewEncoder(conn).Encode(req); err != nil {
		return nil, fmt.Errorf("ovsdb: sending transaction: %w", err)
	}
	dec := json.NewDecoder(conn)
	for {
		var msg struct {
			ID     json.RawMessage `json:"id"`
			Method string          `json:"method"`
			Result []struct {
				Rows    []map[string]json.RawMessage `json:"rows"`
				Error   string                       `json:"error"`
				Details string                       `json:"details"`
			} `json:"result"`
			Error json.RawMessage `json:"error"`
		}
		if err := dec.Decode(&msg); err != nil {
			if ctx.Err() != nil {
				err = ctx.Err()
			}
			return nil, fmt.Errorf("ovsdb: reading reply: %w", err)
		}
		if msg.Method != "" || string(msg.ID) != "1" {
			continue // a request or notification from the server, not our reply
		}
		if len(msg.Error) > 0 && string(msg.Error) != "null" {
			return nil, fmt.Errorf("ovsdb: transaction failed: %s", msg.Error)
		}
		if len(msg.Result) != len(selects) {
			return nil, fmt.Errorf("ovsdb: %d results for %d operations", len(msg.Result), len(selects))
		}
		tables := make([][]map[string]json.RawMessage, len(selects))
		for i, r := range msg.Result {
			if r.Error != "" {
				return nil, fmt.Errorf("ovsdb: select on %s: %s: %s", selects[i].Table, r.Error, r.Details)
			}
			tables[i] = r.Rows
		}
		return tables, nil
	}
}

// ovsdbDial is how attach and detach reach OVSDB without ovs-vsctl; nil
// when the host's programs are faked (app.run set), so that such tests see
// every read as a command.
func (a *app) ovsdbDial(db string) ovsdbDialer {
	if a.run != nil {
		return nil
	}
	return ovsdbDialerFor(db, a.getenv, a.timeout)
}
