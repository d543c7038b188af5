// Importance-aware queue management, in two places (docs/dataplane.md,
// "Importance and congestion"):
//
// QueueAdmission (ingress): early drop. A packet that would wait behind at
// least the (queue, class) drop threshold is dropped before it is queued, so it
// takes neither a place in the queue nor a departure slot (an egress drop takes
// both: bmv2 and our traffic manager fix a packet's departure time when it is
// queued). Ingress cannot see the egress queues, and this compiler cannot share
// a register between ingress and egress (no top-level extern instances), so the
// queue is a virtual one kept in ingress: per output queue, the time its
// last admitted packet leaves if the queue drains at the controller's rate
// (service_us per packet). The wait ahead of a packet is busy_until - now; the
// controller turns a threshold of N packets waiting into N * service_us + 1.
//
// QueueManagement (egress): ECN. Above the (port, class) ECN threshold on the
// real enq_qdepth an ECN-capable packet is marked CE (marking needs no relief,
// it signals the senders).
#ifndef __INA_QUEUE_MANAGEMENT__
#define __INA_QUEUE_MANAGEMENT__

#include "headers.p4"

// an output queue of the early drop: egress port, or INA_PORTS + multicast group
typedef bit<16> queue_id_t;

control QueueAdmission(inout headers_t hdr, inout metadata_t meta,
                       inout standard_metadata_t standard_metadata) {
    // per output queue: when its last admitted packet leaves (ingress clock, us)
    register<timestamp_t>(INA_QUEUE_CLOCKS) queue_clock_reg;
    counter(INA_IMPORTANCE_CLASSES, CounterType.packets) queue_drop_counter;

    queue_id_t queue;
    bit<1> admit_known;
    timestamp_t queue_service_us;
    timestamp_t queue_drop_wait_us;
    timestamp_t busy_until;
    timestamp_t start;

    // service_us: time one packet takes to leave this queue (1e6 / its rate);
    // drop_wait_us: drop a packet that would wait this long or longer
    action set_queue_admission(bit<32> service_us, bit<32> drop_wait_us) {
        queue_service_us = (timestamp_t)service_us;
        queue_drop_wait_us = (timestamp_t)drop_wait_us;
    }

    // queue: egress port (unicast) or INA_PORTS + multicast group; a wildcard
    // queue (mask 0) is the class's default, an exact one a per-port override.
    table queue_admission {
        key = {
            queue: ternary @name("queue");
            meta.importance: exact @name("importance");
        }
        actions = { set_queue_admission; @defaultonly NoAction; }
        default_action = NoAction();
        size = QUEUE_THRESHOLD_SIZE;
    }

    apply {
        admit_known = 0;
        queue = 0;
        if (standard_metadata.mcast_grp != 0) {
            // one virtual queue per multicast group: its replicas leave together
            if (standard_metadata.mcast_grp < INA_QUEUE_GROUPS) {
                queue = (queue_id_t)INA_PORTS + (queue_id_t)standard_metadata.mcast_grp;
                admit_known = 1;
            }
        } else if (standard_metadata.egress_spec != DROP_PORT) {
            queue = (queue_id_t)standard_metadata.egress_spec;
            admit_known = 1;
        }
        if (admit_known == 1) {
            if (queue_admission.apply().hit) {
                queue_clock_reg.read(busy_until, (bit<32>)queue);
                if (busy_until > standard_metadata.ingress_global_timestamp
                    && busy_until - standard_metadata.ingress_global_timestamp >= queue_drop_wait_us) {
                    queue_drop_counter.count((bit<32>)meta.importance);
                    standard_metadata.mcast_grp = 0;
                    mark_to_drop(standard_metadata);
                } else {
                    start = standard_metadata.ingress_global_timestamp;
                    if (busy_until > start) {
                        start = busy_until;
                    }
                    queue_clock_reg.write((bit<32>)queue, start + queue_service_us);
                }
            }
        }
    }
}

control QueueManagement(inout headers_t hdr, inout metadata_t meta,
                        inout standard_metadata_t standard_metadata) {
    counter(INA_IMPORTANCE_CLASSES, CounterType.packets) ecn_mark_counter;

    action set_ecn_threshold(qdepth_t ecn_qdepth) {
        meta.ecn_qdepth = ecn_qdepth;
    }

    // a wildcard egress_port (mask 0) is the class's default, an exact one a
    // per-port override (higher priority)
    table ecn_threshold {
        key = {
            standard_metadata.egress_port: ternary @name("egress_port");
            meta.importance: exact @name("importance");
        }
        actions = { set_ecn_threshold; @defaultonly NoAction; }
        default_action = NoAction();
        size = QUEUE_THRESHOLD_SIZE;
    }

    apply {
        if (hdr.ipv4.isValid() && hdr.ipv4.ecn != 0) {
            if (ecn_threshold.apply().hit) {
                if (standard_metadata.enq_qdepth >= meta.ecn_qdepth) {
                    hdr.ipv4.ecn = ECN_CE;
                    ecn_mark_counter.count((bit<32>)meta.importance);
                }
            }
        }
    }
}

#endif  // __INA_QUEUE_MANAGEMENT__
