#include "casesync/lifecycle.h"

#include <algorithm>
#include <iterator>
#include <string>

namespace casesync {
namespace {

constexpr unsigned kCustomer = static_cast<unsigned>(Actorship::kCustomer);
constexpr unsigned kStaff = static_cast<unsigned>(Actorship::kStaff);
constexpr unsigned kSystem = static_cast<unsigned>(Actorship::kSystem);

constexpr CaseState kFromNew[] = {CaseState::kNew};
constexpr CaseState kFromOpen[] = {CaseState::kOpen};
constexpr CaseState kFromAwaitingInfo[] = {CaseState::kAwaitingInfo};
constexpr CaseState kFromResolved[] = {CaseState::kResolved};
constexpr CaseState kFromActive[] = {CaseState::kNew, CaseState::kOpen,
                                     CaseState::kAwaitingInfo};

// DESIGN §3, one row per Transition, in enum order.
constexpr TransitionRule kRules[] = {
    // transition, name, from, to, who,
    //   needs_comment, needs_resolution_code, needs_notes
    {Transition::kAccept, "accept", kFromNew, CaseState::kOpen, kStaff, false,
     false, false},
    {Transition::kRequestInfo, "request_info", kFromOpen,
     CaseState::kAwaitingInfo, kStaff, true, false, false},
    {Transition::kCustomerReply, "customer_reply", kFromAwaitingInfo,
     CaseState::kOpen, kCustomer, false, false, false},
    {Transition::kResolve, "resolve", kFromActive, CaseState::kResolved, kStaff,
     false, true, true},
    {Transition::kAcceptSolution, "accept_solution", kFromResolved,
     CaseState::kClosed, kCustomer, false, false, false},
    {Transition::kAutoClose, "auto_close", kFromResolved, CaseState::kClosed,
     kSystem, false, false, false},
    {Transition::kRejectSolution, "reject_solution", kFromResolved,
     CaseState::kOpen, kCustomer, true, false, false},
    {Transition::kCancel, "cancel", kFromActive, CaseState::kCanceled,
     kCustomer | kStaff, false, false, true},
    {Transition::kClose, "close", kFromActive, CaseState::kClosed, kStaff,
     false, false, true},
};

constexpr bool RulesAreInEnumOrder() {
  for (size_t i = 0; i < std::size(kRules); ++i) {
    if (static_cast<size_t>(kRules[i].transition) != i) return false;
  }
  return std::size(kRules) == static_cast<size_t>(Transition::kClose) + 1;
}
static_assert(RulesAreInEnumOrder(),
              "kRules must hold one row per Transition, in enum order");

// What the user tried, for messages: Spanish, English.
struct ActionText {
  const char* es;
  const char* en;
};

constexpr ActionText kActionTexts[] = {
    {"aceptar el caso", "accept the case"},
    {"solicitar información", "request information"},
    {"reabrir el caso por respuesta del cliente",
     "reopen the case on a customer reply"},
    {"resolver el caso", "resolve the case"},
    {"aceptar la solución", "accept the solution"},
    {"cerrar el caso automáticamente", "close the case automatically"},
    {"rechazar la solución", "reject the solution"},
    {"cancelar el caso", "cancel the case"},
    {"cerrar el caso", "close the case"},
};
static_assert(std::size(kActionTexts) == std::size(kRules));

unsigned ActorshipOf(Role role, bool system) {
  if (system) return kSystem;
  return IsStaff(role) ? kStaff : kCustomer;
}

Status TerminalError(CaseState from) {
  return Status(ErrorCode::kCaseTerminal,
                from == CaseState::kClosed
                    ? "El caso está cerrado y no admite cambios. / "
                      "The case is closed and accepts no changes."
                    : "El caso está cancelado y no admite cambios. / "
                      "The case is canceled and accepts no changes.");
}

Status InvalidTransitionError(Transition t, CaseState from) {
  const ActionText& action = kActionTexts[static_cast<size_t>(t)];
  std::string message = "No se puede ";
  message += action.es;
  message += " en estado «";
  message += CaseStateLabelEs(from);
  message += "». / Cannot ";
  message += action.en;
  message += " in state \"";
  message += CaseStateLabelEn(from);
  message += "\".";
  return Status(ErrorCode::kInvalidTransition, std::move(message));
}

Status ForbiddenError(Transition t) {
  const ActionText& action = kActionTexts[static_cast<size_t>(t)];
  std::string message = "Su rol no le permite ";
  message += action.es;
  message += ". / Your role may not ";
  message += action.en;
  message += ".";
  return Status(ErrorCode::kForbidden, std::move(message));
}

}  // namespace

std::span<const TransitionRule> TransitionTable() { return kRules; }

const TransitionRule& RuleFor(Transition t) {
  return kRules[static_cast<size_t>(t)];
}

bool IsTerminal(CaseState s) {
  return s == CaseState::kClosed || s == CaseState::kCanceled;
}

Status CheckTransition(Transition t, CaseState from, Role role, bool system) {
  if (IsTerminal(from)) return TerminalError(from);
  const TransitionRule& rule = RuleFor(t);
  if (std::find(rule.from.begin(), rule.from.end(), from) == rule.from.end()) {
    return InvalidTransitionError(t, from);
  }
  if ((rule.who & ActorshipOf(role, system)) == 0) return ForbiddenError(t);
  return Status::Ok();
}

}  // namespace casesync
