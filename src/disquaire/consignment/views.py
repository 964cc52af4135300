"""The shop's private page, opened from the link the band sends: only that shop's
records, a form to report sales or a count, and its statements (PDF, CSV). No account:
the signed link is the key, and a revoked or altered one answers 404."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from disquaire.consignment import selectors
from disquaire.consignment.documents import statement_pdf
from disquaire.consignment.errors import ConsignmentError
from disquaire.consignment.forms import KIND_COUNT, KIND_SALES, LinesForm
from disquaire.consignment.links import shop_from_token
from disquaire.consignment.models import ReportSource, Shop, Statement
from disquaire.core.exporters import exporter_response


def _private(response: HttpResponse) -> HttpResponse:
    # The token is in the address: never cached by others, never sent on as a referrer.
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex"
    return response


def _shop(token: str) -> Shop:
    shop = shop_from_token(token=token)
    if shop is None:
        raise Http404
    return shop


def _page(
    request: HttpRequest, shop: Shop, token: str, forms: dict[str, LinesForm] | None = None
) -> HttpResponse:
    summary = selectors.shop_summary(shop=shop)
    forms = forms or {}
    return _private(
        render(
            request,
            "consignment/portal.html",
            {
                "shop": shop,
                "band": shop.artist,
                "summary": summary,
                "token": token,
                "sales_form": forms.get(KIND_SALES)
                or LinesForm(lines=summary.lines, kind=KIND_SALES),
                "count_form": forms.get(KIND_COUNT)
                or LinesForm(lines=summary.lines, kind=KIND_COUNT),
                "statements": selectors.shop_statements(shop=shop),
                "unsettled": selectors.sales_unsettled(shop=shop),
            },
        )
    )


@require_safe
def portal(request: HttpRequest, token: str) -> HttpResponse:
    return _page(request, _shop(token), token)


@require_POST
def portal_report(request: HttpRequest, token: str) -> HttpResponse:
    """A report sent from the private page: sales, or a count of what is left."""
    shop = _shop(token)
    kind = request.POST.get("kind")
    if kind not in (KIND_SALES, KIND_COUNT):
        raise Http404
    lines = selectors.shop_lines(shop=shop)
    form = LinesForm(request.POST, lines=lines, kind=kind)
    if form.is_valid():
        try:
            form.record(shop=shop, source=ReportSource.SHOP)
        except ConsignmentError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Thank you: your report is recorded."))
            return redirect("consignment:portal", token=token)
    return _page(request, shop, token, {kind: form})


def _statement(shop: Shop, statement_id: int) -> Statement:
    return selectors.statement_for_shop(shop=shop, statement_id=statement_id)


def statement_name(statement: Statement, extension: str) -> str:
    stem = slugify(f"{statement.shop.name}-statement-{statement.number}") or "statement"
    return f"{stem}.{extension}"


def statement_filename(statement: Statement, extension: str) -> str:
    return f'attachment; filename="{statement_name(statement, extension)}"'


@require_safe
def portal_statement_pdf(request: HttpRequest, token: str, statement_id: int) -> HttpResponse:
    statement = _statement(_shop(token), statement_id)
    response = HttpResponse(statement_pdf(statement=statement), content_type="application/pdf")
    response["Content-Disposition"] = statement_filename(statement, "pdf")
    return _private(response)


@require_safe
def portal_statement_csv(request: HttpRequest, token: str, statement_id: int) -> HttpResponse:
    statement = _statement(_shop(token), statement_id)
    return _private(
        exporter_response(
            "consignment-statement", filename=statement_name(statement, "csv"), statement=statement
        )
    )
