// Egress: ECN marking by importance (the early drop is in ingress), then result
// addressing.
#ifndef __INA_EGRESS__
#define __INA_EGRESS__

#include "headers.p4"
#include "queue_management.p4"
#include "result_delivery.p4"

control InaEgress(inout headers_t hdr, inout metadata_t meta,
                  inout standard_metadata_t standard_metadata) {
    QueueManagement() queue_management_control;
    ResultDelivery() result_delivery_control;

    apply {
        queue_management_control.apply(hdr, meta, standard_metadata);
        result_delivery_control.apply(hdr, meta, standard_metadata);
    }
}

#endif  // __INA_EGRESS__
