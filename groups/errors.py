from groupchat.core.errors import register_error_codes

register_error_codes(
    {
        "not_member": (403, "You are not a member of this group.", "你不是该群成员。"),
        "not_group_admin": (403, "Only the group's owner or admins may do this.", "只有群主或管理员可以执行此操作。"),
        "not_group_owner": (403, "Only the group's owner may do this.", "只有群主可以执行此操作。"),
        "muted": (403, "You are muted in this group until {until}.", "你在本群被禁言至 {until}。"),
        "group_muted": (403, "The whole group is muted; only the owner and admins may post.", "本群已全员禁言，仅群主和管理员可发言。"),
        "group_suspended": (403, "Posting in this group is suspended until {until}.", "本群已被暂停发言，至 {until}。"),
        "group_closed": (410, "This group has been closed.", "该群已被关闭。"),
        "too_long": (400, "A message may have at most {limit} characters.", "消息最多 {limit} 个字符。"),
        "empty": (400, "The message is empty.", "消息内容为空。"),
        "rules_required": (409, "Read and accept the group rules before your first message.", "首次发言前请阅读并同意群规。"),
        "already_member": (409, "You are already a member of this group.", "你已经是该群成员。"),
        "banned_from_group": (403, "You have been banned from this group.", "你已被禁止加入该群。"),
        "group_full": (409, "This group is full.", "该群成员已满。"),
        "invite_only": (403, "This group can be joined by invitation only.", "该群仅限邀请加入。"),
        "answer_required": (400, "Answer the group's question to ask to join.", "请回答入群问题后再申请。"),
        "request_pending": (409, "Your request to join is waiting for approval.", "你的入群申请正在等待审核。"),
        "request_not_pending": (409, "This join request has already been decided.", "该入群申请已处理。"),
        "invitation_expired": (410, "This invitation has expired.", "该邀请已过期。"),
        "invitation_invalid": (404, "This invitation does not exist or is no longer valid.", "该邀请不存在或已失效。"),
        "not_invitee": (403, "This invitation is for someone else.", "该邀请不是发给你的。"),
        "owner_cannot_leave": (409, "Transfer ownership before leaving your group.", "请先转让群主再退出。"),
        "cannot_act_on_self": (400, "You cannot do this to yourself.", "不能对自己执行此操作。"),
        "cannot_act_on_peer": (403, "Admins cannot act on the owner or other admins.", "管理员不能对群主或其他管理员执行此操作。"),
        "duties_not_acknowledged": (400, "Acknowledge the group owner's duties first.", "请先确认群主责任。"),
        "no_pending_transfer": (409, "No ownership transfer is waiting for you.", "没有等待你确认的群主转让。"),
        "owner_minor": (403, "Users under 18 may not own a group of more than 100 members.",
                        "未满18周岁的用户不能担任100人以上群组的群主。"),
        "close_reason_required": (400, "A platform closure needs the reason; it is recorded and shown to the members.",
                                  "平台关闭群组须填写原因，原因将被记录并告知群成员。"),
        "message_not_found": (404, "No such message in this group.", "本群没有这条消息。"),
        "invalid_group_name": (400, "A group name has 1 to 60 characters.", "群名称长度为1至60个字符。"),
        "invalid_duration": (400, "Choose a duration between 1 minute and 30 days.", "请选择1分钟至30天之间的时长。"),
        "target_not_member": (404, "That user is not a member of this group.", "该用户不是本群成员。"),
        "admin_suspended": (403, "Your owner/admin powers are suspended by the platform until {until}.",
                            "你的群主/管理员权限已被平台暂停，至 {until}。"),
    }
)

# Tiered management (G7a, G8a, G8c)
register_error_codes(
    {
        "owner_verification_level": (403, "This tier needs an owner verified at level L{need} (you are at L{have}).",
                                     "该等级的群需要群主完成 L{need} 级实名认证（你当前为 L{have}）。"),
        "tier_not_found": (404, "No such group tier.", "没有该群等级。"),
        "tier_not_higher": (400, "Choose a higher tier than the group's current one.", "请选择高于当前等级的群等级。"),
        "category_invalid": (400, "Choose one of the listed group categories.", "请选择列出的群类别之一。"),
        "group_info_required": (409, "Groups of {threshold} or more members must have a category and rules; "
                                "the owner must set them first.",
                                "{threshold}人及以上的群必须设置类别和群规，请群主先完善群信息。"),
        "groups_owned_limit": (409, "Your credit grade allows owning at most {limit} groups.",
                               "你的信用等级最多可拥有 {limit} 个群。"),
        "groups_created_limit": (429, "Your credit grade allows creating at most {limit} groups a day.",
                                 "你的信用等级每天最多可创建 {limit} 个群。"),
        "groups_joined_limit": (409, "Your credit grade allows joining at most {limit} groups.",
                                "你的信用等级最多可加入 {limit} 个群。"),
        "link_join_disabled": (403, "Groups of {limit} or more members cannot be joined by link; ask for an invitation.",
                               "{limit}人及以上的群不能通过链接加入，请联系群管理员邀请。"),
        "join_mode_not_allowed": (400, "This tier does not allow that join mode.", "该等级的群不允许此加群方式。"),
        "application_not_pending": (409, "This application has already been decided.", "该申请已处理。"),
        "application_pending": (409, "An application for this group is already waiting for review.",
                                "该群已有申请正在等待平台审核。"),
    }
)
