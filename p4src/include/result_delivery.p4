// Result delivery: each copy of a result (multicast or unicast) gets the
// MAC and IPv4 address of the host behind its egress port, so the host's
// UDP socket accepts it. Ports towards other switches need no entry.
#ifndef __INA_RESULT_DELIVERY__
#define __INA_RESULT_DELIVERY__

#include "headers.p4"

control ResultDelivery(inout headers_t hdr, inout metadata_t meta,
                       inout standard_metadata_t standard_metadata) {
    action set_result_destination(mac_addr_t dst_mac, ipv4_addr_t dst_addr) {
        hdr.ethernet.dst_addr = dst_mac;
        hdr.ipv4.dst_addr = dst_addr;
        hdr.udp.checksum = 0;
    }

    table result_destination {
        key = { standard_metadata.egress_port: exact @name("egress_port"); }
        actions = { set_result_destination; @defaultonly NoAction; }
        default_action = NoAction();
        size = PORT_TABLE_SIZE;
    }

    apply {
        if (hdr.ina.isValid() && hdr.ina.msg_type == INA_MSG_RESULT) {
            result_destination.apply();
        }
    }
}

#endif  // __INA_RESULT_DELIVERY__
