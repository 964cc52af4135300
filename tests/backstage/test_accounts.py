"""First run, sign-up with verification, sign-in, password reset, invitations."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client
from django.urls import reverse

from disquaire.backstage.services import accounts as account_services
from disquaire.backstage.services import invitations as invitation_services
from disquaire.catalog.models import Membership
from tests.backstage.conftest import Band
from tests.factories import UserFactory

PASSWORD = "une-guitare-bleue-1977"


def _link(body: str) -> str:
    match = re.search(r"https?://[^\s]+", body)
    assert match, body
    return match.group(0).replace("http://testserver", "")


@pytest.mark.django_db
def test_fresh_install_sends_backstage_to_operator_setup(client: Client) -> None:
    assert client.get(reverse("backstage:home")).url == reverse("backstage:setup")
    assert client.get(reverse("backstage:login")).url == reverse("backstage:setup")


@pytest.mark.django_db
def test_setup_creates_the_operator_as_superuser_and_signs_in(client: Client) -> None:
    code = account_services.setup_code_ensure()
    response = client.post(
        reverse("backstage:setup"),
        {
            "setup_code": code,
            "email": "Lilian@Example.org",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert response.status_code == 302
    user = User.objects.get()
    assert user.username == "lilian@example.org" and user.is_superuser and user.is_staff
    assert client.get(reverse("backstage:artist_create")).status_code == 200


@pytest.mark.django_db
def test_setup_is_gone_once_any_user_exists(client: Client) -> None:
    UserFactory()
    assert client.get(reverse("backstage:setup")).status_code == 404
    response = client.post(
        reverse("backstage:setup"),
        {"email": "intruder@example.org", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 404
    assert not User.objects.filter(is_superuser=True).exists()


@pytest.mark.django_db
def test_signup_needs_the_emailed_link_before_signing_in(client: Client, settings: Any) -> None:
    settings.DISQUAIRE_SIGNUP, settings.DISQUAIRE_ARTIST_CREATION = "open", "anyone"
    UserFactory()  # the operator
    response = client.post(
        reverse("backstage:signup"),
        {"email": "Batteur@Example.org", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 200
    user = User.objects.get(username="batteur@example.org")
    assert not user.is_active
    login = {"username": "batteur@example.org", "password": PASSWORD}
    assert client.post(reverse("backstage:login"), login).status_code == 200  # refused

    (message,) = mail.outbox
    assert message.to == ["batteur@example.org"]
    link = _link(message.body)
    shown = client.get(link)  # a mail scanner's visit confirms nothing
    assert shown.status_code == 200 and "Confirm and sign in" in shown.content.decode()
    user.refresh_from_db()
    assert not user.is_active
    response = client.post(link)
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.is_active
    # A new member with no artist yet is taken straight to creating one.
    home = client.get(reverse("backstage:home"))
    assert home.status_code == 302 and home.url == reverse("backstage:artist_create")


@pytest.mark.django_db
def test_altered_verification_link_is_refused(client: Client) -> None:
    UserFactory()
    account_services.user_signup(email="a@example.org", password=PASSWORD)
    response = client.get(_link(mail.outbox[0].body)[:-3] + "xyz/")
    assert response.status_code == 400
    assert not User.objects.get(username="a@example.org").is_active


@pytest.mark.django_db
def test_signing_up_with_an_address_that_has_an_account_tells_nobody_but_its_owner(
    client: Client, settings: Any
) -> None:
    settings.DISQUAIRE_SIGNUP = "open"
    owner = UserFactory(username="x@example.org", email="x@example.org")
    response = client.post(
        reverse("backstage:signup"),
        {"email": "X@example.org", "password1": PASSWORD, "password2": PASSWORD},
    )
    # The same page as for a new address: the form does not tell who is registered.
    assert response.status_code == 200 and "Check your email" in response.content.decode()
    (message,) = mail.outbox
    assert message.to == ["x@example.org"] and "already has one" in message.body
    assert reverse("backstage:password_reset") in message.body
    owner.refresh_from_db()
    assert owner.check_password("correct horse battery") and owner.is_active
    assert User.objects.filter(username="x@example.org").count() == 1


@pytest.mark.django_db
def test_an_unconfirmed_address_cannot_be_held_hostage(client: Client) -> None:
    """Someone signs up first with an address that is not theirs; its owner signs up
    too and gets in with their own password; the squatter's link (and password) are
    worthless, even if the owner's earlier link were used after a later squat."""
    UserFactory()  # the operator
    account_services.user_signup(email="chant@example.org", password="squatter-password-1")
    squatter_link = _link(mail.outbox[-1].body)
    account_services.user_signup(email="chant@example.org", password=PASSWORD)
    owner_link = _link(mail.outbox[-1].body)
    assert User.objects.filter(username="chant@example.org").count() == 1

    assert client.get(squatter_link).status_code == 400  # made for a replaced password
    assert not User.objects.get(username="chant@example.org").is_active
    assert client.post(owner_link).status_code == 302
    user = User.objects.get(username="chant@example.org")
    assert user.is_active and user.check_password(PASSWORD)
    assert not user.check_password("squatter-password-1")
    # Once confirmed, a new sign-up changes nothing (the owner is told instead).
    account_services.user_signup(email="chant@example.org", password="squatter-password-2")
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


