// The model's state in the ArenaSnapshot form the heap view produces from real memory, so the
// differ can compare bins, top and last_remainder with glibc's after every op.
#ifndef HEAPTWIN_ORACLE_MODEL_SNAPSHOT_H_
#define HEAPTWIN_ORACLE_MODEL_SNAPSHOT_H_

#include "oracle/model/policy.h"
#include "oracle/trace.h"

namespace heaptwin::model {

ArenaSnapshot snapshot_of(const Policy& policy);

}  // namespace heaptwin::model

#endif  // HEAPTWIN_ORACLE_MODEL_SNAPSHOT_H_
