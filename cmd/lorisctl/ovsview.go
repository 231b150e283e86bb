package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// attachView is everything attach and detach need from OVSDB, read in one
// transaction: each ovs-vsctl process costs several milliseconds (start,
// connect, fetch the schema), and attach latency is the sum of them.
type attachView struct {
	bridgeFound bool
	bridge      bridgeInfo // controllers are not read
	// ports names the bridge's ports.
	ports []string
	// tunnel is the loris-tun interface, wherever it is; nil when absent.
	tunnel *ovsInterface
	// labelled are the interfaces whose external ids name the container
	// and interface, on any bridge.
	labelled []ovsInterface
}

// attachViewArgs is the read as one ovs-vsctl run of four finds; each find
// prints one JSON table, in order. Finds (not get or list-ports) because a
// missing row is then an empty table rather than a failed command, so a
// missing bridge is told apart from a broken database.
func attachViewArgs(bridge, container, ifname string) []string {
	return []string{"--format=json",
		"--", "--columns=name,datapath_type,external_ids,other_config,ports", "find", "bridge", "name=" + ovsValue(bridge),
		"--", "--columns=_uuid,name", "find", "port",
		"--", "--columns=name,type,external_ids", "find", "interface", "name=" + ovsValue(tunnelPortName),
		"--", "--columns=name,type,external_ids", "find", "interface",
		"external_ids:" + extContainer + "=" + ovsValue(container),
		"external_ids:" + extIfName + "=" + ovsValue(ifname),
	}
}

// attachViewSelects is the same read as one OVSDB transaction.
func attachViewSelects(bridge, container, ifname string) []ovsdbSelect {
	labels := []any{"map", [][2]string{{extContainer, container}, {extIfName, ifname}}}
	return []ovsdbSelect{
		selectRows("Bridge", []string{"name", "datapath_type", "external_ids", "other_config", "ports"},
			[3]any{"name", "==", bridge}),
		selectRows("Port", []string{"_uuid", "name"}),
		selectRows("Interface", []string{"name", "type", "external_ids"}, [3]any{"name", "==", tunnelPortName}),
		selectRows("Interface", []string{"name", "type", "external_ids"}, [3]any{"external_ids", "includes", labels}),
	}
}

// attachView reads straight from OVSDB when it can and through ovs-vsctl
// otherwise; when the direct connection fails (no socket at the default
// path, say), ovs-vsctl tries and says why in its own words.
func (o ovsctl) attachView(ctx context.Context, bridge, container, ifname string) (attachView, error) {
	if o.dial != nil {
		if conn, err := o.dial(ctx); err == nil {
			defer conn.Close()
			tables, err := ovsdbTransact(ctx, conn, attachViewSelects(bridge, container, ifname))
			if err != nil {
				return attachView{}, err
			}
			return attachViewFrom(tables), nil
		}
	}
	out, err := o.vsctl(ctx, attachViewArgs(bridge, container, ifname)...)
	if err != nil {
		return attachView{}, err
	}
	return parseAttachView(out)
}

func parseAttachView(out string) (attachView, error) {
	tables, err := ovsTables(out, 4)
	if err != nil {
		return attachView{}, err
	}
	return attachViewFrom(tables), nil
}

// attachViewFrom reads the four tables: bridge, ports, tunnel interface,
// labelled interfaces.
func attachViewFrom(tables [][]map[string]json.RawMessage) attachView {
	var v attachView
	bridges, ports, tunnels, labelled := tables[0], tables[1], tables[2], tables[3]
	if len(bridges) > 0 {
		row := bridges[0]
		v.bridgeFound = true
		v.bridge = bridgeInfo{
			name:         ovsString(row["name"]),
			datapathType: ovsString(row["datapath_type"]),
			externalIDs:  ovsMap(row["external_ids"]),
			otherConfig:  ovsMap(row["other_config"]),
		}
		members := ovsUUIDs(row["ports"])
		for _, p := range ports {
			if uuids := ovsUUIDs(p["_uuid"]); len(uuids) == 1 && slices.Contains(members, uuids[0]) {
				v.ports = append(v.ports, ovsString(p["name"]))
			}
		}
	}
	if len(tunnels) > 0 {
		t := interfaceRow(tunnels[0])
		v.tunnel = &t
	}
	for _, row := range labelled {
		v.labelled = append(v.labelled, interfaceRow(row))
	}
	return v
}

// ovsTables splits the output of several `--format=json` finds, one JSON
// table each, and checks that there are exactly want of them.
func ovsTables(out string, want int) ([][]map[string]json.RawMessage, error) {
	dec := json.NewDecoder(strings.NewReader(out))
	var tables [][]map[string]json.RawMessage
	for {
		var raw json.RawMessage
		err := dec.Decode(&raw)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("cannot parse ovs-vsctl output %q: %v", strings.TrimSpace(out), err)
		}
		rows, err := ovsRows(string(raw))
		if err != nil {
			return nil, err
		}
		tables = append(tables, rows)
	}
	if len(tables) != want {
		return nil, fmt.Errorf("cannot parse ovs-vsctl output: %d tables, want %d", len(tables), want)
	}
	return tables, nil
}

// ovsUUIDs reads a UUID or a set of UUIDs: ["uuid","U"] or
// ["set",[["uuid","U"],...]].
func ovsUUIDs(v json.RawMessage) []string {
	var tagged []json.RawMessage
	if json.Unmarshal(v, &tagged) != nil || len(tagged) != 2 {
		return nil
	}
	switch ovsString(tagged[0]) {
	case "uuid":
		return []string{ovsString(tagged[1])}
	case "set":
		var members []json.RawMessage
		if json.Unmarshal(tagged[1], &members) != nil {
			return nil
		}
		var uuids []string
		for _, m := range members {
			uuids = append(uuids, ovsUUIDs(m)...)
		}
		return uuids
	}
	return nil
}
