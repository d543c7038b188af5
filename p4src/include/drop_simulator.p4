// Drop simulator: drops a controller-set fraction of the packets arriving on a
// port and/or of a job (ternary match), to test loss tolerance reproducibly
// inside the program itself. threshold / DROP_SIM_SCALE is the drop probability.
#ifndef __INA_DROP_SIMULATOR__
#define __INA_DROP_SIMULATOR__

#include "headers.p4"

control DropSimulator(inout headers_t hdr, inout metadata_t meta,
                      inout standard_metadata_t standard_metadata) {
    action set_drop_probability(drop_threshold_t threshold) {
        meta.sim_threshold = threshold;
    }

    table drop_simulator {
        key = {
            standard_metadata.ingress_port: ternary @name("ingress_port");
            meta.sim_job: ternary @name("job_id");
        }
        actions = { set_drop_probability; @defaultonly NoAction; }
        default_action = NoAction();
        size = DROP_SIM_SIZE;
    }

    apply {
        if (hdr.ina.isValid()) {
            meta.sim_job = hdr.ina.job_id;
        }
        if (drop_simulator.apply().hit) {
            random(meta.sim_rand, (drop_threshold_t)0, (drop_threshold_t)(DROP_SIM_SCALE - 1));
            if (meta.sim_rand < meta.sim_threshold) {
                meta.drop = 1;
                meta.drop_reason = DROP_SIM_DROP;
            }
        }
    }
}

#endif  // __INA_DROP_SIMULATOR__
