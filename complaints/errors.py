"""Refusal codes of the complaints app, in English and Simplified Chinese."""

from groupchat.core.errors import register_error_codes

register_error_codes(
    {
        "report_target_invalid": (400, "Say what you are reporting: a message, a user or a group.",
                                  "请说明举报对象：一条消息、一名用户或一个群。"),
        "report_target_not_found": (404, "What you are reporting does not exist or is not visible to you.",
                                    "举报对象不存在或你无权查看。"),
        "report_category_invalid": (400, "Choose one of the listed reasons for your report.",
                                    "请选择列出的举报原因之一。"),
        "report_text_too_long": (400, "The description may have at most {limit} characters.",
                                 "补充说明最多 {limit} 个字符。"),
        "report_evidence_invalid": (400, "Evidence may only be messages of the same group, at most {limit}.",
                                    "证据只能是同一群内的消息，最多 {limit} 条。"),
        "report_self": (400, "You cannot report yourself.", "不能举报自己。"),
        "report_rate_limited": (429, "You have filed many reports in a short time. Try again later.",
                                "你短时间内提交的举报过多，请稍后再试。"),
        "already_reported": (409, "You have already reported this; your report {number} is being handled.",
                             "你已举报过该对象，举报单 {number} 正在处理中。"),
        "complaint_not_found": (404, "No report of yours has this number.", "你没有该编号的举报。"),
        "case_wrong_state": (409, "This case is {status}; that step is not possible now.",
                             "该案件当前状态为 {status}，无法执行此操作。"),
        "case_merge_invalid": (400, "Choose two different open cases to merge.", "请选择两个不同的未结案件进行合并。"),
        "decision_reason_required": (400, "Write the reason for the decision; the reporter is told it.",
                                     "请填写处理理由，举报人会收到该理由。"),
        "decision_measure_required": (400, "A violation needs at least one measure against the person or group.",
                                      "认定违规须至少对被举报人或群采取一项处置措施。"),
        "decision_measure_invalid": (400, "That measure is not about this case's person or group.",
                                     "该处置措施的对象不是本案的被举报人或群。"),
        "referral_reference_required": (400, "Enter the authority's reference number of the referral.",
                                        "请填写主管部门转办的编号。"),
    }
)
