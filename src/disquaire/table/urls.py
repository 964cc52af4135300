from django.urls import path

from disquaire.table.views import claim, manage, pay, phone, shows

app_name = "table"

urlpatterns = [
    path("", phone.home, name="home"),
    path("sw.js", phone.service_worker, name="sw"),
    path("join/", phone.join, name="join"),
    path("join/<str:seller_code>/", phone.join_code, name="join_code"),
    path("claim/<uuid:sale_id>/<str:claim_secret>/", claim.claim, name="claim"),
    path("pay/<uuid:sale_id>/", pay.pay, name="phone_pay"),
    path("<slug:artist>/", phone.app, name="app"),
    path("<slug:artist>/manifest.webmanifest", phone.manifest, name="manifest"),
    path("<slug:artist>/catalogue.json", phone.catalogue, name="catalogue"),
    path("<slug:artist>/sync", phone.sync, name="sync"),
    path("<slug:artist>/signout", phone.signout, name="signout"),
    path("<slug:artist>/checkout", pay.checkout, name="phone_checkout"),
    path("<slug:artist>/sales/<uuid:sale_id>/status", pay.status, name="phone_status"),
    path("<slug:artist>/sales/<uuid:sale_id>/cancel", pay.cancel, name="phone_cancel"),
    path("<slug:artist>/shows/", shows.shows, name="shows"),
    path(
        "<slug:artist>/shows/<int:show_id>/count/<str:stage>/", shows.show_count, name="show_count"
    ),
    path("<slug:artist>/shows/<int:show_id>/close/", shows.show_close, name="show_close"),
    path("<slug:artist>/shows/<int:show_id>/report/", shows.show_report, name="show_report"),
    path(
        "<slug:artist>/shows/<int:show_id>/report.csv",
        shows.show_report_csv,
        name="show_report_csv",
    ),
    path(
        "<slug:artist>/shows/<int:show_id>/report.pdf",
        shows.show_report_pdf,
        name="show_report_pdf",
    ),
    path(
        "<slug:artist>/sales/<uuid:sale_id>/received",
        shows.sale_payment_receive,
        name="sale_payment_receive",
    ),
    path("<slug:artist>/sales/<uuid:sale_id>/void", shows.sale_void, name="sale_void"),
    path("<slug:artist>/epc.svg", phone.epc_qr, name="epc_qr"),
    path("<slug:artist>/manage/", manage.manage, name="manage"),
    path(
        "<slug:artist>/manage/products/<int:product_id>/remove",
        manage.product_remove,
        name="product_remove",
    ),
    path(
        "<slug:artist>/manage/sellers/<int:seller_id>/revoke",
        manage.seller_revoke,
        name="seller_revoke",
    ),
    path(
        "<slug:artist>/manage/sales/<uuid:sale_id>/resolve", shows.sale_resolve, name="sale_resolve"
    ),
]
