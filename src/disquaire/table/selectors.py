"""What the merch table reads: who may sell, the catalogue a phone keeps offline, a
show's report."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet
from django.urls import reverse

from disquaire.catalog.models import Artist, Membership
from disquaire.payments.base import BasePaymentProvider
from disquaire.payments.models import PaymentSettings
from disquaire.payments.registry import providers_available
from disquaire.payments.selectors import payment_settings_for
from disquaire.stock.models import Balance, Item, Movement, Place, Reason
from disquaire.table.models import (
    Category,
    Sale,
    SaleLine,
    Seller,
    Show,
    ShowCount,
    ShowEvent,
    TableProduct,
)


def is_member(*, user: Any, artist: Artist) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return Membership.objects.filter(artist=artist, user_id=user.pk).exists()


def seller_get(*, pk: int) -> Seller | None:
    return Seller.objects.select_related("artist").filter(pk=pk).first()


def sellers(*, artist: Artist) -> QuerySet[Seller]:
    return Seller.objects.filter(artist=artist, user__isnull=True).order_by("-created_at")


def products(*, artist: Artist, active: bool = True) -> QuerySet[TableProduct]:
    found = TableProduct.objects.filter(artist=artist)
    if active:
        found = found.filter(is_active=True)
    return found.select_related("release").prefetch_related("components__item")


def open_show(*, artist: Artist) -> Show | None:
    return (
        Show.objects.filter(artist=artist, state=Show.State.OPEN)
        .select_related("place")
        .order_by("-date", "-pk")
        .first()
    )


def shows(*, artist: Artist) -> QuerySet[Show]:
    return Show.objects.filter(artist=artist).select_related("place")


def show_get(*, artist: Artist, pk: int) -> Show | None:
    return shows(artist=artist).filter(pk=pk).first()


def items(*, artist: Artist) -> QuerySet[Item]:
    return Item.objects.filter(artist=artist).order_by("name", "pk")


def bag_units(*, show: Show | None) -> dict[int, int]:
    """Units per item in the show's bag now."""
    if show is None:
        return {}
    return dict(Balance.objects.filter(place=show.place).values_list("item_id", "quantity"))


