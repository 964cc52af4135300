"""Twenty fans redeem one five-use code at the same moment (PostgreSQL row locks).

In the control — the same scenario with the row lock replaced by a plain read — the fans
meet at a barrier between "check the uses" and "count the use" (``_check_delay``), which
always shows the overspend the lock prevents.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from disquaire.delivery import codes
from disquaire.delivery.codes import CodeProblem, code_batch_create, code_redeem
from disquaire.delivery.models import DownloadCode, Entitlement
from tests.factories import ReleaseFactory
from tests.meeting import meeting_point, run_at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

FANS = 20
USES = 5


def redeem_all(code: DownloadCode) -> list[Any]:
    def fan(index: int) -> Any:
        try:
            return code_redeem(code_id=code.pk, email=f"fan{index}@example.org").pk
        except CodeProblem as problem:
            return problem.reason

    return run_at_once(FANS, fan, timeout=60)


def five_use_code() -> DownloadCode:
    batch = code_batch_create(release=ReleaseFactory(), size=1, uses_per_code=USES)
    return batch.codes.get()


def test_twenty_fans_at_once_on_a_five_use_code_get_exactly_five_downloads() -> None:
    code = five_use_code()
    results = redeem_all(code)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert Counter(isinstance(r, int) for r in results) == {True: USES, False: FANS - USES}
    assert Counter(r for r in results if isinstance(r, str)) == {"used": FANS - USES}
    assert Entitlement.objects.filter(source_ref=f"code:{code.pk}").count() == USES
    code.refresh_from_db()
    assert code.uses == USES


def test_control_without_the_row_lock_the_same_fans_overspend_the_code(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Proves the test above can fail: take the lock away and the race shows."""
    monkeypatch.setattr(
        codes,
        "_lock",
        lambda code_id: DownloadCode.objects.select_related("batch").get(pk=code_id),
    )
    monkeypatch.setattr(codes, "_check_delay", meeting_point(FANS))
    code = five_use_code()
    redeem_all(code)
    assert Entitlement.objects.filter(source_ref=f"code:{code.pk}").count() > USES
