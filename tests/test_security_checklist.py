"""Every item of ../shared/SECURITY.md names the tests that prove it.

This file is the map; the test below fails when a named test disappears or an item has none.
Two items are proven here directly (19: code strength and logs, 21: what logs never hold).
"""
from __future__ import annotations

import importlib
import logging
import re

from voice.experiences import receipt

from .factories import PASSWORD, make_user

CHECKLIST = {
    1: ["test_accounts:test_passwords_are_hashed_with_argon2id_at_production_cost", "test_accounts:test_production_defaults_are_at_least_the_required_cost"],
    2: ["test_accounts:test_password_rules_length_and_common_list_only", "test_accounts:test_a_weak_new_password_is_refused_next_to_the_field"],
    3: ["test_accounts:test_there_is_no_default_account_and_the_first_admin_comes_from_a_command", "test_accounts:test_staff_need_the_second_factor",
        "test_accounts:test_an_admin_without_authenticator_enrols_at_first_login", "test_attacks:test_8_partners_need_the_authenticator_app_too"],
    4: ["test_accounts:test_login_throttling_is_per_account_not_global", "test_accounts:test_login_throttling_per_address",
        "test_accounts:test_unknown_user_and_wrong_password_get_the_same_answer", "test_attacks:test_1_wrong_codes_lock_the_second_step_whatever_email_the_form_sends", "test_attacks:test_1_the_code_step_is_throttled_per_account_held_server_side", "test_attacks:test_1_the_code_step_is_throttled_per_address"],
    5: ["test_accounts:test_login_issues_a_new_session_and_logout_kills_the_old_cookie", "test_accounts:test_a_password_change_ends_the_users_other_sessions",
        "test_accounts:test_a_disabled_account_stops_working_at_once", "test_accounts:test_idle_and_absolute_timeouts"],
    6: ["test_foundation:test_session_cookie_is_httponly_and_samesite", "test_foundation:test_session_cookie_is_secure_outside_local_development"],
    7: ["test_accounts:test_invitation_links_are_single_use_expire_and_stay_in_their_flow", "test_attacks:test_15_a_private_link_leaves_the_address_at_once"],
    8: ["test_experiences:test_a_post_without_csrf_token_is_refused", "test_accounts:test_logout_must_be_a_post_with_csrf",
        "test_cocreation:test_sign_up_without_an_account_and_cancel_by_private_link"],
    9: ["test_experiences:test_hostile_input_is_escaped_everywhere", "test_moderation:test_hostile_input_is_escaped_on_staff_and_public_pages",
        "test_mail:test_queued_mail_is_sent_with_escaped_html", "test_cocreation:test_hostile_text_in_session_fields_is_escaped",
        "test_cocreation:test_hostile_text_in_sign_up_fields_is_escaped", "test_fuzz:test_every_public_post_endpoint_survives_random_forms"],
    10: ["test_accounts:test_next_redirects_only_to_this_site", "test_attacks:test_4_next_goes_only_to_a_path_on_this_site", "test_attacks:test_9_an_unknown_host_header_is_refused", "test_attacks:test_9_links_in_mail_and_calendar_files_come_from_the_public_address"],
    11: ["test_experiences:test_choices_are_checked_against_the_servers_lists", "test_experiences:test_an_overlong_story_is_refused_with_the_text_kept",
         "test_experiences:test_an_oversized_body_is_refused_early", "test_fuzz:test_wrongly_encoded_and_oversized_bodies_are_refused_cleanly", "test_attacks:test_10_a_line_break_in_a_session_title_is_refused_next_to_the_field", "test_attacks:test_10_a_sign_up_name_with_hidden_characters_is_refused"],
    12: ["test_accounts:test_every_protected_url_answers_each_role_as_it_should", "test_export:test_another_users_export_is_not_reachable",
         "test_experiences:test_a_code_from_another_story_does_not_open_this_one", "test_cocreation:test_only_organisers_and_staff_see_the_sign_up_list",
         "test_moderation:test_a_serious_concern_is_shown_only_to_those_allowed", "test_accounts:test_a_refusal_is_answered_at_once_and_audited_while_the_request_holds_the_write_lock"],
    13: ["test_moderation:test_internal_and_new_stories_are_never_public", "test_moderation:test_rejecting_needs_a_reason_and_keeps_the_story_off_the_public_pages",
         "test_moderation:test_enough_reports_hide_a_story_until_a_moderator_looks_again", "test_attacks:test_5_three_reports_from_one_browser_do_not_hide_a_story", "test_attacks:test_5_three_browsers_on_one_address_do_not_hide_a_story", "test_attacks:test_5_three_different_people_hide_it_and_the_moderators_are_told_at_once"],
    14: ["test_experiences:test_receipt_look_ups_are_rate_limited_per_address", "test_experiences:test_mistakes_do_not_count_towards_the_limit_and_a_limited_family_keeps_its_words", "test_experiences:test_the_limit_is_per_browser_so_a_shared_connection_is_not_blocked",
         "test_experiences:test_a_filled_honeypot_is_refused", "test_accounts:test_login_throttling_is_per_account_not_global", "test_attacks:test_12_the_current_password_check_is_throttled_and_audited"],
    15: ["test_cocreation:test_concurrent_sign_ups_never_over_book", "test_cocreation:test_the_database_refuses_over_booking",
         "test_cocreation:test_no_double_sign_up", "test_workers:test_a_limit_counts_the_same_across_two_workers"],
    16: ["test_foundation:test_security_headers_on_every_page", "test_foundation:test_no_inline_code_and_no_third_party_resources"],
    17: ["test_foundation:test_security_headers_on_every_page", "test_foundation:test_hsts_only_over_https"],
    18: ["test_foundation:test_no_inline_code_and_no_third_party_resources"],
    19: ["test_security_checklist:test_receipt_codes_have_80_secret_bits_from_secrets", "test_experiences:test_a_family_tells_its_experience_and_gets_a_receipt_code",
         "test_experiences:test_receipt_code_shows_status_story_and_answer", "test_security_checklist:test_logs_never_hold_secrets_or_story_text", "test_attacks:test_15_the_access_log_never_holds_a_private_token", "test_attacks:test_15_sent_mail_keeps_no_link", "test_attacks:test_15_the_authenticator_secret_never_travels_in_the_cookie"],
    20: ["test_accounts:test_the_audit_log_is_append_only", "test_accounts:test_staff_need_the_second_factor",
         "test_export:test_csv_export_is_excel_friendly_safe_and_has_no_contact_details", "test_moderation:test_publishing_a_redacted_version", "test_attacks:test_14_a_family_deleting_its_story_is_audited_without_its_words", "test_attacks:test_14_the_organisers_list_needs_a_stated_purpose", "test_attacks:test_14_an_admin_downloading_someone_elses_export_states_their_own_purpose", "test_accounts:test_a_refused_look_at_a_restricted_story_is_audited"],
    21: ["test_security_checklist:test_logs_never_hold_secrets_or_story_text", "test_security_checklist:test_database_errors_never_log_the_values_sent", "test_attacks:test_11_what_was_typed_as_an_email_is_never_stored_or_logged"],
    22: ["test_foundation:test_a_crash_shows_a_plain_page_without_a_trace", "test_faults:test_postgresql_stopping_mid_submission_gives_503_with_the_story_kept_then_recovers", "test_attacks:test_13_bad_shapes_in_addresses_answer_400_or_404_never_500"],
    23: ["test_export:test_csv_export_is_excel_friendly_safe_and_has_no_contact_details", "test_export:test_xlsx_export_neutralises_formulas"],
    24: ["test_experiences:test_contact_details_are_purged_on_schedule", "test_experiences:test_a_family_deletes_its_story_for_good",
         "test_cocreation:test_personal_details_are_purged_a_week_after_leaving_counts", "test_moderation:test_originals_are_deleted_after_the_retention_period"],
    25: ["test_figures_attacks:test_nothing_from_one_to_four_can_be_worked_out", "test_figures:test_a_published_quarter_never_changes",
         "test_figures:test_the_current_quarter_shows_nothing_until_it_is_published",
         "test_figures:test_no_view_ever_shows_one_to_four_or_a_share_from_few_answers"],
}