@pytest.mark.django_db
def test_sign_in_with_email_in_any_case(client: Client) -> None:
    UserFactory(username="guitare@example.org", email="guitare@example.org")
    response = client.post(
        reverse("backstage:login"),
        {"username": "Guitare@Example.ORG", "password": "correct horse battery"},
    )
    assert response.status_code == 302
    assert response.url == reverse("backstage:home")


@pytest.mark.django_db
def test_password_reset_by_email_link(client: Client) -> None:
    UserFactory(username="basse@example.org", email="basse@example.org")
    response = client.post(reverse("backstage:password_reset"), {"email": "basse@example.org"})
    assert response.url == reverse("backstage:password_reset_done")
    (message,) = mail.outbox
    link = _link(message.body)
    response = client.get(link, follow=True)
    assert response.status_code == 200 and response.context["validlink"]
    new = "un-nouveau-mot-de-passe-88"
    response = client.post(
        response.redirect_chain[-1][0], {"new_password1": new, "new_password2": new}
    )
    assert response.url == reverse("backstage:password_reset_complete")
    assert Client().login(username="basse@example.org", password=new)


@pytest.mark.django_db
def test_accepting_an_invitation_makes_a_membership(band: Band) -> None:
    invitee = UserFactory(username="chant@example.org", email="chant@example.org")
    response = band.client.post(
        reverse("backstage:members", kwargs={"artist": band.artist.slug}),
        {"email": "Chant@example.org", "role": Membership.Role.MEMBER},
    )
    assert response.status_code == 302
    (message,) = mail.outbox
    link = _link(message.body)

    client = Client()
    assert "Create" in client.get(link).content.decode()  # anonymous: sign in or sign up
    client.force_login(invitee)
    assert client.get(link).status_code == 200
    assert not Membership.objects.filter(user=invitee).exists()  # GET changes nothing
    response = client.post(link)
    assert response.status_code == 302
    membership = Membership.objects.get(user=invitee)
    assert membership.artist == band.artist and membership.role == Membership.Role.MEMBER


@pytest.mark.django_db
def test_invitation_for_another_address_is_refused(band: Band) -> None:
    link = invitation_services.invitation_send(
        artist=band.artist, email="someone@example.org", role="owner", by=band.user
    ).replace("http://testserver", "")
    other = UserFactory(username="other@example.org", email="other@example.org")
    client = Client()
    client.force_login(other)
    assert client.post(link).status_code == 403
    assert not Membership.objects.filter(user=other).exists()


