// IPv4 forwarding: LPM with an ECMP action selector. INA packets are sprayed
// per packet (the hash takes their sequence number instead of the 5-tuple):
// aggregation is order-independent, and every switch hashing the same
// (destination, seq) picks the same member, so one slot's contributions meet.
#ifndef __INA_FORWARDING__
#define __INA_FORWARDING__

#include "headers.p4"

control Forwarding(inout headers_t hdr, inout metadata_t meta,
                   inout standard_metadata_t standard_metadata) {
    action_selector(HashAlgorithm.crc16, ECMP_SELECTOR_SIZE, ECMP_HASH_BITS) ecmp_selector;

    action set_nexthop(port_t port, mac_addr_t src_mac, mac_addr_t dst_mac) {
        standard_metadata.egress_spec = port;
        hdr.ethernet.src_addr = src_mac;
        hdr.ethernet.dst_addr = dst_mac;
        hdr.ipv4.ttl = hdr.ipv4.ttl - 1;
    }

    table ipv4_lpm {
        key = {
            hdr.ipv4.dst_addr: lpm @name("dst_addr");
            meta.flow_src: selector;
            meta.flow_dst: selector;
            hdr.ipv4.protocol: selector;
            meta.flow_sport: selector;
            meta.flow_dport: selector;
            meta.spray: selector;
        }
        actions = { set_nexthop; @defaultonly NoAction; }
        implementation = ecmp_selector;
        size = IPV4_LPM_SIZE;
    }

    apply {
        meta.flow_dst = hdr.ipv4.dst_addr;
        if (hdr.ipv4.ttl <= 1) {
            meta.drop = 1;
            meta.drop_reason = DROP_TTL_EXPIRED;
        } else if (!ipv4_lpm.apply().hit) {
            // a miss (a selector table has no settable default action)
            meta.drop = 1;
            meta.drop_reason = DROP_NO_ROUTE;
        }
    }
}

#endif  // __INA_FORWARDING__
