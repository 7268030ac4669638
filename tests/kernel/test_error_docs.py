from django.core.management import call_command

from groupchat.core.management.commands.error_codes import load_all_codes


def test_every_error_code_is_documented_in_the_protocol(settings):
    protocol = (settings.BASE_DIR / "docs" / "protocol.md").read_text()
    missing = [code for code in load_all_codes() if f"`{code}`" not in protocol]
    assert not missing, f"add these to docs/protocol.md (manage.py error_codes): {missing}"


def test_error_codes_command_prints_both_languages(capsys):
    call_command("error_codes")
    out = capsys.readouterr().out
    assert "| `not_member` | 403 | You are not a member of this group. | 你不是该群成员。 |" in out
