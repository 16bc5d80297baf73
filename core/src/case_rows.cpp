#include "casesync/case_rows.h"

namespace casesync {

void BindCase(Statement& s, const Case& c) {
  s.BindView(1, c.id)
      .BindView(2, c.number)
      .BindView(3, c.account_id)
      .BindView(4, c.contact_id)
      .BindView(5, c.service_id)
      .BindView(6, c.product_id)
      .BindView(7, c.issue_type_id)
      .BindView(8, c.contact_hours)
      .BindView(9, c.contact_phone)
      .BindView(10, c.subject)
      .BindView(11, c.description)
      .Bind(12, c.priority)
      .BindView(13, CaseStateName(c.state))
      .BindView(14, ChannelName(c.channel))
      .BindView(15, c.parent_id)
      .BindView(16, c.created_at)
      .BindView(17, c.updated_at)
      .BindView(18, c.resolution_code)
      .BindView(19, c.resolution_notes);
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
  s.BindView(1, c.id)
      .BindView(2, c.case_id)
      .BindView(3, c.author_id)
      .BindView(4, c.body)
      .BindView(5, VisibilityName(c.visibility))
      .BindView(6, c.created_at);
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
