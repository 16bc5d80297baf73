// The case lifecycle of DESIGN.md §3 as data: one table of transitions, each
// with the roles that may take it and what it requires.
#ifndef CASESYNC_LIFECYCLE_H_
#define CASESYNC_LIFECYCLE_H_

#include <span>

#include "casesync/domain.h"
#include "casesync/status.h"

namespace casesync {

// Who may take a transition. kSystem is the server itself (auto-close).
enum class Actorship : unsigned {
  kCustomer = 1u << 0,  // customer or customer_admin
  kStaff = 1u << 1,     // agent or admin
  kSystem = 1u << 2,
};

// Named transitions: one per row of the table. The mutation that performs each
// one is in parentheses.
enum class Transition {
  kAccept,          // new → open (acceptCase)
  kRequestInfo,     // open → awaiting_info (requestInfo)
  kCustomerReply,   // awaiting_info → open, automatic (addComment, update…)
  kResolve,         // new/open/awaiting_info → resolved (resolveCase)
  kAcceptSolution,  // resolved → closed (acceptSolution)
  kAutoClose,       // resolved → closed by the server after N days
  kRejectSolution,  // resolved → open (rejectSolution)
  kCancel,          // new/open/awaiting_info → canceled (cancelCase)
  kClose,           // new/open/awaiting_info → closed (closeCase)
};

struct TransitionRule {
  Transition transition;
  const char* name;                 // "resolve"
  std::span<const CaseState> from;  // states it may start from
  CaseState to;
  unsigned who;                // Actorship bits
  bool needs_comment;          // requestInfo, rejectSolution
  bool needs_resolution_code;  // resolve
  bool needs_notes;            // resolve, close, cancel (reason)
};

// The whole table, in the order of DESIGN §3.
std::span<const TransitionRule> TransitionTable();
const TransitionRule& RuleFor(Transition t);

bool IsTerminal(CaseState s);

// Whether `role` (kSystem when `system` is true) may take `t` from `from`.
// Errors: kCaseTerminal when `from` is closed/canceled, kInvalidTransition when
// `from` is not a start state of `t`, kForbidden when the role may not.
Status CheckTransition(Transition t, CaseState from, Role role,
                       bool system = false);

}  // namespace casesync

#endif  // CASESYNC_LIFECYCLE_H_
