"""Who reaches what: every URL pattern of the site, asked by every role, answers as the
table below declares.

The roles (columns) are: ``anonymous``; a signed-in ``fan`` (the library's session, no
backstage account); ``other`` — the owner of *another* artist; a plain ``member`` of the
band; its ``owner``; the ``operator`` (a superuser who is no member of the band). Every
object named in a URL belongs to the band (tests/security/world.py builds them).

Each cell is what that role gets for the row's method, with an empty body:

    OK      200, the page or file          LOGIN   redirect to the backstage sign-in
    NOCONT  204, done, nothing to say      ADMIN   redirect to the admin sign-in
    REDIR   any other redirect             BAD     400, the request is refused as malformed
    DENIED  403                            HIDDEN  404 (hidden from those who may not see it)
    METHOD  405, wrong method              BUSY    409, not now (an upload not complete)
    DOWN    503 (nothing to serve yet)

Rows say ``GET`` for pages; views that only take POST get a ``POST`` row (their GET is a
405 for everyone and proves nothing). For every role a GET row denies (LOGIN, ADMIN,
DENIED, HIDDEN), a POST is also checked and must be denied the same way, unless
POST_DIFFERS says otherwise.

A pattern without a row fails ``test_every_url_pattern_has_a_row``, naming it: add its
row here, with the answer each role *should* get. The admin's own pages are one group,
``admin:*`` (Django's, all staff only), with rows for the few that answer otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.apps import apps
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse

from tests.security.urlwalk import Route, routes
from tests.security.world import ROLES, World, role_client, world_build

OK, NOCONT, REDIR = "200", "204", "redirect"
LOGIN, ADMIN = "login", "admin-login"
BAD, DENIED, HIDDEN, METHOD, BUSY, DOWN = "400", "403", "404", "405", "409", "503"
DENIALS = (LOGIN, ADMIN, DENIED, HIDDEN)
GET, POST = "GET", "POST"
STAFF = (OK, REDIR)  # the admin's model pages: a list, a form, or a redirect to one

Cell = str | tuple[str, ...]

# fmt: off
ROWS: list[tuple[str, str, Cell, Cell, Cell, Cell, Cell, Cell]] = [
    # pattern                          method anonymous fan   other   member  owner   operator
    # -- operations
    ("healthz",                          GET, OK,     OK,     OK,     OK,     OK,     OK),
    # No metrics token or network is set here: nothing to see, for anyone.
    ("metrics",                          GET, HIDDEN, HIDDEN, HIDDEN, HIDDEN, HIDDEN, HIDDEN),
    ("set_language",                    POST, REDIR,  REDIR,  REDIR,  REDIR,  REDIR,  REDIR),
    # -- the admin: staff only
    ("admin:*",                          GET, ADMIN,  ADMIN,  ADMIN,  ADMIN,  ADMIN,  STAFF),
    ("admin:login",                      GET, OK,     OK,     OK,     OK,     OK,     REDIR),
    ("admin:logout",                    POST, REDIR,  REDIR,  REDIR,  REDIR,  REDIR,  LOGIN),
    ("admin:autocomplete",               GET, ADMIN,  ADMIN,  ADMIN,  ADMIN,  ADMIN,  DENIED),
    ("admin/(?P<url>.*)$",               GET, ADMIN,  ADMIN,  ADMIN,  ADMIN,  ADMIN,  HIDDEN),
    # Task results are the worker's record: read-only, even for the operator.
    ("admin:django_tasks_database_dbtaskresult_add",
                                         GET, ADMIN,  ADMIN,  ADMIN,  ADMIN,  ADMIN,  DENIED),
    ("admin:django_tasks_database_dbtaskresult_delete",
                                         GET, ADMIN,  ADMIN,  ADMIN,  ADMIN,  ADMIN,  DENIED),
    # -- backstage: accounts (the operator exists, so the first-run setup is gone)
    ("backstage:home",                   GET, LOGIN,  LOGIN,  OK,     OK,     OK,     REDIR),
    ("backstage:setup",                  GET, HIDDEN, HIDDEN, HIDDEN, HIDDEN, HIDDEN, HIDDEN),
    # Sign-up is by invitation by default: without one, the form is closed to everyone.
    ("backstage:signup",                 GET, DENIED, DENIED, DENIED, DENIED, DENIED, DENIED),
    # A verification link only shows a confirm button; the POST activates, once.
    ("backstage:verify",                 GET, OK,     OK,     OK,     OK,     OK,     OK),
    ("backstage:login",                  GET, OK,     OK,     REDIR,  REDIR,  REDIR,  REDIR),
    ("backstage:logout",                POST, LOGIN,  LOGIN,  LOGIN,  LOGIN,  LOGIN,  LOGIN),
    ("backstage:password_change",        GET, LOGIN,  LOGIN,  OK,     OK,     OK,     OK),
    ("backstage:password_reset",         GET, OK,     OK,     OK,     OK,     OK,     OK),
    ("backstage:password_reset_done",    GET, OK,     OK,     OK,     OK,     OK,     OK),
    ("backstage:password_reset_confirm", GET, REDIR,  REDIR,  REDIR,  REDIR,  REDIR,  REDIR),
    ("backstage:password_reset_complete", GET, OK,    OK,     OK,     OK,     OK,     OK),
    # An invitation is for the address it was sent to: anyone else signed in is refused.
    ("backstage:invitation",             GET, OK,     OK,     DENIED, DENIED, DENIED, DENIED),
    # Artists are created by the operator by default, who then invites the band.
    ("backstage:artist_create",          GET, LOGIN,  LOGIN,  DENIED, DENIED, DENIED, OK),
    # -- backstage: the band's own pages, for its members only (the operator uses the admin)
    ("backstage:artist_edit",            GET, LOGIN,  LOGIN,  HIDDEN, OK,     OK,     HIDDEN),
    ("backstage:theme_preview",          GET, LOGIN,  LOGIN,  HIDDEN, OK,     OK,     HIDDEN),
    ("backstage:members",                GET, LOGIN,  LOGIN,  HIDDEN, OK,     OK,     HIDDEN),
    # The audit log of the band: its members only, not even the operator.
    ("backstage:activity",               GET, LOGIN,  LOGIN,  HIDDEN, OK,     OK,     HIDDEN),
    ("backstage:member_role",           POST, LOGIN,  LOGIN,  HIDDEN, REDIR,  REDIR,  HIDDEN),
    ("backstage:member_remove",          GET, LOGIN,  LOGIN,  HIDDEN, OK,     OK,     HIDDEN),
    ("backstage:concerts",               GET, LOGIN,  LOGIN,  HIDDEN, OK,     OK,     HIDDEN),
    ("backstage:concert_create",         GET, LOGIN,  LOGIN,  HIDDEN, OK,     OK,     HIDDEN),
    ("backstage:concert_edit",           GET, LOGIN,  LOGIN,  HIDDEN, OK,     OK,     HIDDEN),
    ("backstage:concert_delete",         GET, LOGIN,  LOGIN,  HIDDEN, OK,     OK,     HIDDEN),
    ("backstage:news",                   GET, LOGIN,  LOGIN,  HIDDEN, OK,     OK,     HIDDEN),
    ("backstage:news_create",            GET, LOGIN,  LOGIN,  HIDDEN, OK,     OK,     HIDDEN),
    ("backstage:news_edit",              GET, LOGIN,  LOGIN,  HIDDEN, OK,     OK,     HIDDEN),
    ("backstage:news_delete",            GET, LOGIN,  LOGIN,  HIDDEN, OK,     OK,     HIDDEN),
    ("backstage:markdown_preview",      POST, LOGIN,  LOGIN,  HIDDEN, OK,     OK,     HIDDEN),
    ("backstage:releases",               GET, LOGIN,  LOGIN,  HIDDEN, OK,     OK,     HIDDEN),
    ("backstage:release_create",         GET, LOGIN,  LOGIN,  HIDDEN, OK,     OK,     HIDDEN),
    ("backstage:release",                GET, LOGIN,  LOGIN,  HIDDEN, OK,     OK,     HIDDEN),
    ("backstage:release_publish",       POST, LOGIN,  LOGIN,  HIDDEN, BAD,    BAD,    HIDDEN),
    ("backstage:release_delete",         GET, LOGIN,  LOGIN,  HIDDEN, OK,     OK,     HIDDEN),
    ("backstage:release_cover",          GET, LOGIN,  LOGIN,  HIDDEN, OK,     OK,     HIDDEN),
    ("backstage:preview_revoke",        POST, LOGIN,  LOGIN,  HIDDEN, REDIR,  REDIR,  HIDDEN),
    ("backstage:release_status",         GET, LOGIN,  LOGIN,  HIDDEN, OK,     OK,     HIDDEN),
    ("backstage:upload_create",         POST, LOGIN,  LOGIN,  HIDDEN, BAD,    BAD,    HIDDEN),
    ("backstage:tracks_reorder",        POST, LOGIN,  LOGIN,  HIDDEN, BAD,    BAD,    HIDDEN),
    ("backstage:track_edit",             GET, LOGIN,  LOGIN,  HIDDEN, OK,     OK,     HIDDEN),
    ("backstage:track_move",            POST, LOGIN,  LOGIN,  HIDDEN, REDIR,  REDIR,  HIDDEN),
    ("backstage:track_retry",           POST, LOGIN,  LOGIN,  HIDDEN, REDIR,  REDIR,  HIDDEN),
    ("backstage:track_delete",           GET, LOGIN,  LOGIN,  HIDDEN, OK,     OK,     HIDDEN),
    ("backstage:offers",                 GET, LOGIN,  LOGIN,  HIDDEN, OK,     OK,     HIDDEN),
    ("backstage:offer_create",           GET, LOGIN,  LOGIN,  HIDDEN, OK,     OK,     HIDDEN),
    ("backstage:offer_edit",             GET, LOGIN,  LOGIN,  HIDDEN, OK,     OK,     HIDDEN),
    ("backstage:offer_move",            POST, LOGIN,  LOGIN,  HIDDEN, REDIR,  REDIR,  HIDDEN),
    ("backstage:offer_delete",           GET, LOGIN,  LOGIN,  HIDDEN, OK,     OK,     HIDDEN),
    ("backstage:shipping",               GET, LOGIN,  LOGIN,  HIDDEN, OK,     OK,     HIDDEN),
    ("backstage:shipping_zone_create",   GET, LOGIN,  LOGIN,  HIDDEN, OK,     OK,     HIDDEN),
    ("backstage:shipping_zone_edit",     GET, LOGIN,  LOGIN,  HIDDEN, OK,     OK,     HIDDEN),
    ("backstage:shipping_zone_delete",   GET, LOGIN,  LOGIN,  HIDDEN, OK,     OK,     HIDDEN),
    ("backstage:shop_settings",          GET, LOGIN,  LOGIN,  HIDDEN, OK,     OK,     HIDDEN),
    ("backstage:code_batches",           GET, LOGIN,  LOGIN,  HIDDEN, OK,     OK,     HIDDEN),
    ("backstage:code_batch_csv",         GET, LOGIN,  LOGIN,  HIDDEN, OK,     OK,     HIDDEN),
    ("backstage:code_batch_pdf",         GET, LOGIN,  LOGIN,  HIDDEN, OK,     OK,     HIDDEN),
    # Every member sees how fans pay; only owners change it (checked on POST).
    ("backstage:payments",               GET, LOGIN,  LOGIN,  HIDDEN, OK,     OK,     HIDDEN),
    # Every member sees the referral rules, promoters and referred orders; only owners
    # change the rules (checked on POST); voiding and thanking are for every member.
    ("backstage:referrals",              GET, LOGIN,  LOGIN,  HIDDEN, OK,     OK,     HIDDEN),
    # No referral in this world, nor a promoter to thank: nothing found for members.
    ("backstage:referral_void",         POST, LOGIN,  LOGIN,  HIDDEN, HIDDEN, HIDDEN, HIDDEN),
    ("backstage:promoter_thank",        POST, LOGIN,  LOGIN,  HIDDEN, REDIR,  REDIR,  HIDDEN),
    # -- backstage: stock (band members of that artist only)
    ("backstage:stock",                   GET, LOGIN,  LOGIN,  HIDDEN, OK,     OK,     HIDDEN),
    ("backstage:stock_ledger",            GET, LOGIN,  LOGIN,  HIDDEN, OK,     OK,     HIDDEN),
    ("backstage:stock_ledger_csv",        GET, LOGIN,  LOGIN,  HIDDEN, OK,     OK,     HIDDEN),
    ("backstage:stock_receive",           GET, LOGIN,  LOGIN,  HIDDEN, OK,     OK,     HIDDEN),
    ("backstage:stock_move",              GET, LOGIN,  LOGIN,  HIDDEN, OK,     OK,     HIDDEN),
    ("backstage:stock_count",             GET, LOGIN,  LOGIN,  HIDDEN, OK,     OK,     HIDDEN),
    ("backstage:stock_damaged",           GET, LOGIN,  LOGIN,  HIDDEN, OK,     OK,     HIDDEN),
    ("backstage:stock_item_create",       GET, LOGIN,  LOGIN,  HIDDEN, OK,     OK,     HIDDEN),
    ("backstage:stock_item_edit",         GET, LOGIN,  LOGIN,  HIDDEN, OK,     OK,     HIDDEN),
    ("backstage:stock_item_delete",       GET, LOGIN,  LOGIN,  HIDDEN, OK,     OK,     HIDDEN),
    ("backstage:stock_place_create",      GET, LOGIN,  LOGIN,  HIDDEN, OK,     OK,     HIDDEN),
    ("backstage:stock_place_edit",        GET, LOGIN,  LOGIN,  HIDDEN, OK,     OK,     HIDDEN),
    ("backstage:desk",                   GET, LOGIN,  LOGIN,  HIDDEN, OK,     OK,     HIDDEN),
    ("backstage:member_emails",          GET, LOGIN,  LOGIN,  HIDDEN, OK,     OK,     HIDDEN),
    # -- consignment: the band's shops (members of the band only)
    ("backstage:consignment_shops",      GET, LOGIN,  LOGIN,  HIDDEN, OK,     OK,     HIDDEN),
    ("backstage:consignment_shop_create", GET, LOGIN, LOGIN,  HIDDEN, OK,     OK,     HIDDEN),
    ("backstage:consignment_shop",       GET, LOGIN,  LOGIN,  HIDDEN, OK,     OK,     HIDDEN),
    ("backstage:consignment_shop_edit",  GET, LOGIN,  LOGIN,  HIDDEN, OK,     OK,     HIDDEN),
    ("backstage:consignment_place",      GET, LOGIN,  LOGIN,  HIDDEN, OK,     OK,     HIDDEN),
    ("backstage:consignment_report",     GET, LOGIN,  LOGIN,  HIDDEN, OK,     OK,     HIDDEN),
    ("backstage:consignment_return",     GET, LOGIN,  LOGIN,  HIDDEN, OK,     OK,     HIDDEN),
    ("backstage:consignment_settle",     GET, LOGIN,  LOGIN,  HIDDEN, OK,     OK,     HIDDEN),
    ("backstage:consignment_link",      POST, LOGIN,  LOGIN,  HIDDEN, REDIR,  REDIR,  HIDDEN),
    ("backstage:consignment_statement_paid", GET, LOGIN, LOGIN, HIDDEN, OK,   OK,     HIDDEN),
    ("backstage:consignment_statement_pdf", GET, LOGIN, LOGIN, HIDDEN, OK,    OK,     HIDDEN),
    ("backstage:consignment_statement_csv", GET, LOGIN, LOGIN, HIDDEN, OK,    OK,     HIDDEN),
    # -- consignment: the shop's private link is the right, whoever holds it; a report
    # without its kind is not one.
    ("consignment:portal",               GET, OK,     OK,     OK,     OK,     OK,     OK),
    ("consignment:portal_report",       POST, HIDDEN, HIDDEN, HIDDEN, HIDDEN, HIDDEN, HIDDEN),
    ("consignment:portal_statement_pdf", GET, OK,     OK,     OK,     OK,     OK,     OK),
    ("consignment:portal_statement_csv", GET, OK,     OK,     OK,     OK,     OK,     OK),
    ("backstage:stats",                  GET, LOGIN,  LOGIN,  HIDDEN, OK,     OK,     HIDDEN),
    ("backstage:stats_csv",              GET, LOGIN,  LOGIN,  HIDDEN, OK,     OK,     HIDDEN),
    ("backstage:orders",                 GET, LOGIN,  LOGIN,  HIDDEN, OK,     OK,     HIDDEN),
    ("backstage:orders_export",          GET, LOGIN,  LOGIN,  HIDDEN, OK,     OK,     HIDDEN),
    ("backstage:packing_list",           GET, LOGIN,  LOGIN,  HIDDEN, OK,     OK,     HIDDEN),
    ("backstage:order",                  GET, LOGIN,  LOGIN,  HIDDEN, OK,     OK,     HIDDEN),
    # Marking paid is for manual payments, refunding for paid orders: this one is neither.
    ("backstage:order_mark_paid",       POST, LOGIN,  LOGIN,  HIDDEN, HIDDEN, HIDDEN, HIDDEN),
    ("backstage:order_ship",            POST, LOGIN,  LOGIN,  HIDDEN, REDIR,  REDIR,  HIDDEN),
    ("backstage:order_refund",          POST, LOGIN,  LOGIN,  HIDDEN, HIDDEN, HIDDEN, HIDDEN),
    ("backstage:followers",              GET, LOGIN,  LOGIN,  HIDDEN, OK,     OK,     HIDDEN),
    ("backstage:followers_import",       GET, LOGIN,  LOGIN,  HIDDEN, OK,     OK,     HIDDEN),
    ("backstage:followers_export",       GET, LOGIN,  LOGIN,  HIDDEN, OK,     OK,     HIDDEN),
    ("backstage:updates",                GET, LOGIN,  LOGIN,  HIDDEN, OK,     OK,     HIDDEN),
    ("backstage:update_create",          GET, LOGIN,  LOGIN,  HIDDEN, OK,     OK,     HIDDEN),
    ("backstage:update",                 GET, LOGIN,  LOGIN,  HIDDEN, OK,     OK,     HIDDEN),
    ("backstage:update_preview",         GET, LOGIN,  LOGIN,  HIDDEN, OK,     OK,     HIDDEN),
    ("backstage:update_test",           POST, LOGIN,  LOGIN,  HIDDEN, REDIR,  REDIR,  HIDDEN),
    ("backstage:update_send",           POST, LOGIN,  LOGIN,  HIDDEN, REDIR,  REDIR,  HIDDEN),
    ("backstage:release_announce",      POST, LOGIN,  LOGIN,  HIDDEN, REDIR,  REDIR,  HIDDEN),
    ("backstage:upload",                 GET, LOGIN,  LOGIN,  HIDDEN, OK,     OK,     HIDDEN),
    ("backstage:upload_finish",         POST, LOGIN,  LOGIN,  HIDDEN, BUSY,   BUSY,   HIDDEN),
    # -- the merch table: the band's members and their invited sellers (a seller's own
    # session is checked in tests/security/test_table_seller.py); others go to the join page
    ("table:home",                       GET, REDIR,  REDIR,  REDIR,  REDIR,  REDIR,  REDIR),
    ("table:sw",                         GET, OK,     OK,     OK,     OK,     OK,     OK),
    ("table:join",                       GET, OK,     OK,     OK,     OK,     OK,     OK),
    # The invitation link shows a button: a link preview must not use the code up.
    ("table:join_code",                  GET, OK,     OK,     OK,     OK,     OK,     OK),
    # A table buyer's QR code: its secret is the proof (a wrong one: "come back later").
    ("table:claim",                      GET, OK,     OK,     OK,     OK,     OK,     OK),
    ("table:app",                        GET, REDIR,  REDIR,  REDIR,  OK,     OK,     REDIR),
    ("table:manifest",                   GET, REDIR,  REDIR,  REDIR,  OK,     OK,     REDIR),
    ("table:catalogue",                  GET, DENIED, DENIED, DENIED, OK,     OK,     DENIED),
    # An empty batch is malformed.
    ("table:sync",                      POST, DENIED, DENIED, DENIED, BAD,    BAD,    DENIED),
    # Pay on your phone: the table starts the checkout and asks how it stands; the QR
    # code's link is the fan's (the sale's id is the key; it only lets them pay).
    ("table:phone_checkout",            POST, DENIED, DENIED, DENIED, BAD,    BAD,    DENIED),
    ("table:phone_status",               GET, DENIED, DENIED, DENIED, OK,     OK,     DENIED),
    ("table:phone_cancel",              POST, DENIED, DENIED, DENIED, OK,     OK,     DENIED),
    ("table:phone_pay",                  GET, REDIR,  REDIR,  REDIR,  REDIR,  REDIR,  REDIR),
    ("table:signout",                   POST, REDIR,  REDIR,  REDIR,  REDIR,  REDIR,  REDIR),
    ("table:shows",                      GET, REDIR,  REDIR,  REDIR,  OK,     OK,     REDIR),
    ("table:show_count",                 GET, REDIR,  REDIR,  REDIR,  OK,     OK,     REDIR),
    ("table:show_close",                 GET, REDIR,  REDIR,  REDIR,  OK,     OK,     REDIR),
    ("table:show_report",                GET, LOGIN,  LOGIN,  HIDDEN, OK,     OK,     HIDDEN),
    ("table:show_report_csv",            GET, LOGIN,  LOGIN,  HIDDEN, OK,     OK,     HIDDEN),
    ("table:show_report_pdf",            GET, LOGIN,  LOGIN,  HIDDEN, OK,     OK,     HIDDEN),
    ("table:sale_payment_receive",      POST, LOGIN,  LOGIN,  HIDDEN, REDIR,  REDIR,  HIDDEN),
    # Without ?sale= and ?amount= the band's own phone gets a 400; no bank details, a 404.
    ("table:epc_qr",                     GET, DENIED, DENIED, DENIED, HIDDEN, HIDDEN, DENIED),
    ("table:manage",                     GET, LOGIN,  LOGIN,  HIDDEN, OK,     OK,     HIDDEN),
    ("table:product_remove",            POST, LOGIN,  LOGIN,  HIDDEN, REDIR,  REDIR,  HIDDEN),
    ("table:seller_revoke",             POST, LOGIN,  LOGIN,  HIDDEN, REDIR,  REDIR,  HIDDEN),
    ("table:sale_resolve",              POST, LOGIN,  LOGIN,  HIDDEN, REDIR,  REDIR,  HIDDEN),
    # Voiding a sale: the band only (an empty reason is refused, nothing voided).
    ("table:sale_void",                 POST, LOGIN,  LOGIN,  HIDDEN, REDIR,  REDIR,  HIDDEN),
    # -- shop: public; an order is reached by its code *and* secret (the buyer's link)
    ("shop:cart",                        GET, OK,     OK,     OK,     OK,     OK,     OK),
    ("shop:cart_add",                   POST, REDIR,  REDIR,  REDIR,  REDIR,  REDIR,  REDIR),
    ("shop:cart_remove",                POST, REDIR,  REDIR,  REDIR,  REDIR,  REDIR,  REDIR),
    ("shop:checkout_start",              GET, REDIR,  REDIR,  REDIR,  REDIR,  REDIR,  REDIR),
    ("shop:subscribe_confirm",           GET, BAD,    BAD,    BAD,    BAD,    BAD,    BAD),
    ("shop:checkout",                    GET, REDIR,  REDIR,  REDIR,  REDIR,  REDIR,  REDIR),
    # The cart's total for a country: an empty cart has nothing to quote.
    ("shop:checkout_quote",              GET, HIDDEN, HIDDEN, HIDDEN, HIDDEN, HIDDEN, HIDDEN),
    ("shop:checkout_sent",               GET, OK,     OK,     OK,     OK,     OK,     OK),
    ("orders:detail",                    GET, OK,     OK,     OK,     OK,     OK,     OK),
    # The band of this world is not in test mode: no test payment page for anyone.
    ("payments:test_pay",                GET, HIDDEN, HIDDEN, HIDDEN, HIDDEN, HIDDEN, HIDDEN),
    # Stripe is not set up here: an unknown provider's webhook is not found.
    ("payments:webhook",                POST, HIDDEN, HIDDEN, HIDDEN, HIDDEN, HIDDEN, HIDDEN),
    # A band's own Stripe endpoint: not set up here, so not found either.
    ("payments:artist_webhook",         POST, HIDDEN, HIDDEN, HIDDEN, HIDDEN, HIDDEN, HIDDEN),
    # -- delivery: a signed download link is the right, whoever holds it
    ("delivery:page",                    GET, OK,     OK,     OK,     OK,     OK,     OK),
    ("delivery:file",                    GET, OK,     OK,     OK,     OK,     OK,     OK),
    ("delivery:zip",                     GET, OK,     OK,     OK,     OK,     OK,     OK),
    ("delivery:redeem",                  GET, OK,     OK,     OK,     OK,     OK,     OK),
    ("delivery:redeem_artist",           GET, OK,     OK,     OK,     OK,     OK,     OK),
    # -- the fans' library: the sign-in page for anyone, the library for the fan
    ("fans:library",                     GET, OK,     OK,     OK,     OK,     OK,     OK),
    ("fans:password_signin",            POST, BAD,    BAD,    BAD,    BAD,    BAD,    BAD),
    ("fans:signin_confirm",              GET, DENIED, DENIED, DENIED, DENIED, DENIED, DENIED),
    ("fans:password_set",               POST, DENIED, BAD,    DENIED, DENIED, DENIED, DENIED),
    ("fans:password_remove",            POST, DENIED, REDIR,  DENIED, DENIED, DENIED, DENIED),
    ("fans:signout",                    POST, REDIR,  REDIR,  REDIR,  REDIR,  REDIR,  REDIR),
    ("fans:signout_elsewhere",          POST, DENIED, REDIR,  DENIED, DENIED, DENIED, DENIED),
    # -- referrals: a share link is public (it leads to the release); the fan's own link
    # needs the library's session; a reward is the fan's own (none in this world).
    ("fans_referrals:share_visit",       GET, REDIR,  REDIR,  REDIR,  REDIR,  REDIR,  REDIR),
    ("fans_referrals:share_page",        GET, REDIR,  OK,     REDIR,  REDIR,  REDIR,  REDIR),
    ("fans_referrals:reward_use",       POST, REDIR,  HIDDEN, REDIR,  REDIR,  REDIR,  REDIR),
    # -- following a band: the same for everyone; a signed link names its follower
    ("fans:follow",                      GET, OK,     OK,     OK,     OK,     OK,     OK),
    ("fans:follow_confirm",              GET, OK,     OK,     OK,     OK,     OK,     OK),
    ("fans:unsubscribe",                 GET, OK,     OK,     OK,     OK,     OK,     OK),
    ("fans:preferences",                 GET, OK,     OK,     OK,     OK,     OK,     OK),
    # No provider's webhook is turned on here: not found.
    ("fans:mail_events",                POST, HIDDEN, HIDDEN, HIDDEN, HIDDEN, HIDDEN, HIDDEN),
    # -- the public site, the player and its embeds: the same for everyone
    ("storefront:stream_public",         GET, REDIR,  REDIR,  REDIR,  REDIR,  REDIR,  REDIR),
    ("storefront:stream",                GET, OK,     OK,     OK,     OK,     OK,     OK),
    ("storefront:listen_data",           GET, OK,     OK,     OK,     OK,     OK,     OK),
    ("storefront:listen_played",        POST, NOCONT, NOCONT, NOCONT, NOCONT, NOCONT, NOCONT),
    ("storefront:listen_play",          POST, OK,     OK,     OK,     OK,     OK,     OK),
    ("storefront:free_download",         GET, OK,     OK,     OK,     OK,     OK,     OK),
    ("storefront:artists",               GET, OK,     OK,     OK,     OK,     OK,     OK),
    ("storefront:home",                  GET, OK,     OK,     OK,     OK,     OK,     OK),
    ("storefront:robots",                GET, OK,     OK,     OK,     OK,     OK,     OK),
    ("storefront:sitemap",               GET, OK,     OK,     OK,     OK,     OK,     OK),
    ("storefront:feed",                  GET, OK,     OK,     OK,     OK,     OK,     OK),
    ("storefront:tag",                   GET, OK,     OK,     OK,     OK,     OK,     OK),
    ("storefront:language_switch",       GET, REDIR,  REDIR,  REDIR,  REDIR,  REDIR,  REDIR),
    ("storefront:cover",                 GET, OK,     OK,     OK,     OK,     OK,     OK),
    ("storefront:embed_release",         GET, OK,     OK,     OK,     OK,     OK,     OK),
    ("storefront:embed_track",           GET, OK,     OK,     OK,     OK,     OK,     OK),
    ("storefront:embed_listen_data",     GET, OK,     OK,     OK,     OK,     OK,     OK),
    ("storefront:oembed",                GET, OK,     OK,     OK,     OK,     OK,     OK),
    ("storefront:artist",                GET, OK,     OK,     OK,     OK,     OK,     OK),
    ("storefront:artist_theme",          GET, OK,     OK,     OK,     OK,     OK,     OK),
    ("storefront:artist_feed",           GET, OK,     OK,     OK,     OK,     OK,     OK),
    ("storefront:artist_podcast",        GET, OK,     OK,     OK,     OK,     OK,     OK),
    ("storefront:artist_image",          GET, OK,     OK,     OK,     OK,     OK,     OK),
    ("storefront:release",               GET, OK,     OK,     OK,     OK,     OK,     OK),
    ("storefront:track",                 GET, OK,     OK,     OK,     OK,     OK,     OK),
]
# fmt: on

# Where a POST answers a role otherwise than the GET of the same row.
POST_DIFFERS: dict[tuple[str, str], Cell] = {
    # /metrics is read-only: a POST is refused by method before the token is asked for.
    **{("metrics", role): METHOD for role in ROLES},
    # The quote is read-only: a POST is refused by method before the cart is looked at.
    **{("shop:checkout_quote", role): METHOD for role in ROLES},
    # The EPC QR code is read-only: the band's POST is refused by method before the
    # bank details are looked at.
    **{("table:epc_qr", role): METHOD for role in ("member", "owner")},
    # The admin's autocomplete is a GET with parameters (403 without them).
    ("admin:autocomplete", "operator"): METHOD,
    # Only an owner invites: a plain member sees the members but may not add one.
    ("backstage:members", "member"): DENIED,
}

# Query strings some rows need to reach their page.
QUERIES: dict[str, dict[str, str]] = {
    "storefront:oembed": {"url": "http://testserver/lesbijoux/premier/"},
}

MATRIX: dict[str, tuple[str, dict[str, Cell]]] = {
    row[0]: (row[1], dict(zip(ROLES, row[2:], strict=True))) for row in ROWS
}
ADMIN_GROUP = "admin:*"


def row_key(route: Route) -> str:
    """The matrix row that holds ``route``: its own, else the admin's group row."""
    if route.key in MATRIX:
        return route.key
    if route.route.startswith("admin/"):
        return ADMIN_GROUP
    return route.key


