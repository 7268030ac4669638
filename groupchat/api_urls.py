from django.urls import include, path

import groupchat.converters  # noqa: F401  registers <id:...>
from accounts import apis as accounts
from groups import apis as groups
from groups import apis_tiers as tiers

urlpatterns = [
    path("auth/register/", accounts.RegisterApi.as_view()),
    path("auth/login/", accounts.LoginApi.as_view()),
    path("auth/logout/", accounts.LogoutApi.as_view()),
    path("me/", accounts.MeApi.as_view()),
    path("groups/", groups.GroupListApi.as_view()),
    path("groups/search/", groups.GroupSearchApi.as_view()),
    path("tiers/", tiers.TierListApi.as_view()),
    path("applications/", tiers.MyApplicationsApi.as_view()),
    path("groups/<str:code>/", groups.GroupDetailApi.as_view()),
    path("groups/<str:code>/join/", groups.GroupJoinApi.as_view()),
    path("groups/<str:code>/leave/", groups.GroupLeaveApi.as_view()),
    path("groups/<str:code>/rules/accept/", groups.GroupRulesAcceptApi.as_view()),
    path("groups/<str:code>/read/", groups.GroupReadApi.as_view()),
    path("groups/<str:code>/members/", groups.MemberListApi.as_view()),
    path("groups/<str:code>/members/<id:user_id>/mute/", groups.MemberMuteApi.as_view()),
    path("groups/<str:code>/members/<id:user_id>/remove/", groups.MemberRemoveApi.as_view()),
    path("groups/<str:code>/members/<id:user_id>/role/", groups.MemberRoleApi.as_view()),
    path("groups/<str:code>/bans/<id:user_id>/", groups.MemberUnbanApi.as_view()),
    path("groups/<str:code>/messages/", groups.MessageListApi.as_view()),
    path("groups/<str:code>/messages/<id:message_id>/", groups.MessageDeleteApi.as_view()),
    path("groups/<str:code>/transfer/", groups.GroupTransferApi.as_view()),
    path("groups/<str:code>/transfer/accept/", groups.GroupTransferAcceptApi.as_view()),
    path("groups/<str:code>/mute-all/", groups.GroupMuteAllApi.as_view()),
    path("groups/<str:code>/close/", groups.GroupCloseApi.as_view()),
    path("groups/<str:code>/requests/", groups.JoinRequestListApi.as_view()),
    path("groups/<str:code>/invitations/", groups.InvitationCreateApi.as_view()),
    path("groups/<str:code>/audit/", groups.GroupAuditApi.as_view()),
    path("groups/<str:code>/tier/", tiers.GroupTierApi.as_view()),
    path("requests/<id:request_id>/decide/", groups.JoinRequestDecideApi.as_view()),
    path("invitations/<str:token>/accept/", groups.InvitationAcceptApi.as_view()),
    path("invitations/<str:token>/decline/", groups.InvitationDeclineApi.as_view()),
]

# Identity verification, agreements and credit (accounts, issue 4).
from accounts import apis_identity as identity  # noqa: E402

urlpatterns += [
    path("me/identity/", identity.IdentityApi.as_view()),
    path("me/identity/phone/code/", identity.PhoneCodeSendApi.as_view()),
    path("me/identity/phone/verify/", identity.PhoneVerifyApi.as_view()),
    path("me/identity/consent/", identity.ConsentApi.as_view()),
    path("me/identity/personal/", identity.PersonalSubmitApi.as_view()),
    path("me/identity/network-id/", identity.NetworkIdSubmitApi.as_view()),
    path("me/identity/organisation/", identity.OrganisationSubmitApi.as_view()),
    path("me/agreements/", identity.MyAgreementsApi.as_view()),
    path("me/agreements/accept/", identity.AgreementAcceptApi.as_view()),
    path("me/credit/", identity.CreditApi.as_view()),
    path("agreements/", identity.AgreementListApi.as_view()),
]

# Complaints and reports (complaints, issue 16).
urlpatterns += [path("complaints/", include("complaints.api_urls"))]

# Measures and appeals (moderation, issue 15).
urlpatterns += [path("moderation/", include("moderation.urls_measures"))]
