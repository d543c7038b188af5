// Ingress: classify, maybe drop (simulator), aggregate INA, route the rest, then
// drop early by importance where the output queue is long. Every other drop goes
// through one place and is counted by reason; early drops are counted by class
// (queue_drop_counter).
#ifndef __INA_INGRESS__
#define __INA_INGRESS__

#include "headers.p4"
#include "arp_proxy.p4"
#include "importance.p4"
#include "drop_simulator.p4"
#include "aggregation.p4"
#include "forwarding.p4"
#include "queue_management.p4"

control InaIngress(inout headers_t hdr, inout metadata_t meta,
                   inout standard_metadata_t standard_metadata) {
    counter(INA_DROP_REASONS, CounterType.packets) ina_drop_counter;

    ArpProxy() arp_proxy_control;
    ImportanceClassifier() importance_control;
    DropSimulator() drop_simulator_control;
    Aggregation() aggregation_control;
    Forwarding() forwarding_control;
    QueueAdmission() queue_admission_control;

    apply {
        if (hdr.arp.isValid()) {
            arp_proxy_control.apply(hdr, meta, standard_metadata);
        } else if (hdr.ipv4.isValid()) {
            importance_control.apply(hdr, meta, standard_metadata);
            drop_simulator_control.apply(hdr, meta, standard_metadata);
            if (meta.drop == 0) {
                meta.route = 1;
                meta.flow_src = hdr.ipv4.src_addr;
                if (hdr.udp.isValid()) {
                    meta.flow_sport = hdr.udp.src_port;
                    meta.flow_dport = hdr.udp.dst_port;
                }
                if (hdr.ina.isValid()) {
                    // spray: hash (destination, seq) only
                    meta.route = 0;
                    meta.flow_src = 0;
                    meta.flow_sport = 0;
                    meta.spray = hdr.ina.seq;
                    aggregation_control.apply(hdr, meta, standard_metadata);
                }
                if (meta.route == 1 && meta.drop == 0) {
                    forwarding_control.apply(hdr, meta, standard_metadata);
                }
                if (meta.drop == 0) {
                    // early drop by importance, once the output is chosen
                    queue_admission_control.apply(hdr, meta, standard_metadata);
                }
            }
        } else {
            meta.drop = 1;
            meta.drop_reason = DROP_UNSUPPORTED;
        }
        if (meta.drop == 1) {
            ina_drop_counter.count((bit<32>)meta.drop_reason);
            standard_metadata.mcast_grp = 0;
            mark_to_drop(standard_metadata);
        }
    }
}

#endif  // __INA_INGRESS__