def describe(response: HttpResponse) -> str:
    """The answer in the matrix's words."""
    if response.status_code in (301, 302, 303, 307, 308):
        location = response["Location"]
        if location.startswith("/backstage/login/"):
            return LOGIN
        if location.startswith("/admin/login/"):
            return ADMIN
        return REDIR
    return str(response.status_code)


def _admin_object_id(route: Route, world: World) -> Any:
    """An admin URL names an object of its own model: the world's first one."""
    match = re.match(r"admin/(\w+)/(\w+)/", route.route)
    if match:
        try:
            model = apps.get_model(match.group(1), match.group(2))
        except LookupError:
            return None
        found = model._default_manager.order_by("pk").first()
        return found.pk if found is not None else None
    return None


def _url(route: Route, world: World) -> str:
    kwargs = world.kwargs(route.key, route.arguments)
    if "object_id" in kwargs:
        kwargs["object_id"] = _admin_object_id(route, world) or kwargs["object_id"]
    return route.url(kwargs)


@contextmanager
def _undone() -> Iterator[None]:
    """Whatever the requests inside write is rolled back: each row starts from the same
    world (a member who "left" through one row is still a member in the next)."""
    with transaction.atomic():
        cache.clear()
        yield
        transaction.set_rollback(True)


def _ask(world: World, role: str, method: str, url: str, data: dict[str, str]) -> str:
    """What ``role`` gets: ``data`` is the query string of a GET, the form of a POST."""
    client = role_client(world, role)
    client.raise_request_exception = False  # a crash is a 500 in the report, not a stop
    response = client.get(url, data) if method == GET else client.post(url, data)
    return describe(response)


