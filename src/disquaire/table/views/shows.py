"""Shows at the table: open one, count in, count out, close; the report (band only)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from disquaire.core.exporters import exporter_response
from disquaire.table import selectors, services
from disquaire.table.errors import TableError
from disquaire.table.exports import money_rows
from disquaire.table.forms import CloseForm, ShowForm, to_minor
from disquaire.table.models import Show, ShowCount
from disquaire.table.pdf import report_pdf
from disquaire.table.views.access import Access, band_page, seller_page


def _show(access: Access, show_id: int) -> Show:
    show = selectors.show_get(artist=access.artist, pk=show_id)
    if show is None:
        raise Http404
    return show


def _bp(value: object) -> int:
    return round(float(value or 0) * 100)  # type: ignore[arg-type]


@seller_page
def shows(request: HttpRequest, access: Access) -> HttpResponse:
    """The shows, and the form to open tonight's."""
    currency = access.artist.currency
    form = ShowForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            show = services.show_open(
                artist=access.artist,
                date=data["date"],
                venue=data["venue"],
                town=data["town"],
                cash_float=to_minor(data["cash_float"], currency),
                cut=data["cut"],
                cut_music_bp=_bp(data["cut_music"]),
                cut_apparel_bp=_bp(data["cut_apparel"]),
                cut_other_bp=_bp(data["cut_other"]),
                cut_fee=to_minor(data["cut_fee"], currency),
                by=access.by,
            )
        except TableError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("The show is open: count the bag in."))
            return redirect(
                "table:show_count", artist=access.artist.slug, show_id=show.pk, stage="in"
            )
    return render(
        request,
        "table/shows.html",
        {"access": access, "artist": access.artist, "form": form,
         "shows": selectors.shows(artist=access.artist)[:30]},
    )  # fmt: skip


@seller_page
def show_count(request: HttpRequest, access: Access, show_id: int, stage: str) -> HttpResponse:
    """Count the bag per item: in (offered: the last show's count out), or out."""
    show = _show(access, show_id)
    if stage not in ShowCount.Stage.values:
        raise Http404
    items = list(selectors.items(artist=access.artist))
    if request.method == "POST":
        counts = {}
        for item in items:
            raw = request.POST.get(f"item-{item.pk}", "").strip()
            if raw == "":
                continue
            try:
                counts[item] = max(0, int(raw))
            except ValueError:
                messages.error(request, _("Counts are whole numbers."))
                break
        else:
            try:
                services.show_count(
                    show=show, stage=stage, counts=counts, actor=access.seller.user, by=access.by
                )
            except TableError as exc:
                messages.error(request, str(exc))
            else:
                if stage == ShowCount.Stage.IN:
                    messages.success(request, _("Counted in. Sell!"))
                    return redirect("table:app", artist=access.artist.slug)
                messages.success(request, _("Counted out. Count the cash and close."))
                return redirect("table:show_close", artist=access.artist.slug, show_id=show.pk)
    defaults = selectors.count_defaults(show=show, stage=stage)
    rows = [(item, defaults.get(item.pk, "")) for item in items]
    return render(
        request,
        "table/count.html",
        {"access": access, "artist": access.artist, "show": show, "stage": stage, "rows": rows},
    )


@seller_page
def show_close(request: HttpRequest, access: Access, show_id: int) -> HttpResponse:
    show = _show(access, show_id)
    form = CloseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        raw = form.cleaned_data["cash_counted"]
        try:
            services.show_close(
                show=show,
                cash_counted=None if raw is None else to_minor(raw, access.artist.currency),
                by=access.by,
            )
        except TableError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("The show is closed."))
            if access.member:
                return redirect("table:show_report", artist=access.artist.slug, show_id=show.pk)
            return redirect("table:shows", artist=access.artist.slug)
    return render(
        request,
        "table/close.html",
        {"access": access, "artist": access.artist, "show": show, "form": form},
    )


@band_page
@require_safe
def show_report(request: HttpRequest, access: Access, show_id: int) -> HttpResponse:
    show = _show(access, show_id)
    return render(
        request,
        "table/report.html",
        {
            "access": access,
            "artist": access.artist,
            "show": show,
            "report": selectors.show_report(show=show),
            "sales": [
                (sale, selectors.sale_voidable(sale)) for sale in selectors.show_sales(show=show)
            ],
            "gaps": selectors.device_gaps(show=show),
        },
    )


@band_page
@require_safe
def show_report_csv(request: HttpRequest, access: Access, show_id: int) -> HttpResponse:
    """The report as a spreadsheet: one row per item, then the money."""
    show = _show(access, show_id)
    return exporter_response(
        "table-show-report", filename=f"table-{show.date}-{show.pk}.csv", show=show
    )


@band_page
@require_safe
def show_report_pdf(request: HttpRequest, access: Access, show_id: int) -> HttpResponse:
    """The report as a PDF, with the same figures as the page and the CSV."""
    show = _show(access, show_id)
    report = selectors.show_report(show=show)
    body = report_pdf(report=report, money=money_rows(report=report), artist=access.artist)
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="table-{show.date}-{show.pk}.pdf"'
    return response


@band_page
@require_POST
def sale_payment_receive(request: HttpRequest, access: Access, sale_id: str) -> HttpResponse:
    """The band saw a fan's bank transfer arrive: the sale is paid."""
    sale = selectors.pending_transfers(artist=access.artist).filter(pk=sale_id).first()
    if sale is None:
        raise Http404
    try:
        services.sale_payment_receive(sale=sale, by=access.by)
    except TableError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The transfer is marked received."))
    return redirect("table:show_report", artist=access.artist.slug, show_id=sale.show_id)


@band_page
@require_POST
def sale_resolve(request: HttpRequest, access: Access, sale_id: str) -> HttpResponse:
    sale = selectors.flagged_sales(artist=access.artist).filter(pk=sale_id).first()
    if sale is None:
        raise Http404
    try:
        services.sale_resolve(
            sale=sale,
            take_stock=request.POST.get("take") == "1",
            note=str(request.POST.get("note", "")),
            actor=request.user,
            by=access.by,
        )
    except TableError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The sale is resolved."))
    return redirect("table:manage", artist=access.artist.slug)


@band_page
@require_POST
def sale_void(request: HttpRequest, access: Access, sale_id: str) -> HttpResponse:
    """The band voids a sale recorded by mistake, saying why (see ``sale_void``)."""
    sale = selectors.sale_get(artist=access.artist, pk=sale_id)
    if sale is None:
        raise Http404
    try:
        services.sale_void(
            sale=sale,
            reason=str(request.POST.get("reason", "")),
            actor=request.user,
            by=access.by,
        )
    except TableError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The sale is voided: it counts no more, its units are back."))
    url = reverse(
        "table:show_report", kwargs={"artist": access.artist.slug, "show_id": sale.show_id}
    )
    return redirect(f"{url}#sales")
