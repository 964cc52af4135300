"""Listening: who may hear what (``access``), signed stream URLs (``streams``), play
counting (``plays``), free downloads (``downloads``).

Preview clips (cut on the server) are in ``storefront.clips``.

Pages are cached and identical for every visitor; everything that depends on the visitor
(which URLs, full or clip, plays left) is decided here and reaches the browser through
the JSON endpoint, the play claim and the no-JavaScript redirect (``views/listen.py``).

Stream URLs are ``/stream/<token>``, a ``core.signing`` token of purpose ``"stream"``
whose payload is ``{"t": track id, "f": format key, "m": "full" | "clip"}`` plus
``"p"`` (a digest of the release's preview token) when minted for a preview-link
visitor. They live ``DISQUAIRE_STREAM_TOKEN_TTL`` seconds (3 hours by default: long
enough to pause a track and come back, short enough that a copied URL soon dies).
Only streaming renditions (``streaming_keys``: mp3-128 and opus-96, or ``original`` for
a lossy master under 128 kbps) and clips are ever named; masters and download
renditions cannot be reached through a stream token.

Play counting (policy "limited"): a play counts when a *full* stream URL is minted for
a visitor, by ``listen_play_claim`` — called when the player starts a track (a POST) or
by the no-JavaScript redirect. Counting at byte 0 of the stream was rejected: browsers
re-request byte 0 (probe, then play; again after a seek back), so one listen would count
twice or more. The claim is one conditional ``UPDATE … SET plays = plays + 1 WHERE
plays < N``: the database checks and writes in one statement under the row's write lock,
so concurrent claims can never grant more than N (see ``listen_play_claim``).
"""
