// Every size and tunable constant of the INA program, with the reason for it.
// Override at compile time: -DINA_LANES=64 -DINA_SLOTS=4096.
#ifndef __INA_SIZES__
#define __INA_SIZES__

// K int32 values per packet. 32 values = 128 B payload keeps a packet well
// under any MTU with headers; 64 halves the per-packet overhead for larger
// MTUs. bmv2 has no loops, so each lane is unrolled (INA_FOR_LANES).
#ifndef INA_LANES
#define INA_LANES 32
#endif

// Aggregator slots per shadow set, shared by all jobs (the controller gives
// each job a region [base, base+size)). 1024 = 8 concurrent jobs with
// SwitchML's default window of 128 outstanding packets each.
#ifndef INA_SLOTS
#define INA_SLOTS 1024
#endif

// Best-effort lease: a hashed cell whose last update is older than this
// (microseconds) is taken over by the next block instead of colliding, so an
// abandoned partial (lost packet, host fell back to the PS) cannot hold a
// cell forever. 100 ms: well above a retransmission timeout, far below a
// training iteration.
#ifndef INA_BE_LEASE_US
#define INA_BE_LEASE_US 100000
#endif

// Register cells: two shadow sets of INA_SLOTS each, set s at [s*INA_SLOTS, (s+1)*INA_SLOTS).
#define INA_CELLS (2 * INA_SLOTS)

// Jobs the switch can hold at once (job_region entries): one per region of
// at least 4 slots, no more. Equal to 2^width(job_index_t), so every job
// index the controller can write is a valid telemetry row.
#define INA_MAX_JOBS 256

// (job, ingress port) membership entries: 32 workers per job for the 256 jobs
// would be 8192; a switch has far fewer ports than that, so 4096 suffices.
#define INA_MAX_MEMBERS 4096

// IPv4 routes and ECMP members: a small datacenter fabric.
#define IPV4_LPM_SIZE 1024
#define ECMP_SELECTOR_SIZE 1024
// bits of the selector hash (bmv2 action_selector output width).
#define ECMP_HASH_BITS 14

// Hosts/gateways answered by proxy ARP, result destinations per port.
#define ARP_PROXY_SIZE 1024
#define PORT_TABLE_SIZE 512

// Importance-aware queueing (queue_management.p4). Virtual queues kept by the
// ingress early drop: one per egress port (v1model ports are 9 bits) and one per
// multicast group below INA_QUEUE_GROUPS (the controller numbers its groups from
// 1; a job needs one, INA_MAX_JOBS of them fit). Threshold entries: a per-class
// default and per-port overrides for every class.
#define INA_PORTS 512
#define INA_QUEUE_GROUPS 512
#define INA_QUEUE_CLOCKS (INA_PORTS + INA_QUEUE_GROUPS)
#define QUEUE_THRESHOLD_SIZE 1024

// v1model's drop port (simple_switch --drop-port default): mark_to_drop's egress_spec.
const bit<9> DROP_PORT = 511;

// drop simulator entries (ternary port x job).
#define DROP_SIM_SIZE 256

// The drop simulator draws random in [0, DROP_SIM_SCALE): a threshold of
// DROP_SIM_SCALE drops everything, 0 nothing, p * DROP_SIM_SCALE drops p.
#define DROP_SIM_SCALE 65536

// ARP opcodes (RFC 826): the proxy answers requests with replies.
const bit<16> ARP_OP_REQUEST = 1;
const bit<16> ARP_OP_REPLY = 2;

#endif  // __INA_SIZES__
