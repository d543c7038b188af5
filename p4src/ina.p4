// inalab INA program (P4_16, v1model / bmv2 simple_switch).
// Build: inalab-p4c (or p4c-bm2-ss) --arch v1model -I p4src [-DINA_LANES=64] [-DINA_SLOTS=N] p4src/ina.p4
// Behaviour and tables: docs/dataplane.md; packet format: docs/protocol.md.
#include <core.p4>
// The v1model API this program is written for, p4c's default one: register<T> and
// counter/register indices of type bit<32> (V1MODEL_VERSION 20200408 declares
// register<T, I> instead). Pinned rather than left to the compiler's default;
// docs/dataplane.md, "Real p4c compatibility".
#ifndef V1MODEL_VERSION
#define V1MODEL_VERSION 20180101
#endif
#include <v1model.p4>

#include "include/sizes.p4"
#include "include/headers.p4"
#include "include/parser.p4"
#include "include/ingress.p4"
#include "include/egress.p4"
#include "include/deparser.p4"

V1Switch(InaParser(), InaVerifyChecksum(), InaIngress(), InaEgress(), InaComputeChecksum(),
         InaDeparser()) main;
