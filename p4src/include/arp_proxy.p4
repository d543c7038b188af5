// Proxy ARP: the switch answers ARP requests for addresses the controller
// installed (hosts and gateways), so no broadcast domain is needed.
#ifndef __INA_ARP_PROXY__
#define __INA_ARP_PROXY__

#include "headers.p4"

control ArpProxy(inout headers_t hdr, inout metadata_t meta,
                 inout standard_metadata_t standard_metadata) {
    // Turn the request into the reply, sent back out of its ingress port.
    action arp_reply(mac_addr_t mac) {
        hdr.ethernet.dst_addr = hdr.arp.sender_mac;
        hdr.ethernet.src_addr = mac;
        hdr.arp.opcode = ARP_OP_REPLY;
        hdr.arp.target_mac = hdr.arp.sender_mac;
        hdr.arp.sender_mac = mac;
        meta.tmp_addr = hdr.arp.sender_ip;
        hdr.arp.sender_ip = hdr.arp.target_ip;
        hdr.arp.target_ip = meta.tmp_addr;
        standard_metadata.egress_spec = standard_metadata.ingress_port;
    }

    action arp_miss() {
        meta.drop = 1;
        meta.drop_reason = DROP_ARP_MISS;
    }

    table arp_proxy {
        key = { hdr.arp.target_ip: exact @name("target_ip"); }
        actions = { arp_reply; arp_miss; }
        default_action = arp_miss();
        size = ARP_PROXY_SIZE;
    }

    apply {
        if (hdr.arp.opcode == ARP_OP_REQUEST) {
            arp_proxy.apply();
        } else {
            arp_miss();
        }
    }
}

#endif  // __INA_ARP_PROXY__
