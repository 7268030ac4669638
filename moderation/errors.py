"""Moderation's refusal codes, registered with English and Simplified Chinese texts."""

from groupchat.core.errors import register_error_codes

# Measures, blacklist and appeals (G11a, G11b, G11c)
register_error_codes(
    {
        "muted_platform": (403, "You are muted on the whole platform until {until}.", "你已被全平台禁言，至 {until}。"),
        "blacklisted": (403, "This account is on the platform blacklist until {until}; this function is restricted.",
                        "该账号已被列入平台黑名单（至 {until}），此功能受限。"),
        "group_blacklisted": (403, "This group is on the platform blacklist until {until}; this function is restricted.",
                              "该群已被列入平台黑名单（至 {until}），此功能受限。"),
        "identity_blacklisted": (403, "This identity is on the platform blacklist; it cannot be verified again.",
                                 "该身份已被列入平台黑名单，不能再次认证。"),
        "create_revoked": (403, "Your right to create groups has been revoked by the platform until {until}.",
                           "你的建群资格已被平台取消，至 {until}。"),
        "group_disabled": (403, "This group has been disabled by the platform (credit 1 star).",
                           "该群已被平台停用（信用一星）。"),
        "group_restricted": (403, "This group is restricted by the platform and takes no new members (credit {stars} stars).",
                             "该群已被平台限制，暂不接纳新成员（信用{stars}星）。"),
        "measure_kind_invalid": (400, "This measure cannot be taken against this kind of target.",
                                 "该处置措施不适用于此类对象。"),
        "measure_until_required": (400, "Choose when this measure ends (a time in the future).",
                                   "请选择该措施的截止时间（须晚于现在）。"),
        "measure_basis_invalid": (400, "Choose a legal basis: an article (and paragraph) of the regulation.",
                                  "请选择法律依据：规定的条、款。"),
        "measure_reason_invalid": (400, "Choose a reason from the list of content categories.",
                                   "请从内容类别列表中选择处置理由。"),
        "measure_not_liftable": (409, "This measure is not in force or cannot be lifted.", "该措施未生效或不可解除。"),
        "measure_not_found": (404, "No such measure.", "没有该处置记录。"),
        "stars_not_lower": (400, "A measure can only lower a group's credit stars (now {stars}).",
                            "处置只能降低群信用星级（当前{stars}星）。"),
        "appeal_not_target": (403, "Only the person a measure concerns may appeal it.", "只有被处置对象可以申诉。"),
        "appeal_exists": (409, "This measure has already been appealed; each measure may be appealed once.",
                          "该处置已申诉过，每项处置只能申诉一次。"),
        "appeal_too_late": (409, "The {days}-day period for appealing this measure has ended.",
                            "该处置的{days}日申诉期已过。"),
        "appeal_text_required": (400, "Explain your appeal in 10 to 2000 characters.", "请用10至2000字说明申诉理由。"),
        "appeal_not_pending": (409, "This appeal has already been decided.", "该申诉已处理。"),
        "appeal_same_moderator": (403, "An appeal is decided by a moderator other than the one who issued the measure.",
                                  "申诉须由作出处置以外的其他审核员处理。"),
    }
)

# Screening (G10) and emergency switches (G5a)
register_error_codes(
    {
        "content_blocked": (422, "Not sent: it contains content of the category “{category_en}”, which is not allowed.",
                            "未发送：内容含有“{category_zh}”类违规信息，不允许发布。"),
        "rule_keyword_invalid": (400, "A keyword needs at least one letter or digit (1 to 100 characters).",
                                 "关键词至少包含一个文字或数字（1至100个字符）。"),
        "rule_category_invalid": (400, "Choose one of the listed content categories.", "请选择列出的内容类别之一。"),
        "rule_action_invalid": (400, "Choose an action: block, hold or flag.", "请选择处理方式：拦截、待审或标记。"),
        "rule_pattern_invalid": (400, "The pattern is not a valid regular expression: {reason}",
                                 "匹配模式不是有效的正则表达式：{reason}"),
        "rule_exists": (409, "A rule with this keyword already exists in this category.", "该类别下已有此关键词规则。"),
        "rules_import_invalid": (400, "Nothing was imported: line {line}: {reason}", "未导入任何规则：第 {line} 行：{reason}"),
        "held_not_pending": (409, "This held message has already been decided.", "该待审消息已处理。"),
        "held_removed": (422, "This message did not pass review and was removed; it will not be posted.",
                         "该消息未通过审核，已被删除，不会发送。"),
        "flag_not_open": (409, "This flagged item has already been reviewed.", "该标记内容已审核。"),
        "switch_reason_required": (400, "Give a reason (2 to 200 characters) for toggling an emergency switch.",
                                   "切换应急开关须填写原因（2至200字）。"),
        "switch_invalid": (400, "No such emergency switch or scope.", "没有该应急开关或适用范围。"),
        "creation_stopped": (503, "Group creation is paused by the platform for now. Please try again later.",
                             "平台暂时停止创建群组，请稍后再试。"),
        "link_join_stopped": (503, "Joining by link is paused by the platform for now; ask for an invitation.",
                              "平台暂时停止通过链接加群，请联系群管理员邀请。"),
        "posting_stopped": (503, "Posting is paused by the platform for now (read-only).",
                            "平台暂时停止发言（只读），请稍后再试。"),
    }
)
