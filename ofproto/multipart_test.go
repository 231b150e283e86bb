package ofproto

import (
	"reflect"
	"testing"
)

func TestMergeMultipart(t *testing.T) {
	first := &FlowStatsReply{Flows: []FlowStats{{Priority: 1}}}
	if err := MergeMultipart(first, &FlowStatsReply{Flows: []FlowStats{{Priority: 2}, {Priority: 3}}}); err != nil {
		t.Fatal(err)
	}
	if len(first.Flows) != 3 || first.Flows[2].Priority != 3 {
		t.Fatalf("merged flows %+v", first.Flows)
	}
	ports := &PortDescReply{Ports: []Port{{PortNo: 1}}}
	if err := MergeMultipart(ports, &PortDescReply{Ports: []Port{{PortNo: 2}}}); err != nil || len(ports.Ports) != 2 {
		t.Fatalf("merge ports: %v %+v", err, ports.Ports)
	}
	raw := &MultipartRaw{MPType: MultipartTableFeatures, Data: []byte{1}}
	if err := MergeMultipart(raw, &MultipartRaw{MPType: MultipartTableFeatures, Data: []byte{2, 3}}); err != nil ||
		!reflect.DeepEqual(raw.Data, []byte{1, 2, 3}) {
		t.Fatalf("merge raw: %v %v", err, raw.Data)
	}
	if err := MergeMultipart(first, ports); err == nil {
		t.Error("merging different types succeeded")
	}
	desc := &DescReply{MfrDesc: "x"}
	if err := MergeMultipart(desc, &DescReply{}); err == nil || desc.MfrDesc != "x" {
		t.Error("merging single-record bodies succeeded")
	}
	for _, pair := range [][2]MultipartBody{
		{&TableStatsReply{Tables: []TableStats{{}}}, &TableStatsReply{Tables: []TableStats{{}}}},
		{&PortStatsReply{Ports: []PortStats{{}}}, &PortStatsReply{Ports: []PortStats{{}}}},
		{&GroupDescReply{Groups: []GroupDesc{{}}}, &GroupDescReply{Groups: []GroupDesc{{}}}},
		{&GroupStatsReply{Groups: []GroupStats{{}}}, &GroupStatsReply{Groups: []GroupStats{{}}}},
		{&MeterStatsReply{Meters: []MeterStats{{}}}, &MeterStatsReply{Meters: []MeterStats{{}}}},
		{&MeterConfigReply{Meters: []MeterConfig{{}}}, &MeterConfigReply{Meters: []MeterConfig{{}}}},
	} {
		if err := MergeMultipart(pair[0], pair[1]); err != nil {
			t.Errorf("%T: %v", pair[0], err)
		}
		if n := len(Append(nil, 1, &MultipartReply{Body: pair[0]})); n <= 16 {
			t.Errorf("%T: merged body encodes to nothing", pair[0])
		}
	}
}

// TestMultipartReplyManyEntries decodes a reply with hundreds of flows,
// as a full table dump produces.
func TestMultipartReplyManyEntries(t *testing.T) {
	var flows []FlowStats
	for i := range 300 {
		flows = append(flows, FlowStats{Priority: uint16(i), Cookie: uint64(i),
			Match:        Match{Fields: []OXM{InPort(uint32(i))}},
			Instructions: []Instruction{InstructionApplyActions{Actions: []Action{ActionOutput{Port: uint32(i)}}}}})
	}
	b, err := Marshal(5, &MultipartReply{Flags: MultipartReplyMore, Body: &FlowStatsReply{Flows: flows}})
	if err != nil {
		t.Fatal(err)
	}
	_, m, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	r := m.(*MultipartReply)
	got := r.Body.(*FlowStatsReply).Flows
	if r.Flags != MultipartReplyMore || len(got) != 300 || got[299].Priority != 299 || !reflect.DeepEqual(got, flows) {
		t.Fatalf("flags %d, %d flows", r.Flags, len(got))
	}
}

func TestMultipartUnknownTypeIsRaw(t *testing.T) {
	body := []byte{9, 8, 7, 6, 5, 4, 3, 2}
	for _, m := range []Message{
		&MultipartReply{Body: &MultipartRaw{MPType: 0x77, Data: body}},
		&MultipartRequest{Body: &MultipartRaw{MPType: MultipartExperimenter, Data: body}},
	} {
		b := Append(nil, 1, m)
		_, back, err := Decode(b)
		if err != nil || !reflect.DeepEqual(back, m) {
			t.Fatalf("raw multipart: %v %#v", err, back)
		}
	}
}