@pytest.mark.django_db
def test_only_owners_invite(band: Band, settings: Any) -> None:
    member = UserFactory()
    Membership.objects.create(artist=band.artist, user=member, role=Membership.Role.MEMBER)
    client = Client()
    client.force_login(member)
    url = reverse("backstage:members", kwargs={"artist": band.artist.slug})
    assert client.get(url).status_code == 200
    assert client.post(url, {"email": "x@example.org", "role": "owner"}).status_code == 403
    assert not mail.outbox


@pytest.mark.django_db
def test_signup_through_an_invitation_comes_back_to_it(band: Band) -> None:
    link = invitation_services.invitation_send(
        artist=band.artist, email="new@example.org", role="member", by=band.user
    ).replace("http://testserver", "")
    mail.outbox.clear()
    client = Client()
    client.post(
        reverse("backstage:signup") + "?next=" + link,
        {"email": "new@example.org", "password1": PASSWORD, "password2": PASSWORD, "next": link},
    )
    response = client.post(_link(mail.outbox[0].body))
    assert response.url == link
    client.post(link)
    assert Membership.objects.filter(artist=band.artist, user__username="new@example.org").exists()


@pytest.mark.django_db
def test_a_signed_in_user_changes_their_password_and_other_browsers_are_signed_out(
    band: Band,
) -> None:
    band.user.set_password("old-tambourine-velvet")
    band.user.save()
    here, there = Client(), Client()
    for client in (here, there):
        assert client.login(username=band.user.username, password="old-tambourine-velvet")
    url = reverse("backstage:password_change")
    home = reverse("backstage:home")
    assert url in here.get(home, follow=True).content.decode()  # linked from the header

    wrong = here.post(
        url,
        {
            "old_password": "nope",
            "new_password1": "x-velvet-42-y",
            "new_password2": "x-velvet-42-y",
        },
    )
    assert wrong.status_code == 200 and "incorrectly" in wrong.content.decode()
    response = here.post(
        url,
        {
            "old_password": "old-tambourine-velvet",
            "new_password1": "new-velvet-tambourine-42",
            "new_password2": "new-velvet-tambourine-42",
        },
        follow=True,
    )
    assert "Your password is changed." in response.content.decode()
    band.user.refresh_from_db()
    assert band.user.check_password("new-velvet-tambourine-42")
    assert here.get(home).status_code in (200, 302)
    assert (
        here.get(reverse("backstage:artist_edit", kwargs={"artist": band.artist.slug})).status_code
        == 200
    )
    # The other browser's session no longer matches the password: back to sign-in.
    other = there.get(reverse("backstage:artist_edit", kwargs={"artist": band.artist.slug}))
    assert other.status_code == 302 and other.url.startswith(reverse("backstage:login"))
    assert Client().get(url).status_code == 302  # signed out: sent to sign in


@pytest.mark.django_db
def test_sign_ups_are_limited_per_address(client: Client, settings: Any) -> None:
    settings.DISQUAIRE_SIGNUP = "open"
    UserFactory()
    settings.BACKSTAGE_SIGNUP_PER_EMAIL = 2
    data = {"email": "spam@example.org", "password1": PASSWORD, "password2": PASSWORD}
    for _ in range(2):
        assert client.post(reverse("backstage:signup"), data).status_code == 200
    response = client.post(reverse("backstage:signup"), data)
    assert response.status_code == 429 and "Too many sign-ups" in response.content.decode()
    assert len(mail.outbox) == 2


@pytest.mark.django_db
def test_an_account_turned_off_by_the_operator_stays_off(client: Client) -> None:
    from django.utils import timezone

    UserFactory()
    account_services.user_signup(email="parti@example.org", password=PASSWORD)
    early_link = _link(mail.outbox[-1].body)
    user = User.objects.get(username="parti@example.org")
    assert client.post(early_link).status_code == 302  # confirmed, signed in once
    user.refresh_from_db()
    user.last_login = user.last_login or timezone.now()
    user.is_active = False  # the operator turns the account off
    user.save()

    account_services.user_signup(email="parti@example.org", password="another-velvet-42")
    assert "already has one" in mail.outbox[-1].body
    assert Client().get(early_link).status_code == 400
    user.refresh_from_db()
    assert not user.is_active and user.check_password(PASSWORD)


