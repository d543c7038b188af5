// In-network aggregation: SwitchML's scoreboard in v1model registers, with
// ATP's best-effort sharing and two-level (leaf -> spine) aggregation.
//
// State per register cell (cell = shadow * INA_SLOTS + region base + slot):
// K value registers, contributor bitmap, contributor count, workers summed, max block
// exponent, ECN-echo flag, owner tag (job ++ seq: the round; best-effort: the block). See docs/dataplane.md for
// the slot state machine.
#ifndef __INA_AGGREGATION__
#define __INA_AGGREGATION__

#include "headers.p4"

// value = (stored & keep_mask) + (packet & add_mask), written back to the
// register and to the packet: keep 0 / add ~0 overwrites (first contribution),
// keep ~0 / add ~0 adds, keep ~0 / add 0 reads (a result for a retransmission).
#define INA_LANE_UPDATE(i) \
    value_reg_##i.read(meta.lane_old, meta.cell); \
    hdr.data.v##i = (meta.lane_old & meta.keep_mask) + (hdr.data.v##i & meta.add_mask); \
    value_reg_##i.write(meta.cell, hdr.data.v##i);

// Apply-block snippets kept as macros, not actions, so that they add no objects to
// the P4Info the controller's generated names follow.
//
// A result leaves from the address the contributions were sent to (the job's
// aggregation address, or the spine's upstream address; MAC likewise), UDP port
// INA_UDP_PORT: never from the receiver's own address, which Linux drops as a martian.
#define INA_BECOME_RESULT \
    hdr.ina.msg_type = INA_MSG_RESULT; \
    hdr.ethernet.src_addr = hdr.ethernet.dst_addr; \
    hdr.ipv4.src_addr = hdr.ipv4.dst_addr; \
    hdr.udp.src_port = INA_UDP_PORT;

#define INA_WRITE_CELL \
    bitmap_reg.write(meta.cell, meta.bitmap_new); \
    count_reg.write(meta.cell, meta.count_new); \
    total_reg.write(meta.cell, meta.total_new); \
    exp_reg.write(meta.cell, meta.exp_new); \
    ecn_reg.write(meta.cell, meta.ecn_new); \
    owner_reg.write(meta.cell, meta.owner); \
    stamp_reg.write(meta.cell, standard_metadata.ingress_global_timestamp); \
    ack_reg.write(meta.cell, 0); \
    ack_count_reg.write(meta.cell, 0);

#define INA_VALUE_REGISTER(i) register<ina_value_t>(INA_CELLS) value_reg_##i;

