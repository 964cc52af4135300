"""Delivery pages, thin: the checks live in ``links``/``selectors``/``services``/``codes``.
Every refusal is a page that tells the fan what to do next (``delivery/problem.html``)."""
