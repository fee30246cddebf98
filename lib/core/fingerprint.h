// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// A stable 64-bit fingerprint of an identity, so that the working set can
// tell who sent a message without keeping the sender's identity (personal
// data, history in the store). Stable: the same in every process and build,
// because it is kept in snapshots. Not a secret and not collision-resistant
// against someone crafting identities; two distinct identities share a
// fingerprint with a probability of about 2^-64 otherwise, and the only use
// (which messages an unmerge gives back) tolerates that.

#ifndef OMNIROUTE_LIB_CORE_FINGERPRINT_H_
#define OMNIROUTE_LIB_CORE_FINGERPRINT_H_

#include <cstdint>

#include "omniroute/identity.h"

namespace omniroute::core {

// Never 0, which stands for "no sender".
uint64_t IdentityFingerprint(const Identity& identity);

}  // namespace omniroute::core

#endif  // OMNIROUTE_LIB_CORE_FINGERPRINT_H_
