"""Backstage URLs, all under /backstage/. Artist-scoped ones carry the artist's slug."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, include, path

from disquaire.backstage.views import (
    accounts,
    artist,
    codes,
    desk,
    orders,
    payments,
    releases,
    selling,
    shops,
    stats,
    uploads,
)

app_name = "backstage"

_release: list[URLPattern | URLResolver] = [
    path("", releases.release_edit, name="release"),
    path("publish/", releases.release_publish, name="release_publish"),
    path("delete/", releases.release_delete, name="release_delete"),
    path("cover.webp", releases.release_cover, name="release_cover"),
    path("preview/revoke/", releases.preview_revoke, name="preview_revoke"),
    path("status.json", releases.release_status, name="release_status"),
    path("uploads/", uploads.upload_create, name="upload_create"),
    path("tracks/reorder/", releases.tracks_reorder, name="tracks_reorder"),
    path("tracks/<int:track_id>/", releases.track_edit, name="track_edit"),
    path("tracks/<int:track_id>/move/", releases.track_move, name="track_move"),
    path("tracks/<int:track_id>/retry/", releases.track_retry, name="track_retry"),
    path("tracks/<int:track_id>/delete/", releases.track_delete, name="track_delete"),
]

_shop: list[URLPattern | URLResolver] = [
    path("", shops.shop_detail, name="consignment_shop"),
    path("edit/", shops.shop_edit, name="consignment_shop_edit"),
    path("place/", shops.shop_place, name="consignment_place"),
    path("report/", shops.shop_report, name="consignment_report"),
    path("return/", shops.shop_return, name="consignment_return"),
    path("settle/", shops.shop_settle, name="consignment_settle"),
    path("link/", shops.shop_link, name="consignment_link"),
    path(
        "statements/<int:statement_id>/paid/",
        shops.statement_paid,
        name="consignment_statement_paid",
    ),
    path(
        "statements/<int:statement_id>.pdf",
        shops.statement_pdf_download,
        name="consignment_statement_pdf",
    ),
    path(
        "statements/<int:statement_id>.csv",
        shops.statement_csv_download,
        name="consignment_statement_csv",
    ),
]

_artist: list[URLPattern | URLResolver] = [
    path("", artist.artist_edit, name="artist_edit"),
    path("desk/", desk.desk, name="desk"),
    path("emails/", desk.member_emails, name="member_emails"),
    path("theme-preview.json", artist.theme_preview, name="theme_preview"),
    path("members/", artist.members, name="members"),
    path("members/<int:membership_id>/role/", artist.member_role, name="member_role"),
    path("members/<int:membership_id>/remove/", artist.member_remove, name="member_remove"),
    path("concerts/", artist.concerts, name="concerts"),
    path("concerts/new/", artist.concert_edit, name="concert_create"),
    path("concerts/<int:concert_id>/", artist.concert_edit, name="concert_edit"),
    path("concerts/<int:concert_id>/delete/", artist.concert_delete, name="concert_delete"),
    path("news/", artist.news, name="news"),
    path("news/new/", artist.news_edit, name="news_create"),
    path("news/<int:post_id>/", artist.news_edit, name="news_edit"),
    path("news/<int:post_id>/delete/", artist.news_delete, name="news_delete"),
    path("markdown-preview/", artist.markdown_preview, name="markdown_preview"),
    path("releases/", releases.releases, name="releases"),
    path("releases/new/", releases.release_create, name="release_create"),
    path("releases/<int:release_id>/", include(_release)),
    path("offers/", selling.offers, name="offers"),
    path("offers/new/", selling.offer_edit, name="offer_create"),
    path("offers/<int:offer_id>/", selling.offer_edit, name="offer_edit"),
    path("offers/<int:offer_id>/move/", selling.offer_move, name="offer_move"),
    path("offers/<int:offer_id>/delete/", selling.offer_delete, name="offer_delete"),
    path("shipping/", selling.shipping, name="shipping"),
    path("shipping/new/", selling.shipping_zone_edit, name="shipping_zone_create"),
    path("shipping/<int:zone_id>/", selling.shipping_zone_edit, name="shipping_zone_edit"),
    path(
        "shipping/<int:zone_id>/delete/", selling.shipping_zone_delete, name="shipping_zone_delete"
    ),
    path("shop/", selling.shop_settings, name="shop_settings"),
    path("payments/", payments.payments, name="payments"),
    path("codes/", codes.code_batches, name="code_batches"),
    path("codes/<int:batch_id>.csv", codes.code_batch_csv_download, name="code_batch_csv"),
    path("codes/<int:batch_id>.pdf", codes.code_batch_pdf_download, name="code_batch_pdf"),
    path("shops/", shops.shops, name="consignment_shops"),
    path("shops/new/", shops.shop_edit, name="consignment_shop_create"),
    path("shops/<int:shop_id>/", include(_shop)),
    path("stats/", stats.stats, name="stats"),
    path("stats/<slug:chart>.csv", stats.stats_csv, name="stats_csv"),
    path("orders/", orders.orders, name="orders"),
    path("orders/export.csv", orders.orders_export, name="orders_export"),
    path("orders/packing/", orders.packing_list, name="packing_list"),
    path("orders/<str:code>/", orders.order_detail, name="order"),
    path("orders/<str:code>/paid/", orders.order_mark_paid, name="order_mark_paid"),
    path("orders/<str:code>/ship/", orders.order_ship, name="order_ship"),
    path("orders/<str:code>/refund/", orders.order_refund, name="order_refund"),
]

urlpatterns = [
    path("", accounts.home_or_setup, name="home"),
    path("setup/", accounts.setup, name="setup"),
    path("signup/", accounts.signup, name="signup"),
    path("verify/<str:token>/", accounts.verify, name="verify"),
    path("login/", accounts.LoginView.as_view(), name="login"),
    path("logout/", accounts.logout, name="logout"),
    path("password/", accounts.password_change, name="password_change"),
    path("password/reset/", accounts.password_reset, name="password_reset"),
    path("password/reset/sent/", accounts.password_reset_done, name="password_reset_done"),
    path(
        "password/reset/<uidb64>/<token>/",
        accounts.password_reset_confirm,
        name="password_reset_confirm",
    ),
    path("password/reset/done/", accounts.password_reset_complete, name="password_reset_complete"),
    path("invitations/<str:token>/", accounts.invitation, name="invitation"),
    path("artists/new/", artist.artist_create, name="artist_create"),
    path("artists/<slug:artist>/", include(_artist)),
    path("uploads/<uuid:upload_id>/", uploads.upload, name="upload"),
    path("uploads/<uuid:upload_id>/finish/", uploads.upload_finish, name="upload_finish"),
]
