// Egress queue management by importance: above a class's ECN threshold the
// packet is ECN-CE marked (if ECN-capable), above its drop threshold it is
// dropped; low classes get lower thresholds, so they go first.
#ifndef __INA_QUEUE_MANAGEMENT__
#define __INA_QUEUE_MANAGEMENT__

#include "headers.p4"

control QueueManagement(inout headers_t hdr, inout metadata_t meta,
                        inout standard_metadata_t standard_metadata) {
    counter(INA_IMPORTANCE_CLASSES, CounterType.packets) queue_drop_counter;
    counter(INA_IMPORTANCE_CLASSES, CounterType.packets) ecn_mark_counter;

    action set_queue_threshold(qdepth_t ecn_qdepth, qdepth_t drop_qdepth) {
        meta.ecn_qdepth = ecn_qdepth;
        meta.drop_qdepth = drop_qdepth;
    }

    table queue_threshold {
        key = { meta.importance: exact @name("importance"); }
        actions = { set_queue_threshold; @defaultonly NoAction; }
        default_action = NoAction();
        size = INA_IMPORTANCE_CLASSES;
    }

    apply {
        if (queue_threshold.apply().hit) {
            if (standard_metadata.enq_qdepth >= meta.drop_qdepth) {
                queue_drop_counter.count((bit<32>)meta.importance);
                mark_to_drop(standard_metadata);
            } else if (standard_metadata.enq_qdepth >= meta.ecn_qdepth) {
                if (hdr.ipv4.isValid() && hdr.ipv4.ecn != 0) {
                    hdr.ipv4.ecn = ECN_CE;
                    ecn_mark_counter.count((bit<32>)meta.importance);
                }
            }
        }
    }
}

#endif  // __INA_QUEUE_MANAGEMENT__
