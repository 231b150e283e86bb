package ofbench

import (
	"fmt"
	"slices"
	"time"
)

// Result is what a packet-in stream measured (one switch, or several
// merged).
type Result struct {
	// Sent, Answered and Lost count packet-ins sent in the measured
	// interval: answered by the controller, unanswered within the timeout.
	Sent, Answered, Lost uint64
	// Unanswered were still waiting when the run ended.
	Unanswered uint64
	// Latencies holds one sample per answered packet-in: from sending it
	// to the first PACKET_OUT or FLOW_MOD naming its source MAC.
	Latencies []time.Duration
	// FlowModLatencies are the samples of packet-ins answered first by a
	// FLOW_MOD: for a learning controller, the source MAC was new.
	FlowModLatencies []time.Duration
	// PacketOutLatencies are the others: for a learning controller, the
	// source MAC was known (the steady state).
	PacketOutLatencies []time.Duration
	// Elapsed is the measured interval.
	Elapsed time.Duration
	// PerSwitch holds each switch's answered count (fairness).
	PerSwitch []uint64
}

// Merge adds r2's counts and samples to r.
func (r *Result) Merge(r2 Result) {
	r.Sent += r2.Sent
	r.Answered += r2.Answered
	r.Lost += r2.Lost
	r.Unanswered += r2.Unanswered
	r.Latencies = append(r.Latencies, r2.Latencies...)
	r.FlowModLatencies = append(r.FlowModLatencies, r2.FlowModLatencies...)
	r.PacketOutLatencies = append(r.PacketOutLatencies, r2.PacketOutLatencies...)
	r.PerSwitch = append(r.PerSwitch, r2.Answered)
}

// Rate is answered packet-ins per second.
func (r *Result) Rate() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Answered) / r.Elapsed.Seconds()
}

// Percentile returns the q-quantile (0..1) of the latencies, 0 without
// samples. It sorts the samples in place.
func (r *Result) Percentile(q float64) time.Duration { return percentile(r.Latencies, q) }

// FlowModPercentile is Percentile of the packet-ins answered by a
// FLOW_MOD.
func (r *Result) FlowModPercentile(q float64) time.Duration { return percentile(r.FlowModLatencies, q) }

// PacketOutPercentile is Percentile of the packet-ins answered by a
// PACKET_OUT.
func (r *Result) PacketOutPercentile(q float64) time.Duration {
	return percentile(r.PacketOutLatencies, q)
}

func percentile(samples []time.Duration, q float64) time.Duration {
	if len(samples) == 0 {
		return 0
	}
	slices.Sort(samples)
	return samples[int(q*float64(len(samples)-1))]
}

// Summary is a one-line report.
func (r *Result) Summary() string {
	minSw, maxSw := uint64(0), uint64(0)
	if len(r.PerSwitch) > 0 {
		minSw, maxSw = slices.Min(r.PerSwitch), slices.Max(r.PerSwitch)
	}
	return fmt.Sprintf("answered %d/%d packet-ins in %v: %.0f/s, lost %d, p50 %v p90 %v p99 %v p99.9 %v max %v, per switch min %d max %d; "+
		"%d answered first by a FLOW_MOD: p50 %v p99 %v; %d by a PACKET_OUT: p50 %v p99 %v",
		r.Answered, r.Sent, r.Elapsed.Round(time.Millisecond), r.Rate(), r.Lost,
		r.Percentile(0.5).Round(time.Microsecond), r.Percentile(0.9).Round(time.Microsecond),
		r.Percentile(0.99).Round(time.Microsecond), r.Percentile(0.999).Round(time.Microsecond), r.Percentile(1).Round(time.Microsecond), minSw, maxSw,
		len(r.FlowModLatencies), r.FlowModPercentile(0.5).Round(time.Microsecond), r.FlowModPercentile(0.99).Round(time.Microsecond),
		len(r.PacketOutLatencies), r.PacketOutPercentile(0.5).Round(time.Microsecond), r.PacketOutPercentile(0.99).Round(time.Microsecond))
}