def test_every_item_of_the_checklist_is_named_by_existing_tests():
    assert sorted(CHECKLIST) == list(range(1, 26))
    missing = []
    for item, names in CHECKLIST.items():
        assert names, f"SECURITY.md item {item} has no test"
        for name in names:
            module, function = name.split(":")
            if not hasattr(importlib.import_module(f"tests.{module}"), function):
                missing.append((item, name))
    assert missing == []


def test_receipt_codes_have_80_secret_bits_from_secrets(monkeypatch):
    assert len(receipt.ALPHABET) == 32 and receipt.CODE_LENGTH * 5 >= 80 and receipt.CODE_LENGTH <= 16
    calls = []
    original = receipt.secrets.choice
    monkeypatch.setattr(receipt.secrets, "choice", lambda seq: calls.append(1) or original(seq))
    code = receipt.new_code()
    assert len(calls) == receipt.CODE_LENGTH and len(set(receipt.new_code() for _ in range(200))) == 200
    assert receipt.normalise(receipt.display(code).lower()) == code


def test_logs_never_hold_secrets_or_story_text(app, client, post, db, caplog):
    story = "Min historie med fødselsnummer 02013299997 og hemmeligheter"
    with caplog.at_level(logging.DEBUG):
        page = post("/experiences/new", {"services": "nav", "usefulness": "3", "story_lang": "nb", "story": story,
                                         "pii_checked": "1", "form_token": "l" * 30}, follow_redirects=True).get_data(as_text=True)
        code = "".join(re.findall(r"<span>([0-9A-Z]{4})</span>", page))
        post("/experiences/mine", {"code": code})
        user, _ = make_user(app, db)
        post("/staff/login", {"email": user.email, "password": PASSWORD})
        post("/staff/login", {"email": user.email, "password": "wrong " + PASSWORD})
    logged = "\n".join(record.getMessage() for record in caplog.records)
    for secret in (code, code[4:], code.lower(), story, "02013299997", PASSWORD):
        assert secret not in logged
    assert len(code) == 16


def test_database_errors_never_log_the_values_sent(app):
    """SECURITY.md 21: SQLAlchemy hides bound parameters (story text, names) in errors and logs."""
    assert app.extensions["voice_engine"].hide_parameters is True
