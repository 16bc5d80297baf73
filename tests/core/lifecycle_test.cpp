#include "casesync/lifecycle.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <initializer_list>
#include <iterator>
#include <set>
#include <string>
#include <vector>

namespace casesync {
namespace {

constexpr CaseState kAllStates[] = {
    CaseState::kNew,      CaseState::kOpen,   CaseState::kAwaitingInfo,
    CaseState::kResolved, CaseState::kClosed, CaseState::kCanceled};

constexpr Transition kAllTransitions[] = {
    Transition::kAccept,         Transition::kRequestInfo,
    Transition::kCustomerReply,  Transition::kResolve,
    Transition::kAcceptSolution, Transition::kAutoClose,
    Transition::kRejectSolution, Transition::kCancel,
    Transition::kClose};

// Who acts: the four roles plus the server itself.
struct Party {
  const char* name;
  Role role;
  bool system;
};

constexpr Party kCustomer = {"customer", Role::kCustomer, false};
constexpr Party kCustomerAdmin = {"customer_admin", Role::kCustomerAdmin,
                                  false};
constexpr Party kAgent = {"agent", Role::kAgent, false};
constexpr Party kAdmin = {"admin", Role::kAdmin, false};
constexpr Party kSystem = {"system", Role::kCustomer, true};
constexpr Party kAllParties[] = {kCustomer, kCustomerAdmin, kAgent, kAdmin,
                                 kSystem};

// DESIGN §3 written out independently of the implementation's table: the
// states each transition starts from, where it leads, and who may take it.
struct ExpectedRow {
  Transition transition;
  std::vector<CaseState> from;
  CaseState to;
  std::set<std::string> who;  // party names
};

const std::vector<CaseState> kActive = {CaseState::kNew, CaseState::kOpen,
                                        CaseState::kAwaitingInfo};
const std::set<std::string> kStaffNames = {"agent", "admin"};
const std::set<std::string> kCustomerNames = {"customer", "customer_admin"};

const std::vector<ExpectedRow>& ExpectedTable() {
  static const std::vector<ExpectedRow> table = {
      {Transition::kAccept, {CaseState::kNew}, CaseState::kOpen, kStaffNames},
      {Transition::kRequestInfo,
       {CaseState::kOpen},
       CaseState::kAwaitingInfo,
       kStaffNames},
      {Transition::kCustomerReply,
       {CaseState::kAwaitingInfo},
       CaseState::kOpen,
       kCustomerNames},
      {Transition::kResolve, kActive, CaseState::kResolved, kStaffNames},
      {Transition::kAcceptSolution,
       {CaseState::kResolved},
       CaseState::kClosed,
       kCustomerNames},
      {Transition::kAutoClose,
       {CaseState::kResolved},
       CaseState::kClosed,
       {"system"}},
      {Transition::kRejectSolution,
       {CaseState::kResolved},
       CaseState::kOpen,
       kCustomerNames},
      {Transition::kCancel,
       kActive,
       CaseState::kCanceled,
       {"customer", "customer_admin", "agent", "admin"}},
      {Transition::kClose, kActive, CaseState::kClosed, kStaffNames},
  };
  return table;
}

const ExpectedRow& ExpectedFor(Transition t) {
  for (const ExpectedRow& row : ExpectedTable()) {
    if (row.transition == t) return row;
  }
  FAIL("transition missing from the expected table");
  return ExpectedTable().front();
}

bool Contains(const std::vector<CaseState>& states, CaseState s) {
  return std::find(states.begin(), states.end(), s) != states.end();
}

Status Check(Transition t, CaseState from, const Party& party) {
  return CheckTransition(t, from, party.role, party.system);
}

}  // namespace

TEST_SUITE("lifecycle") {
  TEST_CASE("every transition, state and party gets the designed answer") {
    int allowed = 0;
    int checked = 0;
    for (Transition t : kAllTransitions) {
      const ExpectedRow& row = ExpectedFor(t);
      for (CaseState from : kAllStates) {
        for (const Party& party : kAllParties) {
          ErrorCode expected = ErrorCode::kOk;
          if (from == CaseState::kClosed || from == CaseState::kCanceled) {
            expected = ErrorCode::kCaseTerminal;
          } else if (!Contains(row.from, from)) {
            expected = ErrorCode::kInvalidTransition;
          } else if (row.who.count(party.name) == 0) {
            expected = ErrorCode::kForbidden;
          }
          CAPTURE(RuleFor(t).name);
          CAPTURE(CaseStateName(from));
          CAPTURE(party.name);
          const Status status = Check(t, from, party);
          CHECK(status.code() == expected);
          CHECK(status.message().empty() == status.ok());
          if (status.ok()) ++allowed;
          ++checked;
        }
      }
    }
    CHECK(checked == 9 * 6 * 5);
    // accept 2, request_info 2, customer_reply 2, resolve 3*2,
    // accept_solution 2, auto_close 1, reject_solution 2, cancel 3*4, close 3*2
    CHECK(allowed == 35);
  }

  TEST_CASE("the table has one rule per transition in design order") {
    const std::span<const TransitionRule> table = TransitionTable();
    REQUIRE(table.size() == std::size(kAllTransitions));
    for (size_t i = 0; i < table.size(); ++i) {
      CHECK(table[i].transition == kAllTransitions[i]);
      CHECK(&RuleFor(kAllTransitions[i]) == &table[i]);
    }
  }

  TEST_CASE("each rule leads to the designed state from the designed states") {
    for (Transition t : kAllTransitions) {
      const TransitionRule& rule = RuleFor(t);
      const ExpectedRow& row = ExpectedFor(t);
      CAPTURE(rule.name);
      CHECK(rule.to == row.to);
      CHECK(std::vector<CaseState>(rule.from.begin(), rule.from.end()) ==
            row.from);
    }
  }

  TEST_CASE("rules name what each transition requires") {
    struct Needs {
      Transition t;
      bool comment;
      bool resolution_code;
      bool notes;
    };
    const Needs kNeeds[] = {
        {Transition::kAccept, false, false, false},
        {Transition::kRequestInfo, true, false, false},
        {Transition::kCustomerReply, false, false, false},
        {Transition::kResolve, false, true, true},
        {Transition::kAcceptSolution, false, false, false},
        {Transition::kAutoClose, false, false, false},
        {Transition::kRejectSolution, true, false, false},
        {Transition::kCancel, false, false, true},
        {Transition::kClose, false, false, true},
    };
    for (const Needs& needs : kNeeds) {
      const TransitionRule& rule = RuleFor(needs.t);
      CAPTURE(rule.name);
      CHECK(rule.needs_comment == needs.comment);
      CHECK(rule.needs_resolution_code == needs.resolution_code);
      CHECK(rule.needs_notes == needs.notes);
    }
  }

  TEST_CASE("rule names are unique snake_case") {
    std::set<std::string> names;
    for (const TransitionRule& rule : TransitionTable()) {
      const std::string name = rule.name;
      CAPTURE(name);
      CHECK(names.insert(name).second);
      CHECK(name.find_first_not_of("abcdefghijklmnopqrstuvwxyz_") ==
            std::string::npos);
    }
    CHECK(std::string(RuleFor(Transition::kResolve).name) == "resolve");
  }

  TEST_CASE("who bits match customers, staff and the system") {
    constexpr auto kCustomerBit = static_cast<unsigned>(Actorship::kCustomer);
    constexpr auto kStaffBit = static_cast<unsigned>(Actorship::kStaff);
    constexpr auto kSystemBit = static_cast<unsigned>(Actorship::kSystem);
    CHECK(RuleFor(Transition::kAccept).who == kStaffBit);
    CHECK(RuleFor(Transition::kCustomerReply).who == kCustomerBit);
    CHECK(RuleFor(Transition::kAutoClose).who == kSystemBit);
    CHECK(RuleFor(Transition::kCancel).who == (kCustomerBit | kStaffBit));
  }

  TEST_CASE("closed and canceled are the only terminal states") {
    for (CaseState s : kAllStates) {
      CAPTURE(CaseStateName(s));
      CHECK(IsTerminal(s) ==
            (s == CaseState::kClosed || s == CaseState::kCanceled));
    }
  }

  TEST_CASE(
      "a terminal case refuses even a transition that never starts "
      "there") {
    // Terminal wins over invalid transition and forbidden.
    CHECK(Check(Transition::kAccept, CaseState::kClosed, kCustomer).code() ==
          ErrorCode::kCaseTerminal);
    CHECK(Check(Transition::kAutoClose, CaseState::kCanceled, kAgent).code() ==
          ErrorCode::kCaseTerminal);
  }

  TEST_CASE("an invalid start state is reported before a forbidden role") {
    CHECK(Check(Transition::kResolve, CaseState::kResolved, kCustomer).code() ==
          ErrorCode::kInvalidTransition);
    CHECK(Check(Transition::kAcceptSolution, CaseState::kOpen, kAgent).code() ==
          ErrorCode::kInvalidTransition);
  }

  TEST_CASE("the terminal message says closed or canceled in both languages") {
    CHECK(Check(Transition::kCancel, CaseState::kClosed, kCustomer).message() ==
          "El caso está cerrado y no admite cambios. / "
          "The case is closed and accepts no changes.");
    CHECK(
        Check(Transition::kCancel, CaseState::kCanceled, kCustomer).message() ==
        "El caso está cancelado y no admite cambios. / "
        "The case is canceled and accepts no changes.");
  }

  TEST_CASE("refusal messages are in Spanish then English") {
    const Status invalid =
        Check(Transition::kCancel, CaseState::kResolved, kCustomer);
    CHECK(invalid.message() ==
          "No se puede cancelar el caso en estado «Resuelto». / "
          "Cannot cancel the case in state \"Resolved\".");
    const Status forbidden =
        Check(Transition::kResolve, CaseState::kOpen, kCustomerAdmin);
    CHECK(forbidden.message() ==
          "Su rol no le permite resolver el caso. / "
          "Your role may not resolve the case.");
  }

  TEST_CASE("the system flag overrides the role") {
    for (Role role : {Role::kCustomer, Role::kAgent, Role::kAdmin}) {
      CHECK(CheckTransition(Transition::kAutoClose, CaseState::kResolved, role,
                            /*system=*/true)
                .ok());
      CHECK(CheckTransition(Transition::kCancel, CaseState::kOpen, role,
                            /*system=*/true)
                .code() == ErrorCode::kForbidden);
    }
  }

  TEST_CASE("an offline cancel that reaches a resolved case is rejected") {
    // DESIGN §4: state changes follow §3 against the current server state.
    CHECK(Check(Transition::kCancel, CaseState::kNew, kCustomer).ok());
    CHECK(Check(Transition::kCancel, CaseState::kResolved, kCustomer).code() ==
          ErrorCode::kInvalidTransition);
  }
}

}  // namespace casesync
