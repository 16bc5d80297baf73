#include "casesync/case_rows.h"

namespace casesync {

void BindCase(Statement& s, const Case& c) {
  s.Bind(1, c.id)
      .Bind(2, c.number)
      .Bind(3, c.account_id)
      .Bind(4, c.contact_id)
      .Bind(5, c.service_id)
      .Bind(6, c.product_id)
      .Bind(7, c.issue_type_id)
      .Bind(8, c.contact_hours)
      .Bind(9, c.contact_phone)
      .Bind(10, c.subject)
      .Bind(11, c.description)
      .Bind(12, c.priority)
      .Bind(13, CaseStateName(c.state))
      .Bind(14, ChannelName(c.channel))
      .Bind(15, c.parent_id)
      .Bind(16, c.created_at)
      .Bind(17, c.updated_at)
      .Bind(18, c.resolution_code)
      .Bind(19, c.resolution_notes);
}

Case ReadCase(const Statement& s) {
  Case c;
  c.id = s.ColumnText(0);
  c.number = s.ColumnText(1);
  c.account_id = s.ColumnText(2);
  c.contact_id = s.ColumnText(3);
  c.service_id = s.ColumnText(4);
  c.product_id = s.ColumnText(5);
  c.issue_type_id = s.ColumnText(6);
  c.contact_hours = s.ColumnText(7);
  c.contact_phone = s.ColumnText(8);
  c.subject = s.ColumnText(9);
  c.description = s.ColumnText(10);
  c.priority = static_cast<int>(s.ColumnInt(11));
  c.state = CaseStateFromName(s.ColumnTextView(12)).value_or(CaseState::kNew);
  c.channel = ChannelFromName(s.ColumnTextView(13)).value_or(Channel::kWeb);
  c.parent_id = s.ColumnText(14);
  c.created_at = s.ColumnText(15);
  c.updated_at = s.ColumnText(16);
  c.resolution_code = s.ColumnText(17);
  c.resolution_notes = s.ColumnText(18);
  return c;
}

void BindComment(Statement& s, const Comment& c) {
  s.Bind(1, c.id)
      .Bind(2, c.case_id)
      .Bind(3, c.author_id)
      .Bind(4, c.body)
      .Bind(5, VisibilityName(c.visibility))
      .Bind(6, c.created_at);
}

Comment ReadComment(const Statement& s) {
  Comment c;
  c.id = s.ColumnText(0);
  c.case_id = s.ColumnText(1);
  c.author_id = s.ColumnText(2);
  c.body = s.ColumnText(3);
  c.visibility =
      VisibilityFromName(s.ColumnTextView(4)).value_or(Visibility::kInternal);
  c.created_at = s.ColumnText(5);
  return c;
}

}  // namespace casesync