@pytest.mark.django_db
def test_the_verification_link_signs_in_once_and_never_again(client: Client) -> None:
    """Followed again (a forwarded mail, a shared screen), the link is no login link:
    not after the account is confirmed, and not after a password change."""
    UserFactory()
    account_services.user_signup(email="once@example.org", password=PASSWORD)
    link = _link(mail.outbox[-1].body)
    assert client.post(link).status_code == 302
    assert "_auth_user_id" in client.session

    user = User.objects.get(username="once@example.org")
    user.set_password("a-new-velvet-password-9")
    user.save()
    for method in ("get", "post"):
        other = Client()
        response = getattr(other, method)(link)
        assert response.status_code == 302
        assert response.url.startswith(reverse("backstage:login"))
        assert "_auth_user_id" not in other.session


@pytest.mark.django_db
def test_a_plain_get_of_the_verification_link_activates_and_signs_in_nobody(
    client: Client,
) -> None:
    UserFactory()
    account_services.user_signup(email="scanned@example.org", password=PASSWORD)
    response = client.get(_link(mail.outbox[-1].body))
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert not User.objects.get(username="scanned@example.org").is_active


@pytest.mark.django_db
def test_the_first_visitor_cannot_claim_a_fresh_install_without_the_setup_code(
    client: Client, settings: Any
) -> None:
    from pathlib import Path

    page = client.get(reverse("backstage:setup"))
    assert page.status_code == 200 and "setup code" in page.content.decode().lower()
    code_file = Path(settings.DATA_DIR) / account_services.SETUP_CODE_FILE
    code = code_file.read_text().strip()
    assert len(code) >= 20 and code_file.stat().st_mode & 0o777 == 0o600
    form = {"email": "first@example.org", "password1": PASSWORD, "password2": PASSWORD}
    for guess in ("", "wrong-code", code[:-1]):
        response = client.post(reverse("backstage:setup"), {**form, "setup_code": guess})
        assert response.status_code in (200, 403)
    assert not User.objects.exists()

    assert client.post(reverse("backstage:setup"), {**form, "setup_code": code}).status_code == 302
    assert User.objects.get().is_superuser
    assert not code_file.exists()  # used once
    assert account_services.setup_code_ensure() is None


@pytest.mark.django_db
def test_setup_without_the_code_creates_no_operator(client: Client) -> None:
    response = client.post(
        reverse("backstage:setup"),
        {"email": "intruder@example.org", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 200
    assert not User.objects.exists()


@pytest.mark.django_db
def test_by_default_accounts_are_by_invitation_only(client: Client) -> None:
    UserFactory()  # the operator
    page = client.get(reverse("backstage:signup"))
    assert page.status_code == 403 and "by invitation" in page.content.decode()
    response = client.post(
        reverse("backstage:signup"),
        {"email": "stranger@example.org", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 403
    assert not User.objects.filter(username="stranger@example.org").exists()
    assert not mail.outbox


@pytest.mark.django_db
def test_an_invitation_opens_sign_up_for_its_own_address_only(band: Band) -> None:
    link = invitation_services.invitation_send(
        artist=band.artist, email="invited@example.org", role="member", by=band.user
    ).replace("http://testserver", "")
    mail.outbox.clear()
    url = reverse("backstage:signup") + "?next=" + link
    form = {"password1": PASSWORD, "password2": PASSWORD, "next": link}
    other = Client().post(url, {**form, "email": "friend@example.org"})
    assert other.status_code == 200 and "invited@example.org" in other.content.decode()
    assert not User.objects.filter(username="friend@example.org").exists()
    assert Client().post(url, {**form, "email": "invited@example.org"}).status_code == 200
    assert User.objects.filter(username="invited@example.org").exists()