control Aggregation(inout headers_t hdr, inout metadata_t meta,
                    inout standard_metadata_t standard_metadata) {
    register<worker_bitmap_t>(INA_CELLS) bitmap_reg;
    register<contrib_count_t>(INA_CELLS) count_reg;  // distinct contributors (completion)
    register<contrib_count_t>(INA_CELLS) total_reg;  // workers summed: sum of contrib_count
    register<block_exp_t>(INA_CELLS) exp_reg;
    register<ina_flags_t>(INA_CELLS) ecn_reg;
    register<owner_tag_t>(INA_CELLS) owner_reg;
    register<timestamp_t>(INA_CELLS) stamp_reg;  // last update (best-effort lease)
    // workers known to have the cell's result (they sent a later seq): the round may be
    // replaced by a newer one only when all n_workers have it
    register<worker_bitmap_t>(INA_CELLS) ack_reg;
    register<contrib_count_t>(INA_CELLS) ack_count_reg;
    INA_FOR_LANES(INA_VALUE_REGISTER)

    counter(INA_EVENTS, CounterType.packets) ina_event_counter;
    // per job: row job_index, column event / drop reason
    counter(INA_MAX_JOBS * INA_EVENTS, CounterType.packets) job_event_counter;
    counter(INA_MAX_JOBS * INA_DROP_REASONS, CounterType.packets) job_drop_counter;
    direct_counter(CounterType.packets_and_bytes) job_region_counter;

    // ---- job admission: job id -> region of aggregator memory and delivery
    action set_job_region(region_t region_base, region_t region_size, contrib_count_t n_workers,
                          mcast_group_t mcast_grp, job_mode_t mode, ipv4_addr_t ps_addr,
                          ipv4_addr_t upstream_addr, job_index_t job_index) {
        meta.region_base = region_base;
        meta.region_size = region_size;
        meta.n_workers = n_workers;
        meta.mcast_grp = mcast_grp;
        meta.mode = mode;
        meta.ps_addr = ps_addr;
        meta.upstream_addr = upstream_addr;
        meta.job_index = job_index;
    }

    table job_region {
        key = { hdr.ina.job_id: exact @name("job_id"); }
        actions = { set_job_region; @defaultonly NoAction; }
        default_action = NoAction();
        counters = job_region_counter;
        size = INA_MAX_JOBS;
    }

    // ---- membership: (job, ingress port) -> the sender's bit in the bitmap
    action set_job_member(worker_id_t worker_index) {
        meta.worker_mask = (worker_bitmap_t)1 << worker_index;
    }

    table job_member {
        key = {
            hdr.ina.job_id: exact @name("job_id");
            standard_metadata.ingress_port: exact @name("ingress_port");
        }
        actions = { set_job_member; @defaultonly NoAction; }
        default_action = NoAction();
        size = INA_MAX_MEMBERS;
    }

    action update_values() {
        INA_FOR_LANES(INA_LANE_UPDATE)
    }

    // The packet becomes the slot's aggregate (values already in hdr.data).
    action load_aggregate_header() {
        hdr.ina.bitmap = meta.bitmap_new;
        hdr.ina.contrib_count = meta.total_new;
        hdr.ina.block_exp = meta.exp_new;
        hdr.ina.flags = (hdr.ina.flags & INA_FLAG_SHADOW) | meta.ecn_new;
        hdr.udp.checksum = 0;
    }

    action send_upstream() {
        hdr.ina.flags = hdr.ina.flags | INA_FLAG_UPSTREAM;
        hdr.ipv4.dst_addr = meta.upstream_addr;
        meta.route = 1;
    }

    action count_event(bit<8> event) {
        ina_event_counter.count((bit<32>)event);
        job_event_counter.count((bit<32>)meta.job_index * INA_EVENTS + (bit<32>)event);
    }

    action drop_packet(bit<8> reason) {
        meta.drop = 1;
        meta.drop_reason = reason;
    }

    // a drop of a known job's packet, also counted in the job's row
    action drop_job_packet(bit<8> reason) {
        meta.drop = 1;
        meta.drop_reason = reason;
        job_drop_counter.count((bit<32>)meta.job_index * INA_DROP_REASONS + (bit<32>)reason);
    }

    apply {
        if (!hdr.data.isValid() || hdr.ina.value_count != INA_LANES) {
            drop_packet(DROP_BAD_LANES);
        } else if (!job_region.apply().hit) {
            drop_packet(DROP_UNKNOWN_JOB);
        } else if (hdr.ina.msg_type == INA_MSG_RESULT) {
            // A spine's result reaching a leaf: deliver to the leaf's workers.
            if (meta.mode == JOB_MODE_LEAF) {
                standard_metadata.mcast_grp = meta.mcast_grp;
                hdr.udp.checksum = 0;
                count_event(EVENT_RESULT_DOWN);
                // ... and keep it in the rack's cell (marked INA_FLAG_UPSTREAM in ecn_reg):
                // a worker that lost it gets it from here, even once the spine moved on
                meta.slot = (region_t)hdr.ina.slot_id;
                meta.cell = meta.region_base + meta.slot;
                if ((hdr.ina.flags & INA_FLAG_SHADOW) != 0) {
                    meta.cell = INA_SLOTS + meta.region_base + meta.slot;
                }
                if (meta.slot < meta.region_size && meta.region_base + meta.slot < INA_SLOTS) {
                    owner_reg.read(meta.owner_old, meta.cell);
                    bitmap_reg.read(meta.bitmap_old, meta.cell);
                    count_reg.read(meta.count_old, meta.cell);
                    meta.owner = ((owner_tag_t)hdr.ina.job_id << 32) | (owner_tag_t)hdr.ina.seq;
                    if (meta.owner_old == meta.owner && meta.bitmap_old != 0
                            && meta.count_old == meta.n_workers) {
                        meta.keep_mask = 0;
                        meta.add_mask = 0xFFFFFFFF;
                        update_values();  // the packet's values into the registers
                        total_reg.write(meta.cell, hdr.ina.contrib_count);
                        exp_reg.write(meta.cell, hdr.ina.block_exp);
                        ecn_reg.write(meta.cell,
                                      (hdr.ina.flags & INA_FLAG_ECN_ECHO) | INA_FLAG_UPSTREAM);
                    }
                }
            } else if (meta.ps_addr != 0 && hdr.ipv4.src_addr == meta.ps_addr
                    && hdr.udp.src_port == INA_PS_UDP_PORT) {
                // The job's PS answering its workers (a block that collided, or a job the
                // PS aggregates): an ordinary routed packet, registers untouched. A result
                // from anyone else is forged and dropped.
                meta.route = 1;
            } else {
                drop_job_packet(DROP_BAD_MSG_TYPE);
            }
        } else if (hdr.ina.msg_type != INA_MSG_CONTRIB) {
            drop_job_packet(DROP_BAD_MSG_TYPE);
        } else if (!job_member.apply().hit) {
            drop_job_packet(DROP_NOT_MEMBER);
        } else {
            // ---- locate the cell (region base added here, never by the host)
            if (meta.mode == JOB_MODE_BEST_EFFORT) {
                hash(meta.slot, HashAlgorithm.crc32, (region_t)0,
                     { hdr.ina.job_id, hdr.ina.seq }, meta.region_size);
                meta.cell = meta.region_base + meta.slot;
            } else {
                meta.slot = (region_t)hdr.ina.slot_id;
                meta.cell = meta.region_base + meta.slot;
                meta.other_cell = INA_SLOTS + meta.region_base + meta.slot;
                if ((hdr.ina.flags & INA_FLAG_SHADOW) != 0) {
                    meta.cell = INA_SLOTS + meta.region_base + meta.slot;
                    meta.other_cell = meta.region_base + meta.slot;
                }
            }
            if (meta.slot >= meta.region_size || meta.region_base + meta.slot >= INA_SLOTS) {
                drop_job_packet(DROP_OUT_OF_REGION);
            } else {
                bitmap_reg.read(meta.bitmap_old, meta.cell);
                count_reg.read(meta.count_old, meta.cell);
                total_reg.read(meta.total_old, meta.cell);
                exp_reg.read(meta.exp_old, meta.cell);
                ecn_reg.read(meta.ecn_old, meta.cell);
                owner_reg.read(meta.owner_old, meta.cell);
                stamp_reg.read(meta.stamp_old, meta.cell);
                meta.owner = ((owner_tag_t)hdr.ina.job_id << 32) | (owner_tag_t)hdr.ina.seq;

                if (hdr.ina.contrib_count == 0) {
                    meta.flush = 1;
                }

                if (meta.mode == JOB_MODE_BEST_EFFORT) {
                    if (meta.bitmap_old != 0 && meta.owner_old != meta.owner
                            && standard_metadata.ingress_global_timestamp - meta.stamp_old
                               >= INA_BE_LEASE_US) {
                        // lease expired: the abandoned partial is dropped, this block starts afresh
                        meta.bitmap_old = 0;
                        count_event(EVENT_RECLAIMED);
                    }
                } else {
                    // ---- acknowledgements (SwitchML's argument, kept across flushes): a
                    // worker sends seq q only once it has the result of q's predecessor in
                    // the other set, so q acknowledges that older round there.
                    bitmap_reg.read(meta.other_bitmap, meta.other_cell);
                    owner_reg.read(meta.other_owner, meta.other_cell);
                    if (meta.other_bitmap != 0
                            && (job_id_t)(meta.other_owner >> 32) == hdr.ina.job_id
                            && (((ina_seq_t)meta.other_owner - hdr.ina.seq) & 0x80000000) != 0) {
                        ack_reg.read(meta.ack_other, meta.other_cell);
                        if ((meta.ack_other & meta.worker_mask) == 0) {
                            ack_reg.write(meta.other_cell, meta.ack_other | meta.worker_mask);
                            ack_count_reg.read(meta.ack_count_other, meta.other_cell);
                            ack_count_reg.write(meta.other_cell, meta.ack_count_other + 1);
                        }
                    }
                    if (meta.bitmap_old != 0
                            && (job_id_t)(meta.owner_old >> 32) != hdr.ina.job_id) {
                        meta.bitmap_old = 0;  // another job's leftovers
                        count_event(EVENT_RESET);
                    } else if (meta.bitmap_old != 0 && meta.count_old == meta.n_workers) {
                        // ---- a complete round: replaced only once every worker has its
                        // result, since nobody can fetch it again after that
                        ack_reg.read(meta.ack_old, meta.cell);
                        ack_count_reg.read(meta.ack_count_old, meta.cell);
                        if (meta.owner_old != meta.owner
                                && ((hdr.ina.seq - (ina_seq_t)meta.owner_old) & 0x80000000) == 0
                                && (meta.ack_old & meta.worker_mask) == 0) {
                            // a newer seq: the sender is done with the old round as well
                            meta.ack_count_old = meta.ack_count_old + 1;
                            ack_reg.write(meta.cell, meta.ack_old | meta.worker_mask);
                            ack_count_reg.write(meta.cell, meta.ack_count_old);
                        }
                        if (meta.ack_count_old >= meta.n_workers) {
                            if (meta.owner_old != meta.owner
                                    && ((hdr.ina.seq - (ina_seq_t)meta.owner_old) & 0x80000000)
                                       == 0) {
                                meta.bitmap_old = 0;  // the next round
                                count_event(EVENT_RESET);
                            } else if (meta.flush == 0
                                    && (hdr.ina.flags & INA_FLAG_RESEND) == 0) {
                                // a first transmission of this or an older seq to a finished
                                // round: a relaunched worker restarting the sequence
                                meta.bitmap_old = 0;
                                count_event(EVENT_RESET);
                            } else {
                                meta.stale = 1;  // a late resend or flush: nobody needs it
                            }
                        } else if (meta.owner_old != meta.owner) {
                            if (((hdr.ina.seq - (ina_seq_t)meta.owner_old) & 0x80000000) != 0) {
                                meta.stale = 1;  // older: a late packet or a relaunched worker
                            } else {
                                meta.early = 1;  // a worker may still need the old result
                            }
                        }
                    } else if (meta.bitmap_old != 0 && meta.owner_old != meta.owner) {
                        // ---- a partial round of another seq
                        if (((hdr.ina.seq - (ina_seq_t)meta.owner_old) & 0x80000000) != 0) {
                            meta.stale = 1;  // older
                        } else {
                            // newer: the partial cannot be needed (its seq was finished by
                            // the sender, so it was complete once): a late packet's leftover
                            meta.bitmap_old = 0;
                            count_event(EVENT_RESET);
                        }
                    }
                }

                if (meta.stale == 1) {
                    mark_to_drop(standard_metadata);
                    count_event(EVENT_STALE);
                } else if (meta.early == 1) {
                    mark_to_drop(standard_metadata);  // the sender's timer retries
                    count_event(EVENT_EARLY);
                } else if (meta.mode == JOB_MODE_BEST_EFFORT
                        && (meta.flush == 1 || meta.bitmap_old != 0)
                        && (meta.flush == 1 || meta.owner_old != meta.owner)) {
                    // ---- collision: the cell aggregates another block; the PS does this one.
                    // A flush always goes to the PS (the cell forgets completed blocks).
                    hdr.ina.flags = hdr.ina.flags | INA_FLAG_COLLISION;
                    hdr.ipv4.dst_addr = meta.ps_addr;
                    hdr.udp.dst_port = INA_PS_UDP_PORT;
                    hdr.udp.checksum = 0;
                    meta.route = 1;
                    count_event(EVENT_COLLISION);
                } else if (meta.bitmap_old != 0 && meta.count_old == meta.n_workers) {
                    // ---- complete (or closed by a flush): the result to the sender, whatever
                    // its bit (a closed slot's missing worker gets the partial, never adds)
                    meta.keep_mask = 0xFFFFFFFF;
                    meta.add_mask = 0;
                    update_values();
                    meta.bitmap_new = meta.bitmap_old;
                    meta.count_new = meta.count_old;
                    meta.total_new = meta.total_old;
                    meta.exp_new = meta.exp_old;
                    meta.ecn_new = meta.ecn_old & INA_FLAG_ECN_ECHO;
                    load_aggregate_header();
                    if (meta.mode == JOB_MODE_LEAF && (meta.ecn_old & INA_FLAG_UPSTREAM) == 0) {
                        // no final result here yet: the spine answers the leaf's resend
                        hdr.ina.flags = hdr.ina.flags | INA_FLAG_RESEND;
                        send_upstream();
                        count_event(EVENT_UPSTREAM_RESEND);
                    } else {
                        INA_BECOME_RESULT
                        hdr.ina.flags = hdr.ina.flags | INA_FLAG_UNICAST;
                        standard_metadata.egress_spec = standard_metadata.ingress_port;
                        count_event(EVENT_RESULT_UNICAST);
                    }
                } else if (meta.flush == 1) {
                    // ---- flush: close the slot with what it holds, the partial to everyone
                    meta.add_mask = 0;
                    meta.keep_mask = 0;
                    meta.bitmap_new = meta.worker_mask;  // an empty closed cell stays occupied
                    meta.total_new = 0;
                    meta.exp_new = 0;
                    meta.ecn_new = 0;
                    if (meta.bitmap_old != 0) {
                        meta.keep_mask = 0xFFFFFFFF;
                        meta.bitmap_new = meta.bitmap_old;
                        meta.total_new = meta.total_old;
                        meta.exp_new = meta.exp_old;
                        meta.ecn_new = meta.ecn_old;
                    }
                    meta.count_new = meta.n_workers;
                    update_values();
                    load_aggregate_header();
                    if (meta.bitmap_old == 0) {
                        hdr.ina.bitmap = 0;  // nobody contributed
                    }
                    if (meta.mode == JOB_MODE_LEAF) {
                        send_upstream();  // the rack's partial (a flush if empty) goes up
                        count_event(EVENT_UPSTREAM);
                    } else {
                        INA_BECOME_RESULT
                        standard_metadata.mcast_grp = meta.mcast_grp;
                    }
                    count_event(EVENT_FLUSHED);
                    INA_WRITE_CELL
                } else if ((meta.bitmap_old & meta.worker_mask) != 0) {
                    // ---- retransmission to a partial slot: never added twice.
                    mark_to_drop(standard_metadata);
                    count_event(EVENT_DUPLICATE);
                } else {
                    // ---- a new contribution
                    meta.add_mask = 0xFFFFFFFF;
                    if (meta.bitmap_old == 0) {
                        meta.keep_mask = 0;
                        meta.count_new = 1;
                        meta.total_new = hdr.ina.contrib_count;
                        meta.exp_new = hdr.ina.block_exp;
                        meta.ecn_new = 0;
                    } else {
                        meta.keep_mask = 0xFFFFFFFF;
                        meta.count_new = meta.count_old + 1;
                        meta.total_new = meta.total_old + hdr.ina.contrib_count;
                        meta.exp_new = meta.exp_old;
                        if (hdr.ina.block_exp > meta.exp_old) {
                            meta.exp_new = hdr.ina.block_exp;
                        }
                        meta.ecn_new = meta.ecn_old;
                    }
                    if (hdr.ipv4.ecn == ECN_CE) {
                        meta.ecn_new = INA_FLAG_ECN_ECHO;
                    }
                    meta.bitmap_new = meta.bitmap_old | meta.worker_mask;
                    update_values();
                    if (meta.count_new == meta.n_workers) {
                        load_aggregate_header();
                        if (meta.mode == JOB_MODE_LEAF) {
                            send_upstream();
                            count_event(EVENT_UPSTREAM);
                        } else {
                            INA_BECOME_RESULT
                            standard_metadata.mcast_grp = meta.mcast_grp;
                            count_event(EVENT_COMPLETED);
                        }
                        if (meta.mode == JOB_MODE_BEST_EFFORT) {
                            meta.bitmap_new = 0;  // free the cell for the next block
                        }
                    } else {
                        mark_to_drop(standard_metadata);
                        count_event(EVENT_ABSORBED);
                    }
                    INA_WRITE_CELL
                }
            }
        }
    }
}

#endif  // __INA_AGGREGATION__