def catalogue(*, artist: Artist, seller: Seller) -> dict[str, Any]:
    """What a phone keeps to sell offline: the products, their prices, what the bag holds
    for each (units of the scarcest item of a bundle), the open show, the seller."""
    show = open_show(artist=artist)
    units = bag_units(show=show)
    config = payment_settings_for(artist)  # read once: the bank details, the phone pay
    listed = []
    for product in products(artist=artist):
        comps = list(product.components.all())
        left = min((units.get(c.item_id, 0) // c.quantity for c in comps), default=0)
        image = ""
        if product.release_id and product.release and product.release.cover:
            image = reverse(
                "storefront:cover", kwargs={"release_id": product.release_id, "width": 300}
            )
        listed.append(
            {
                "id": product.pk,
                "name": product.name,
                "price": product.price,
                "category": product.category,
                "image": image,
                "left": left,
                # [item, units]: what the bag holds for it after a count made offline.
                "units": [[c.item_id, c.quantity] for c in comps],
            }
        )
    return {
        "artist": {"slug": artist.slug, "name": artist.name, "currency": artist.currency},
        "seller": {"name": seller.name, "member": seller.is_member},
        "show": None
        if show is None
        else {
            "id": show.pk,
            "date": show.date.isoformat(),
            "venue": show.venue,
            "town": show.town,
        },
        "products": listed,
        # To count offline: the band's items and the count in to offer for a new show.
        "items": [{"id": i.pk, "name": i.name} for i in items(artist=artist)],
        "count_in": {str(k): n for k, n in carried_over(artist=artist).items()},
        "bank": bank_details(artist=artist, config=config),
        # Whether "pay on your phone" can be offered (online only, whatever this says).
        "phone_pay": phone_provider(artist=artist, config=config) is not None,
    }


# Ways to pay that a provider confirms while the fan waits at the table (not a transfer
# the band checks days later, not cash on collection).
NOT_ONLINE = frozenset({"manual", "cash", "free"})


def phone_provider(
    *, artist: Artist, config: PaymentSettings | None = None
) -> BasePaymentProvider | None:
    """The first way to pay online the band has ready (card first), or None: what a sale
    paid on the fan's phone goes through. ``config``: the band's payment settings when
    already read."""
    for provider in providers_available(artist, config=config):
        if provider.identifier not in NOT_ONLINE and not provider.needs_pickup:
            return provider
    return None


def bank_details(*, artist: Artist, config: PaymentSettings | None = None) -> dict[str, str] | None:
    """The band's account for an EPC (SEPA transfer) QR code, kept on the phone for
    offline use; None unless the shop sells in euros and a holder and IBAN are set.
    ``config``: the band's payment settings when already read."""
    if artist.currency != "EUR":
        return None
    if config is None:
        config = payment_settings_for(artist)
    holder, iban = config.bank_holder.strip(), "".join(config.bank_iban.split()).upper()
    if not holder or not iban:
        return None
    return {"holder": holder, "iban": iban, "bic": "".join(config.bank_bic.split()).upper()}


def default_bag(*, artist: Artist) -> Place | None:
    """The band's merch bag a show opens at when none is chosen: the default one, else
    the first made; None when it has none."""
    return (
        Place.objects.filter(artist=artist, kind=Place.Kind.BAG)
        .order_by("-is_default", "pk")
        .first()
    )


def carried_over(*, artist: Artist, show: Show | None = None) -> dict[int, int]:
    """The count in to offer: the last closed show's count out, else the bag's balance."""
    closed = Show.objects.filter(artist=artist, state=Show.State.CLOSED)
    if show is not None:
        closed = closed.exclude(pk=show.pk)
    last = closed.order_by("-date", "-closed_at").first()
    if last is not None:
        carried = dict(
            ShowCount.objects.filter(show=last, stage=ShowCount.Stage.OUT).values_list(
                "item_id", "quantity"
            )
        )
        if carried:
            return carried
    if show is not None:
        return bag_units(show=show)
    bag = default_bag(artist=artist)
    if bag is None:
        return {}
    return dict(Balance.objects.filter(place=bag).values_list("item_id", "quantity"))


def count_defaults(*, show: Show, stage: str) -> dict[int, int]:
    """What to offer in the count form: the counts already made for this stage; for the
    count in, the last closed show's count out (carried over), else the bag's balance."""
    done = dict(ShowCount.objects.filter(show=show, stage=stage).values_list("item_id", "quantity"))
    if done:
        return done
    if stage == ShowCount.Stage.IN:
        return carried_over(artist=show.artist, show=show)
    return bag_units(show=show)


@dataclass
class ItemLine:
    item: Item
    counted_in: int | None
    sold: int
    counted_out: int | None

    @property
    def expected_out(self) -> int | None:
        return None if self.counted_in is None else self.counted_in - self.sold

    @property
    def difference(self) -> int | None:
        """Extra (positive) or missing (negative) units at the count out."""
        if self.counted_out is None or self.expected_out is None:
            return None
        return self.counted_out - self.expected_out


@dataclass
class Report:
    show: Show
    lines: list[ItemLine] = field(default_factory=list)
    gross: int = 0
    cash: int = 0
    card: int = 0
    # Bank transfers (EPC QR code): received, and still waiting for the band's check.
    bank: int = 0
    bank_pending: int = 0
    # Paid on the fan's phone through the shop's providers (confirmed ones only); those
    # still waiting count nowhere but here.
    online: int = 0
    online_waiting: int = 0
    pending_sales: list[Sale] = field(default_factory=list)
    # Voided by the band (with why, when, by whom): listed apart, counted nowhere.
    voided: list[Sale] = field(default_factory=list)
    free_units: int = 0
    by_category: dict[str, int] = field(default_factory=dict)
    venue_cut: int = 0
    sales: int = 0
    flagged: int = 0

    @property
    def expected_cash(self) -> int:
        return self.show.cash_float + self.cash

    @property
    def cash_difference(self) -> int | None:
        if self.show.cash_counted is None:
            return None
        return self.show.cash_counted - self.expected_cash

    @property
    def take_home(self) -> int:
        return self.gross - self.venue_cut


def venue_cut(*, show: Show, by_category: dict[str, int]) -> int:
    """The venue's share: a fixed fee, or a percentage of the merch gross per category
    (rounded half up, per category)."""
    if show.cut == Show.Cut.FIXED:
        return show.cut_fee
    if show.cut != Show.Cut.PERCENT:
        return 0
    rates: dict[str, int] = {
        Category.MUSIC: show.cut_music_bp,
        Category.APPAREL: show.cut_apparel_bp,
        Category.OTHER: show.cut_other_bp,
    }
    return sum(
        (amount * rates.get(cat, 0) + 5_000) // 10_000 for cat, amount in by_category.items()
    )


# Sales the report counts nowhere: waiting for or lapsed before the fan's phone paid,
# and voided by the band.
UNCOUNTED_STATUSES = (Sale.Status.PENDING, Sale.Status.CANCELLED, Sale.Status.VOIDED)


def show_report(*, show: Show) -> Report:
    """Count in − sold − count out per item, the money by payment and category, the
    venue's cut and what the band takes home. Voided sales count nowhere: they are
    listed apart (``voided``)."""
    report = Report(show=show)
    report.voided = list(
        Sale.objects.filter(show=show, status=Sale.Status.VOIDED)
        .select_related("seller")
        .prefetch_related("lines")
        .order_by("voided_at", "pk")
    )
    report.online_waiting = Sale.objects.filter(show=show, status=Sale.Status.PENDING).count()
    sales = Sale.objects.filter(show=show).exclude(status__in=UNCOUNTED_STATUSES)
    report.sales = sales.count()
    report.flagged = sales.filter(status=Sale.Status.FLAGGED).count()
    for sale in sales.only("payment", "total", "payment_received_at", "device_time"):
        report.gross += sale.total
        if sale.payment == Sale.Payment.CASH:
            report.cash += sale.total
        elif sale.payment == Sale.Payment.CARD:
            report.card += sale.total
        elif sale.payment == Sale.Payment.BANK:
            if sale.payment_received_at is None:
                report.bank_pending += sale.total
                report.pending_sales.append(sale)
            else:
                report.bank += sale.total
        elif sale.payment == Sale.Payment.PHONE:
            report.online += sale.total
    by_category: dict[str, int] = {}
    for line in (
        SaleLine.objects.filter(sale__show=show)
        .exclude(sale__status__in=UNCOUNTED_STATUSES)
        .select_related("sale")
    ):
        if line.sale.payment == Sale.Payment.FREE:
            report.free_units += line.quantity
            continue
        amount = line.unit_price * line.quantity
        by_category[line.category] = by_category.get(line.category, 0) + amount
    report.by_category = by_category
    report.venue_cut = min(venue_cut(show=show, by_category=by_category), report.gross)
    counts: dict[tuple[int, str], int] = {
        (c.item_id, c.stage): c.quantity for c in ShowCount.objects.filter(show=show)
    }
    sold: dict[int, int] = {}
    sale_ids = [str(pk) for pk in sales.values_list("pk", flat=True)]
    # A sale paid on the fan's phone is on the ledger under its order (``phone_pay``).
    order_codes = list(
        sales.filter(payment=Sale.Payment.PHONE, order__isnull=False).values_list(
            "order__code", flat=True
        )
    )
    for item_id, quantity in Movement.objects.filter(
        Q(reference_type="table_sale", reference_id__in=sale_ids)
        | Q(reference_type="order", reference_id__in=order_codes),
        reason=Reason.SOLD_TABLE,
        from_place=show.place,
    ).values_list("item_id", "quantity"):
        sold[item_id] = sold.get(item_id, 0) + quantity
    item_ids = {item_id for item_id, _stage in counts} | set(sold)
    for item in Item.objects.filter(pk__in=item_ids).order_by("name", "pk"):
        report.lines.append(
            ItemLine(
                item=item,
                counted_in=counts.get((item.pk, ShowCount.Stage.IN)),
                sold=sold.get(item.pk, 0),
                counted_out=counts.get((item.pk, ShowCount.Stage.OUT)),
            )
        )
    return report


def sale_get(*, artist: Artist, pk: Any) -> Sale | None:
    """The artist's sale ``pk``; None for another artist's or an unknown one."""
    return Sale.objects.filter(artist=artist, pk=pk).first()


def show_sales(*, show: Show) -> QuerySet[Sale]:
    """The show's sales the report lists one by one (all but the voided and those never
    paid on the fan's phone), with their seller and lines."""
    return (
        Sale.objects.filter(show=show)
        .exclude(status__in=UNCOUNTED_STATUSES)
        .select_related("seller")
        .prefetch_related("lines")
        .order_by("device_time", "pk")
    )


# What a band may void (``sale_services.sale_void``): a sale whose money it handled
# itself. One paid through an order (on the fan's phone) is refunded from that order,
# which puts its units back; a card sale is paid back from the card reader's own app.
VOIDABLE_PAYMENTS = (Sale.Payment.CASH, Sale.Payment.FREE, Sale.Payment.BANK)
VOIDABLE_STATUSES = (Sale.Status.ACCEPTED, Sale.Status.FLAGGED, Sale.Status.RESOLVED)


def sale_voidable(sale: Sale) -> bool:
    """Whether the band may void ``sale``."""
    return (
        sale.order_id is None
        and sale.payment in VOIDABLE_PAYMENTS
        and sale.status in VOIDABLE_STATUSES
    )


def flagged_sales(*, artist: Artist) -> QuerySet[Sale]:
    return (
        Sale.objects.filter(artist=artist, status=Sale.Status.FLAGGED)
        .select_related("show", "seller")
        .prefetch_related("lines")
    )


def flagged_counts(*, artist: Artist) -> QuerySet[ShowEvent]:
    """Counts made on a phone that the server kept without applying them (an item
    deleted since, the show closed, units held by pending orders)."""
    return ShowEvent.objects.filter(artist=artist, status=ShowEvent.Status.FLAGGED).select_related(
        "show", "seller"
    )


def pending_transfers(*, artist: Artist) -> QuerySet[Sale]:
    """Bank-transfer sales whose money the band has not yet marked received."""
    return Sale.objects.filter(
        artist=artist, payment=Sale.Payment.BANK, payment_received_at__isnull=True
    ).exclude(status=Sale.Status.VOIDED)


def device_gaps(*, show: Show) -> dict[str, list[int]]:
    """Per phone, the sequence numbers missing between its first and last sale here: a
    sale made but never sent (lost phone, cleared browser)."""
    seen: dict[str, set[int]] = {}
    for device, seq in Sale.objects.filter(show=show).values_list("device_id", "device_seq"):
        seen.setdefault(str(device), set()).add(seq)
    gaps: dict[str, list[int]] = {}
    for phone, seqs in seen.items():
        missing = sorted(set(range(min(seqs), max(seqs) + 1)) - seqs)
        if missing:
            gaps[phone] = missing[:50]
    return gaps
