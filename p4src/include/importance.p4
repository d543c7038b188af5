// Importance classification: IPv4 DSCP -> importance class, which is also
// the packet's queue priority (standard_metadata.priority; simple_switch
// --priority-queues serves higher values first).
#ifndef __INA_IMPORTANCE__
#define __INA_IMPORTANCE__

#include "headers.p4"

control ImportanceClassifier(inout headers_t hdr, inout metadata_t meta,
                             inout standard_metadata_t standard_metadata) {
    action set_importance_class(importance_t importance) {
        meta.importance = importance;
        standard_metadata.priority = importance;
    }

    table importance_class {
        key = { hdr.ipv4.dscp: exact @name("dscp"); }
        actions = { set_importance_class; }
        default_action = set_importance_class(IMPORTANCE_NORMAL);
        size = 64;  // every DSCP value
    }

    apply {
        importance_class.apply();
    }
}

#endif  // __INA_IMPORTANCE__