def _accepts(cell: Cell, answer: str) -> bool:
    return answer in cell if isinstance(cell, tuple) else answer == cell


def _mismatches(route: Route, world: World) -> list[str]:
    key = row_key(route)
    method, cells = MATRIX[key]
    url = _url(route, world)
    query = QUERIES.get(route.key, {})
    found = []
    for role in ROLES:
        with _undone():
            answer = _ask(world, role, method, url, query)
        if not _accepts(cells[role], answer):
            found.append(f"{key} ({url}) {method} as {role}: {answer}, declared {cells[role]}")
        post_cell = POST_DIFFERS.get((key, role))
        if method == GET and (post_cell is not None or cells[role] in DENIALS):
            expected = post_cell if post_cell is not None else cells[role]
            with _undone():
                answer = _ask(world, role, POST, url, {})
            if not _accepts(expected, answer):
                found.append(f"{key} ({url}) POST as {role}: {answer}, declared {expected}")
    return found


def _group(route: Route) -> str:
    if route.route.startswith("admin/"):
        return "admin"
    return route.key.split(":", 1)[0] if route.name and ":" in route.name else "site"


GROUPS = sorted({_group(route) for route in routes()})


def test_every_url_pattern_has_a_row() -> None:
    missing = [
        f"{route.key!r} (route {route.route!r})"
        for route in routes()
        if row_key(route) not in MATRIX
    ]
    assert not missing, (
        "these URL patterns have no row in the access matrix: declare what each role gets "
        "in ROWS of tests/security/test_access_matrix.py:\n  " + "\n  ".join(missing)
    )


