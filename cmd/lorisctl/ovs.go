package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
)

// Names and OVSDB keys lorisctl writes on the host; the controller reads
// none of them, they only let later lorisctl runs find what earlier runs
// made.
const (
	tunnelPortName     = "loris-tun"
	extHost            = "loris-host"
	extTunnelIP        = "loris-tunnel-ip"
	extAttachment      = "loris-attachment"
	extContainer       = "loris-container"
	extIfName          = "loris-ifname"
	otherDatapathID    = "datapath-id"
	otherDisableInBand = "disable-in-band"
)

// ovsctl runs ovs-vsctl against one database (db empty = the system
// default).
type ovsctl struct {
	r  runner
	db string
	// dial, when set, reaches the same database directly for reads.
	dial ovsdbDialer
}

// argv is the full ovs-vsctl command line for args.
func (o ovsctl) argv(args ...string) []string {
	full := []string{"ovs-vsctl"}
	if o.db != "" {
		full = append(full, "--db="+o.db)
	}
	return append(full, args...)
}

func (o ovsctl) vsctl(ctx context.Context, args ...string) (string, error) {
	a := o.argv(args...)
	return o.r.run(ctx, a[0], a[1:]...)
}

// ovsValue quotes a value for ovs-vsctl's column syntax, which reads
// double-quoted strings with JSON escapes; quoting always avoids surprises
// with names containing ':', '=' or ','.
func ovsValue(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// ovsRows decodes `ovs-vsctl --format=json` output into one map per row,
// keyed by column heading.
func ovsRows(out string) ([]map[string]json.RawMessage, error) {
	var table struct {
		Data     [][]json.RawMessage `json:"data"`
		Headings []string            `json:"headings"`
	}
	if err := json.Unmarshal([]byte(out), &table); err != nil {
		return nil, fmt.Errorf("cannot parse ovs-vsctl output %q: %v", strings.TrimSpace(out), err)
	}
	rows := make([]map[string]json.RawMessage, 0, len(table.Data))
	for _, d := range table.Data {
		if len(d) != len(table.Headings) {
			return nil, fmt.Errorf("cannot parse ovs-vsctl output: row has %d columns, want %d", len(d), len(table.Headings))
		}
		row := make(map[string]json.RawMessage, len(d))
		for i, h := range table.Headings {
			row[h] = d[i]
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// ovsString reads an OVSDB string column; an empty optional string comes
// as ["set",[]].
func ovsString(v json.RawMessage) string {
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s
	}
	return ""
}

// ovsMap reads an OVSDB map column, encoded as ["map",[[k,v],...]].
func ovsMap(v json.RawMessage) map[string]string {
	m := map[string]string{}
	var tagged []json.RawMessage
	if json.Unmarshal(v, &tagged) != nil || len(tagged) != 2 || ovsString(tagged[0]) != "map" {
		return m
	}
	var pairs [][2]string
	if json.Unmarshal(tagged[1], &pairs) != nil {
		return m
	}
	for _, p := range pairs {
		m[p[0]] = p[1]
	}
	return m
}

// bridgeInfo is what lorisctl needs to know about an existing bridge.
type bridgeInfo struct {
	name         string
	datapathType string
	externalIDs  map[string]string
	otherConfig  map[string]string
	controllers  []string
}

// bridge reads the bridge's record; found is false when it does not exist.
func (o ovsctl) bridge(ctx context.Context, name string) (info bridgeInfo, found bool, err error) {
	out, err := o.vsctl(ctx, "--format=json", "--columns=name,datapath_type,external_ids,other_config",
		"find", "bridge", "name="+ovsValue(name))
	if err != nil {
		return bridgeInfo{}, false, err
	}
	rows, err := ovsRows(out)
	if err != nil || len(rows) == 0 {
		return bridgeInfo{}, false, err
	}
	row := rows[0]
	info = bridgeInfo{
		name:         ovsString(row["name"]),
		datapathType: ovsString(row["datapath_type"]),
		externalIDs:  ovsMap(row["external_ids"]),
		otherConfig:  ovsMap(row["other_config"]),
	}
	out, err = o.vsctl(ctx, "get-controller", name)
	if err != nil {
		return bridgeInfo{}, false, err
	}
	info.controllers = nonEmptyLines(out)
	return info, true, nil
}

// ovsInterface is one Interface row.
type ovsInterface struct {
	name        string
	ifType      string
	externalIDs map[string]string
}

// interfaces lists Interface rows matching the ovs-vsctl find conditions
// (all rows when there are none).
func (o ovsctl) interfaces(ctx context.Context, conditions ...string) ([]ovsInterface, error) {
	args := append([]string{"--format=json", "--columns=name,type,external_ids", "find", "interface"}, conditions...)
	out, err := o.vsctl(ctx, args...)
	if err != nil {
		return nil, err
	}
	rows, err := ovsRows(out)
	if err != nil {
		return nil, err
	}
	ifs := make([]ovsInterface, 0, len(rows))
	for _, row := range rows {
		ifs = append(ifs, interfaceRow(row))
	}
	return ifs, nil
}

func interfaceRow(row map[string]json.RawMessage) ovsInterface {
	return ovsInterface{
		name:        ovsString(row["name"]),
		ifType:      ovsString(row["type"]),
		externalIDs: ovsMap(row["external_ids"]),
	}
}

func (o ovsctl) ports(ctx context.Context, bridge string) ([]string, error) {
	out, err := o.vsctl(ctx, "list-ports", bridge)
	if err != nil {
		return nil, err
	}
	return nonEmptyLines(out), nil
}

// hostBridgeConfig is the desired state host init writes.
type hostBridgeConfig struct {
	bridge     string
	host       string
	tunnelIP   string
	tunnel     string
	datapath   string
	datapathID string
	controller string
	// noLocalIP leaves options:local_ip off the tunnel port (and removes
	// it), for vswitchd run with --disable-system-route (see lorisctl host
	// init --help).
	noLocalIP bool
}

// hostInitArgs is one ovs-vsctl transaction creating or updating the
// bridge and its tunnel port. fail_mode=secure is set in the same
// transaction as the bridge is created, so there is never a moment in which
// OVS would fall back to a learning switch and join pods together.
// set-controller replaces the Controller row even when the target is
// unchanged (resetting the connection), so it is included only when the
// target differs.
func hostInitArgs(c hostBridgeConfig, setController bool) []string {
	args := []string{
		"--", "--may-exist", "add-br", c.bridge,
		"--", "set", "bridge", c.bridge,
		"datapath_type=" + c.datapath,
		"fail_mode=secure",
		"protocols=OpenFlow13",
		"stp_enable=false",
		"rstp_enable=false",
		"other-config:" + otherDisableInBand + "=true",
		"other-config:" + otherDatapathID + "=" + c.datapathID,
		"external_ids:" + extHost + "=" + ovsValue(c.host),
		"external_ids:" + extTunnelIP + "=" + ovsValue(c.tunnelIP),
		"--", "--may-exist", "add-port", c.bridge, tunnelPortName,
		"--", "set", "interface", tunnelPortName,
		"type=" + c.tunnel,
		"options:remote_ip=flow",
		"options:key=flow",
	}
	if c.noLocalIP {
		args = append(args, "--", "remove", "interface", tunnelPortName, "options", "local_ip")
	} else {
		args = append(args, "options:local_ip="+ovsValue(c.tunnelIP))
	}
	if setController {
		args = append(args, "--", "set-controller", c.bridge, c.controller)
	}
	return args
}

// addPortArgs adds an attachment's host veth end to the bridge and labels
// it, in one transaction, so a port without labels never exists.
func addPortArgs(bridge, port, attachmentID, container, ifname string) []string {
	return []string{
		"--", "add-port", bridge, port,
		"--", "set", "interface", port,
		"external_ids:" + extAttachment + "=" + ovsValue(attachmentID),
		"external_ids:" + extContainer + "=" + ovsValue(container),
		"external_ids:" + extIfName + "=" + ovsValue(ifname),
	}
}

func delPortArgs(bridge, port string) []string {
	return []string{"--if-exists", "del-port", bridge, port}
}

func nonEmptyLines(s string) []string {
	var lines []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	return lines
}
