// Parser: Ethernet -> ARP | IPv4 -> ICMP | UDP -> INA header -> K values.
#ifndef __INA_PARSER__
#define __INA_PARSER__

#include "headers.p4"

parser InaParser(packet_in packet, out headers_t hdr, inout metadata_t meta,
                 inout standard_metadata_t standard_metadata) {
    state start {
        packet.extract(hdr.ethernet);
        transition select(hdr.ethernet.ether_type) {
            ETHERTYPE_IPV4: parse_ipv4;
            ETHERTYPE_ARP: parse_arp;
            default: accept;
        }
    }

    state parse_arp {
        packet.extract(hdr.arp);
        transition accept;
    }

    state parse_ipv4 {
        packet.extract(hdr.ipv4);
        // INA traffic carries no IPv4 options (ihl 5); other packets are only routed.
        transition select(hdr.ipv4.ihl, hdr.ipv4.protocol) {
            (5, IP_PROTO_UDP): parse_udp;
            (5, IP_PROTO_ICMP): parse_icmp;
            default: accept;
        }
    }

    state parse_icmp {
        packet.extract(hdr.icmp);
        transition accept;
    }

    state parse_udp {
        packet.extract(hdr.udp);
        transition select(hdr.udp.dst_port) {
            INA_UDP_PORT: parse_ina;
            default: accept;
        }
    }

    state parse_ina {
        packet.extract(hdr.ina);
        // A packet too short for K values ends with PacketTooShort and
        // hdr.data invalid: ingress drops it (DROP_BAD_LANES).
        packet.extract(hdr.data);
        transition accept;
    }
}

#endif  // __INA_PARSER__
