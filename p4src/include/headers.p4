// Protocol headers, the packet's header struct and the user metadata.
#ifndef __INA_HEADERS__
#define __INA_HEADERS__

#include "sizes.p4"
#include "ina_header.p4"

typedef bit<9>  port_t;
typedef bit<48> mac_addr_t;
typedef bit<32> ipv4_addr_t;
typedef bit<16> l4_port_t;
typedef bit<32> cell_index_t;     // register cell: shadow * INA_SLOTS + region base + slot
typedef bit<32> region_t;         // region base / size / slot in cells
typedef bit<16> mcast_group_t;
typedef bit<8>  job_mode_t;
typedef bit<8>  job_index_t;      // per-job telemetry row, 0 .. INA_MAX_JOBS-1
typedef bit<3>  importance_t;
typedef bit<19> qdepth_t;         // v1model enq_qdepth width
typedef bit<32> drop_threshold_t; // drop simulator: compared with random in [0, DROP_SIM_SCALE)
typedef bit<48> owner_tag_t;      // best-effort slot owner: job id ++ seq
typedef bit<48> timestamp_t;      // v1model ingress_global_timestamp (microseconds)

header ethernet_t {
    mac_addr_t dst_addr;
    mac_addr_t src_addr;
    bit<16>    ether_type;
}

header arp_t {
    bit<16>     hw_type;
    bit<16>     proto_type;
    bit<8>      hw_len;
    bit<8>      proto_len;
    bit<16>     opcode;
    mac_addr_t  sender_mac;
    ipv4_addr_t sender_ip;
    mac_addr_t  target_mac;
    ipv4_addr_t target_ip;
}

header ipv4_t {
    bit<4>      version;
    bit<4>      ihl;
    bit<6>      dscp;
    bit<2>      ecn;
    bit<16>     total_len;
    bit<16>     identification;
    bit<3>      flags;
    bit<13>     frag_offset;
    bit<8>      ttl;
    bit<8>      protocol;
    bit<16>     hdr_checksum;
    ipv4_addr_t src_addr;
    ipv4_addr_t dst_addr;
}

header icmp_t {
    bit<8>  icmp_type;
    bit<8>  code;
    bit<16> checksum;
}

header udp_t {
    l4_port_t src_port;
    l4_port_t dst_port;
    bit<16>   length;
    bit<16>   checksum;
}

#define INA_DATA_FIELD(i) ina_value_t v##i;
header ina_data_t {
    INA_FOR_LANES(INA_DATA_FIELD)
}

struct headers_t {
    ethernet_t ethernet;
    arp_t      arp;
    ipv4_t     ipv4;
    icmp_t     icmp;
    udp_t      udp;
    ina_t      ina;
    ina_data_t data;
}

struct metadata_t {
    // classification / forwarding
    importance_t importance;
    bit<1>       route;          // 1: forward by ipv4_lpm
    bit<1>       drop;           // 1: drop at the end of ingress, counted by drop_reason
    bit<8>       drop_reason;    // DROP_* (ina_drop_counter index)
    ipv4_addr_t  tmp_addr;       // proxy ARP address swap
    ipv4_addr_t  flow_src;       // ECMP hash inputs (0 for INA: spray by seq)
    ipv4_addr_t  flow_dst;
    l4_port_t    flow_sport;
    l4_port_t    flow_dport;
    ina_seq_t    spray;
    // drop simulator
    job_id_t         sim_job;
    drop_threshold_t sim_threshold;
    drop_threshold_t sim_rand;
    // job (job_region / job_member)
    region_t      region_base;
    region_t      region_size;
    contrib_count_t n_workers;
    mcast_group_t mcast_grp;
    job_mode_t    mode;
    job_index_t   job_index;
    ipv4_addr_t   ps_addr;
    ipv4_addr_t   upstream_addr;
    worker_bitmap_t worker_mask;
    // scoreboard
    region_t        slot;
    cell_index_t    cell;
    cell_index_t    other_cell;
    worker_bitmap_t bitmap_old;
    worker_bitmap_t bitmap_new;
    worker_bitmap_t bitmap_other;
    worker_bitmap_t other_bitmap;
    contrib_count_t count_old;
    contrib_count_t count_new;
    contrib_count_t total_old;
    contrib_count_t total_new;
    block_exp_t     exp_old;
    block_exp_t     exp_new;
    ina_flags_t     ecn_old;
    ina_flags_t     ecn_new;
    owner_tag_t     owner_old;
    owner_tag_t     owner;
    timestamp_t     stamp_old;
    bit<1>          flush;       // contrib_count == 0: close the slot with what it holds
    bit<1>          stale;       // seq older than the cell's current round
    bit<1>          early;       // seq newer, but a worker may still need the old result
    worker_bitmap_t ack_old;
    contrib_count_t ack_count_old;
    worker_bitmap_t ack_other;
    contrib_count_t ack_count_other;
    owner_tag_t     other_owner;
    // per-lane update: value = (old & keep_mask) + (packet & add_mask)
    ina_value_t keep_mask;
    ina_value_t add_mask;
    ina_value_t lane_old;
    // egress thresholds
    qdepth_t ecn_qdepth;
    qdepth_t drop_qdepth;
}

#endif  // __INA_HEADERS__
