from groupchat.core.errors import register_error_codes

register_error_codes(
    {
        "hold_scope_required": (400, "A legal hold needs a user, a group or a time range.",
                                "法律保全须指定用户、群组或时间范围。"),
        "hold_authority_required": (400, "Name the requesting authority, the document number and the reason.",
                                    "请填写提出要求的机关、文书编号和理由。"),
        "hold_not_active": (409, "This legal hold has already been released.", "该法律保全已解除。"),
        "bad_time_range": (400, "The time range ends before it starts.", "时间范围的结束早于开始。"),
        "inspection_scope_required": (400, "An inspection request needs users, groups or a time range in scope.",
                                      "调取请求须指定用户、群组或时间范围。"),
        "inspection_not_pending": (409, "This inspection request has already been decided.", "该调取请求已处理。"),
        "inspection_self_approval": (403, "A second compliance officer must approve: not the one who entered it.",
                                     "须由另一名合规专员审批，录入人不能审批自己录入的请求。"),
        "inspection_not_approved": (409, "Only an approved inspection request can be exported.",
                                    "只有已批准的调取请求才能导出。"),
        "package_not_ready": (409, "The package is not ready yet.", "数据包尚未生成完毕。"),
        "report_already_submitted": (409, "This report has already been submitted.", "该报告已报送。"),
        "filing_number_required": (400, "Type the filing number the authority gave.", "请填写备案机关出具的备案编号。"),
        "filing_already_filed": (409, "This filing version has already been marked filed.", "该备案版本已标记为已备案。"),
        "retention_below_floor": (400, "Log retention may not be below {floor} days.", "日志保存期限不得少于 {floor} 天。"),
    }
)