def test_every_row_names_a_url_pattern() -> None:
    keys = {route.key for route in routes()} | {ADMIN_GROUP}
    gone = sorted(set(MATRIX) - keys)
    assert not gone, f"rows of the access matrix name URL patterns that are gone: {gone}"
    stale = sorted({key for key, _role in POST_DIFFERS} - set(MATRIX))
    assert not stale, f"POST_DIFFERS names rows that are gone: {stale}"


@pytest.mark.parametrize("group", GROUPS)
@pytest.mark.django_db
def test_each_role_gets_the_declared_answer(group: str, settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    world = world_build()
    mismatches: list[str] = []
    for route in routes():
        if _group(route) == group and row_key(route) in MATRIX:
            mismatches += _mismatches(route, world)
    assert not mismatches, "answers differ from the access matrix:\n  " + "\n  ".join(mismatches)


# The band's objects a backstage URL names next to an artist's slug.
OBJECT_ARGUMENTS = {
    "release_id", "track_id", "membership_id", "concert_id", "post_id", "offer_id",
    "zone_id", "code", "batch_id", "item_id", "place_id", "shop_id", "statement_id",
}  # fmt: skip

# A form that passes the view's own checks, so that only the object's owner can refuse it.
VALID_POSTS = {"backstage:member_role": {"role": "owner"}}


@pytest.mark.django_db
def test_another_artists_member_cannot_reach_the_bands_objects_through_their_own_slug(
    settings: Any,
) -> None:
    """/backstage/artists/<their own artist>/releases/<the band's release>/...: the object
    must belong to the artist in the address, not just the address to the member."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    world = world_build()
    reached = []
    checked = 0
    for route in routes():
        if not route.key.startswith("backstage:") or "artist" not in route.arguments:
            continue
        if not OBJECT_ARGUMENTS & set(route.arguments):
            continue
        kwargs = {**world.kwargs(route.key, route.arguments), "artist": world.other_artist.slug}
        url = route.url(kwargs)
        for method in (GET, POST):
            checked += 1
            with _undone():
                data = VALID_POSTS.get(route.key, {}) if method == POST else {}
                answer = _ask(world, "other_member", method, url, data)
            # A POST-only view may refuse a GET before it looks the object up.
            if answer != HIDDEN and (method, answer) != (GET, METHOD):
                reached.append(f"{method} {url}: {answer}")
    assert checked > 40
    assert not reached, "another artist's member reached the band's objects:\n  " + "\n  ".join(
        reached
    )
